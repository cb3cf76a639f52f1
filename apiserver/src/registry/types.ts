// The contract between the generic store and each resource. Adding a resource to the API
// is one file in registry/resources/ that exports a ResourceDef.
import type { FieldError } from '../errors.ts';
import type { DeleteOptions } from './store.ts';

/** Any Kubernetes object as JSON. The API server works on plain JSON throughout. */
export type KObject = {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [k: string]: any;
};

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: any[];
  selfLink?: string;
  [k: string]: any;
}

/** One column of `kubectl get` (meta.k8s.io/v1 TableColumnDefinition). */
export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableConvertor {
  columns: ColumnDefinition[];
  /** cells in column order; priority>0 columns are the `-o wide` ones. */
  cells(obj: KObject): unknown[];
}

/** What the store hands to hooks: who asks, and whether anything is really written. */
export interface RequestContext {
  user: { name: string; groups: string[] };
  dryRun: boolean;
  /** extra services a hook may need (allocators, the store of another resource) */
  services: RegistryServices;
}

/** Filled in by the server at start-up; resources reach each other through it. */
export interface RegistryServices {
  [name: string]: any;
}

/** An eviction as the handler hands it to the resource: the object, and its own store's operations. */
export interface EvictionRequest {
  namespace: string;
  name: string;
  /** the Eviction's deleteOptions, with the request's dryRun */
  deleteOptions: DeleteOptions;
  get(): Promise<KObject>;
  /** a status write (conditions recorded before the delete); `mutate` may throw to refuse */
  updateStatus(mutate: (current: KObject) => KObject): Promise<KObject>;
  /** the delete, through the request's admission */
  delete(options: DeleteOptions): Promise<void>;
}

/** What an eviction answers: a Status, with its HTTP code (201 for Success). */
export interface EvictionResult {
  code: number;
  status: Record<string, unknown>;
}

export interface ScaleSubresource {
  /** JSON paths (dotted) of the scale fields, as CRDs describe them */
  specReplicasPath: string; // 'spec.replicas'
  statusReplicasPath: string; // 'status.replicas'
  labelSelectorPath?: string; // 'status.selector' or computed from spec.selector
  /** the Scale's status.selector when spec.selector is not a metav1.LabelSelector (a ReplicationController's label map) */
  labelSelector?(obj: KObject): string;
}

export interface ResourceDef {
  group: string; // '' for core
  version: string; // 'v1'
  kind: string; // 'Pod'
  listKind?: string; // default `${kind}List`
  resource: string; // plural 'pods'
  singular: string; // 'pod'
  shortNames?: string[];
  categories?: string[]; // 'all' for kubectl get all
  namespaced: boolean;
  /** objects expire this many seconds after their last write (Events: --event-ttl); from the registry config */
  ttlSeconds?: (config: Record<string, any>) => number | undefined;
  /** etcd key segment; default `resource`. Resources sharing storage (events) name the same one. */
  storageResource?: string;
  /** subresources beyond the main resource: 'status', 'scale', 'binding', 'eviction', 'log', 'exec', ... */
  subresources?: string[];
  scale?: ScaleSubresource;
  /** verbs served (discovery); default the full set */
  verbs?: string[];
  /** A PUT of a missing object creates it (AllowCreateOnUpdate in Kubernetes' strategies). */
  allowCreateOnUpdate?: boolean;
  /** DELETE answers with the object, not a Status, even once it is gone (ReturnDeletedObject). */
  returnDeletedObject?: boolean;
  /**
   * Collections that exist only to POST to one of this resource's subresources, the object
   * named by the body: core/v1's legacy `bindings` is `{ bindings: 'binding' }` on pods.
   */
  subresourceCollections?: Record<string, string>;
  /**
   * Served from a schema rather than Go types (custom resources): no strategic merge patch
   * (415, as Kubernetes answers, so kubectl falls back to a merge patch) and no protobuf bodies.
   */
  unstructured?: boolean;
  /**
   * The kind's schema when the client models have none (a CRD version's): `v2` as /openapi/v2
   * publishes it (refs to `#/definitions/`; also read by the patch semantics), `v3` as
   * /openapi/v3 does (refs to `#/components/schemas/`; `kubectl explain` reads it).
   */
  openAPISchema?: { v2: Record<string, unknown>; v3: Record<string, unknown> };
  /**
   * Unknown fields by the kind's own schema instead of the Go types (custom resources): drops
   * them from obj in place and returns their paths for fieldValidation (`.spec.foo`).
   */
  pruneUnknownFields?(obj: KObject): string[];

  /** Set defaults as the Kubernetes defaulting functions do. Mutates obj. */
  defaults?(obj: KObject): void;
  /** Semantic validation for create; field paths as apimachinery prints them. */
  validate?(obj: KObject): FieldError[];
  /** Validation for update (immutable fields etc.), in addition to validate(). */
  validateUpdate?(obj: KObject, old: KObject): FieldError[];
  /** Before create: reset status, allocate things. May throw ApiError. */
  prepareForCreate?(obj: KObject, ctx: RequestContext): void | Promise<void>;
  /** Before update of the main resource: usually keeps old status. */
  prepareForUpdate?(obj: KObject, old: KObject, ctx: RequestContext): void | Promise<void>;
  /** Before update through /status: usually keeps old spec; returns the object to store. */
  prepareForStatusUpdate?(obj: KObject, old: KObject): KObject;
  /**
   * Update through the `finalize` subresource (declare 'finalize' in subresources): returns
   * the object to store, usually the old one with only the finalizers the client sent.
   */
  prepareForFinalize?(obj: KObject, old: KObject): KObject;
  /**
   * POST through the `eviction` subresource: deletes the object unless what guards it says no
   * (a pod's PodDisruptionBudgets). Returns the Status to answer; throws to refuse. Without it
   * an eviction is a plain delete with the Eviction's options.
   */
  evict?(eviction: EvictionRequest, ctx: RequestContext): Promise<EvictionResult>;
  /** POST through the `binding` subresource: the object to store once bound (pods/binding). */
  bind?(obj: KObject, binding: KObject): KObject;
  /**
   * Beyond metadata.finalizers, whether the object must stay while it is being deleted
   * (a Namespace until its spec.finalizers are empty).
   */
  deletionBlocked?(obj: KObject): boolean;
  /** When deletion starts (deletionTimestamp set): mark the object (Namespace phase Terminating). */
  prepareForDelete?(obj: KObject): void;
  /** After the object is gone from storage (free ClusterIPs, NodePorts...). */
  afterDelete?(obj: KObject, ctx: RequestContext): void | Promise<void>;
  /** Whether a spec change happened (bumps metadata.generation). Default: anything but metadata/status changed. */
  specChanged?(obj: KObject, old: KObject): boolean;
  /** Field selector values: metadata.name and metadata.namespace are added by the store. */
  selectableFields?(obj: KObject): Record<string, string>;
  /**
   * A selectable field that watchers usually select one value of (pods: spec.nodeName, one
   * watch per kubelet): the watch cache files those watchers by the value (storage/interface.ts
   * WatchTrigger) instead of offering each of them every event.
   */
  watchTriggerField?: string;
  /** `kubectl get` columns. Default: Name, Created At. */
  table?: TableConvertor;
  /** Whether a DELETE without grace waits (pods bound to a node: graceful deletion). */
  gracefulDeletion?(obj: KObject, requestedGrace: number | undefined): number | undefined;
  /**
   * Stored representation differs (events.k8s.io/v1 Event is stored as core/v1 Event):
   * toStorage converts what the client sent, fromStorage what the client reads.
   */
  toStorage?(obj: KObject): KObject;
  fromStorage?(obj: KObject): KObject;
}

export function apiVersionOf(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}
