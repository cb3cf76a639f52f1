// The admission contract, as Kubernetes' k8s.io/apiserver/pkg/admission has it: a request's
// attributes, and plugins that may mutate (admit) or only judge (validate) them. The chain
// (chain.ts) runs every mutating plugin in order, then the store's defaults and validation,
// then every validating plugin; a plugin refuses by throwing an ApiError (usually 403 Forbidden).
// Each plugin is one file in admission/plugins/, named as upstream names it.
import type { ApiRegistry } from '../registry/api-registry.ts';
import type { UserInfo } from '../registry/store.ts';
import type { KObject } from '../registry/types.ts';

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  operation: AdmissionOperation;
  /** the resource as served: group '' for core */
  group: string;
  version: string;
  resource: string;
  /** '' for the main resource; 'status', 'scale', 'binding', 'eviction', 'exec', ... */
  subresource: string;
  kind: string;
  namespace: string;
  name: string;
  /** the incoming object; mutating plugins change it in place. Absent for DELETE and CONNECT. */
  object?: KObject;
  /** the stored object for UPDATE and DELETE */
  oldObject?: KObject;
  user: UserInfo;
  dryRun: boolean;
  /** becomes `Warning: 299 - "..."` response headers (PodSecurity's warn mode, for example) */
  warnings: string[];
  /** audit annotations a plugin records (PodSecurity's audit mode) */
  auditAnnotations: Record<string, string>;
}

/** What plugins may read and write besides the request: every resource's store, as the system. */
export interface AdmissionServices {
  registry: ApiRegistry;
}

export interface AdmissionPlugin {
  /** upstream's name, e.g. 'NamespaceLifecycle'; `--disable-admission-plugins` takes it */
  readonly name: string;
  /** which operations it looks at; the chain skips the others */
  readonly operations: readonly AdmissionOperation[];
  /** mutating phase: may change attrs.object */
  admit?(attrs: AdmissionAttributes, services: AdmissionServices): void | Promise<void>;
  /** validating phase: after defaults and validation; must not change attrs.object */
  validate?(attrs: AdmissionAttributes, services: AdmissionServices): void | Promise<void>;
}
