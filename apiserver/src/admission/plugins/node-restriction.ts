// NodeRestriction (plugin/pkg/admission/noderestriction): what a kubelet (user system:node:NAME
// in group system:nodes) may write is confined to its own node. The Node authorizer decides
// which kinds a node may touch; this plugin looks at the objects: a node changes only its own
// Node (not its taints, its configSource, nor labels outside the kubelet's set), its own Lease,
// the status of pods bound to it, deletes and evicts those pods, creates only mirror pods of
// itself that reference nothing secret, and asks tokens only for pods bound to it.
import { type ApiError, errors } from '../../errors.ts';
import type { KObject } from '../../registry/types.ts';
import { nodeIdentity } from '../../auth/node-authorizer.ts';
import type { AdmissionAttributes, AdmissionPlugin, AdmissionServices } from '../interface.ts';

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const NODE_RESTRICTION_LABEL_NAMESPACE = 'node-restriction.kubernetes.io';

// k8s.io/kubelet/pkg/apis well_known_labels.go: what a kubelet may set on its own Node
const kubeletLabels = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);
const kubeletLabelNamespaces = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

/** Go's %q for the names that appear in these messages. */
const q = (s: string) => JSON.stringify(s);

/** admission.NewForbidden: `<resource> "<name>" is forbidden: <why>`, the name taken from the object when the URL has none. */
function forbidden(a: AdmissionAttributes, why: string): ApiError {
  const meta = a.object?.metadata;
  const name = a.name || meta?.name || meta?.generateName || 'Unknown';
  return errors.forbidden(a.group, a.resource, name, why);
}

function labelNamespace(key: string): string {
  const i = key.indexOf('/');
  return i < 0 ? '' : key.slice(0, i);
}

const inNamespace = (ns: string, domain: string) => ns === domain || ns.endsWith(`.${domain}`);

function isKubeletLabel(key: string): boolean {
  if (kubeletLabels.has(key)) return true;
  const ns = labelNamespace(key);
  return kubeletLabelNamespaces.some((d) => inNamespace(ns, d));
}

/** Label keys added, removed or changed between two label maps. */
function modifiedLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): string[] {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(a ?? {})) if (b?.[k] !== v) out.add(k);
  for (const [k, v] of Object.entries(b ?? {})) if (a?.[k] !== v) out.add(k);
  return [...out];
}

/** The labels a node may not add, remove or change on itself, sorted. */
export function forbiddenNodeLabels(modified: string[]): string[] {
  return modified
    .filter((key) => {
      const ns = labelNamespace(key);
      if (inNamespace(ns, NODE_RESTRICTION_LABEL_NAMESPACE)) return true;
      return (inNamespace(ns, 'kubernetes.io') || inNamespace(ns, 'k8s.io')) && !isKubeletLabel(key);
    })
    .sort();
}

/** apimachinery's Semantic.DeepEqual as these checks need it: an empty list or map is the same as none. */
function semanticEqual(a: unknown, b: unknown): boolean {
  const empty = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && !v.length) || (typeof v === 'object' && !Object.keys(v as object).length);
  if (empty(a) && empty(b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (!semanticEqual((a as any)[k], (b as any)[k])) return false;
  return true;
}

// ---------------- what a pod refers to (podutil.VisitPodSecretNames / VisitPodConfigmapNames) ----------------

function allContainers(spec: any): any[] {
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])];
}

function referencesSecrets(spec: any): boolean {
  if (spec?.imagePullSecrets?.some((s: any) => s?.name)) return true;
  for (const c of allContainers(spec)) {
    if ((c.envFrom ?? []).some((e: any) => e?.secretRef?.name)) return true;
    if ((c.env ?? []).some((e: any) => e?.valueFrom?.secretKeyRef?.name)) return true;
  }
  for (const v of spec?.volumes ?? []) {
    if (v.secret?.secretName) return true;
    if ((v.projected?.sources ?? []).some((s: any) => s?.secret?.name)) return true;
    if (v.azureFile?.secretName) return true;
    for (const src of ['cephfs', 'cinder', 'flexVolume', 'iscsi', 'rbd', 'scaleIO', 'storageos']) if (v[src]?.secretRef?.name) return true;
    if (v.csi?.nodePublishSecretRef?.name) return true;
  }
  return false;
}

function referencesConfigMaps(spec: any): boolean {
  for (const c of allContainers(spec)) {
    if ((c.envFrom ?? []).some((e: any) => e?.configMapRef?.name)) return true;
    if ((c.env ?? []).some((e: any) => e?.valueFrom?.configMapKeyRef?.name)) return true;
  }
  for (const v of spec?.volumes ?? []) {
    if (v.configMap?.name) return true;
    if ((v.projected?.sources ?? []).some((s: any) => s?.configMap?.name)) return true;
  }
  return false;
}

// ---------------- the checks, one per resource ----------------

async function getPod(services: AdmissionServices, namespace: string, name: string): Promise<KObject> {
  const store = services.registry.store('', 'v1', 'pods');
  if (!store) throw errors.notFound('', 'pods', name);
  return store.get(namespace, name);
}

async function admitMirrorPodCreate(node: string, a: AdmissionAttributes, services: AdmissionServices): Promise<void> {
  const pod = a.object;
  if (!pod) throw forbidden(a, 'unexpected type <nil>');
  if (!pod.metadata.annotations || !(MIRROR_POD_ANNOTATION in pod.metadata.annotations)) {
    throw forbidden(a, `pod does not have ${q(MIRROR_POD_ANNOTATION)} annotation, node ${q(node)} can only create mirror pods`);
  }
  if ((pod.spec?.nodeName ?? '') !== node) throw forbidden(a, `node ${q(node)} can only create pods with spec.nodeName set to itself`);
  const owners: any[] = pod.metadata.ownerReferences ?? [];
  if (owners.length > 1) throw forbidden(a, `node ${q(node)} can only create pods with a single owner reference set to itself`);
  if (owners.length === 0) throw forbidden(a, `node ${q(node)} can only create pods with an owner reference set to itself`);
  const owner = owners[0];
  if (owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== node) {
    throw forbidden(a, `node ${q(node)} can only create pods with an owner reference set to itself`);
  }
  if (owner.controller !== true) throw forbidden(a, `node ${q(node)} can only create pods with a controller owner reference set to itself`);
  if (owner.blockOwnerDeletion === true) throw forbidden(a, `node ${q(node)} must not set blockOwnerDeletion on an owner reference`);
  const nodes = services.registry.store('', 'v1', 'nodes');
  if (!nodes) throw errors.notFound('', 'nodes', node);
  const self = await nodes.get(undefined, node);
  if (owner.uid !== self.metadata.uid) throw forbidden(a, `node ${node} UID mismatch: expected ${owner.uid ?? ''} got ${self.metadata.uid ?? ''}`);

  const spec = pod.spec ?? {};
  if (spec.serviceAccountName) throw forbidden(a, `node ${q(node)} can not create pods that reference a service account`);
  if (referencesSecrets(spec)) throw forbidden(a, `node ${q(node)} can not create pods that reference secrets`);
  if (referencesConfigMaps(spec)) throw forbidden(a, `node ${q(node)} can not create pods that reference configmaps`);
  for (const v of spec.volumes ?? []) {
    if ((v.projected?.sources ?? []).some((s: any) => s?.clusterTrustBundle)) {
      throw forbidden(a, `node ${q(node)} can not create pods that reference clustertrustbundles`);
    }
  }
  if ((spec.volumes ?? []).some((v: any) => v.persistentVolumeClaim)) {
    throw forbidden(a, `node ${q(node)} can not create pods that reference persistentvolumeclaims`);
  }
}

async function admitPod(node: string, a: AdmissionAttributes, services: AdmissionServices): Promise<void> {
  switch (a.subresource) {
    case '':
      if (a.operation === 'CREATE') return admitMirrorPodCreate(node, a, services);
      if (a.operation === 'DELETE') {
        const existing = a.oldObject ?? (await getPod(services, a.namespace, a.name));
        if ((existing.spec?.nodeName ?? '') !== node) throw forbidden(a, `node ${q(node)} can only delete pods with spec.nodeName set to itself`);
        return;
      }
      throw forbidden(a, `unexpected operation ${q(a.operation)}, node ${q(node)} can only create and delete mirror pods`);
    case 'status': {
      if (a.operation !== 'UPDATE') throw forbidden(a, `unexpected operation ${q(a.operation)}`);
      const oldPod = a.oldObject;
      if (!oldPod) throw forbidden(a, 'unexpected type <nil>');
      if ((oldPod.spec?.nodeName ?? '') !== node) {
        throw forbidden(a, `node ${q(node)} can only update pod status for pods with spec.nodeName set to itself`);
      }
      const newPod = a.object;
      if (!newPod) throw forbidden(a, 'unexpected type <nil>');
      if (!semanticEqual(oldPod.metadata.labels, newPod.metadata.labels)) throw forbidden(a, `node ${q(node)} cannot update labels through pod status`);
      const claims = (p: KObject) => (p.status?.resourceClaimStatuses ?? []).map((c: any) => [c.name, c.resourceClaimName ?? null]);
      if (JSON.stringify(claims(oldPod)) !== JSON.stringify(claims(newPod))) throw forbidden(a, `node ${q(node)} cannot update resource claim statues`);
      return;
    }
    case 'eviction': {
      if (a.operation !== 'CREATE') throw forbidden(a, `unexpected operation ${a.operation}`);
      const podName = a.name || a.object?.metadata?.name;
      if (!podName) throw forbidden(a, 'could not determine pod from request data');
      // the store hands the pod it is about to evict; else it is looked up
      const pod = a.oldObject ?? (await getPod(services, a.namespace, podName));
      if ((pod.spec?.nodeName ?? '') !== node) throw forbidden(a, `node ${node} can only evict pods with spec.nodeName set to itself`);
      return;
    }
    default:
      throw forbidden(a, `unexpected pod subresource ${q(a.subresource)}, only 'status' and 'eviction' are allowed`);
  }
}

function admitNode(node: string, a: AdmissionAttributes): void {
  if (a.name !== node) throw forbidden(a, `node ${q(node)} is not allowed to modify node ${q(a.name)}`);
  const obj = a.object;
  if (a.operation === 'CREATE') {
    if (!obj) throw forbidden(a, 'unexpected type <nil>');
    // a node sees what its spec names: a configSource of its choosing would widen its view
    if (obj.spec?.configSource) throw forbidden(a, `node ${q(node)} is not allowed to create pods with a non-nil configSource`);
    const bad = forbiddenNodeLabels(modifiedLabels(obj.metadata.labels, undefined));
    if (bad.length) throw forbidden(a, `node ${q(node)} is not allowed to set the following labels: ${bad.join(', ')}`);
  }
  if (a.operation === 'UPDATE') {
    const old = a.oldObject;
    if (!obj || !old) throw forbidden(a, 'unexpected type <nil>');
    if (obj.spec?.configSource && !semanticEqual(obj.spec.configSource, old.spec?.configSource)) {
      throw forbidden(a, `node ${q(node)} is not allowed to update configSource to a new non-nil configSource`);
    }
    // removing its own taints would let a node draw workloads kept off it
    if (!semanticEqual(obj.spec?.taints, old.spec?.taints)) throw forbidden(a, `node ${q(node)} is not allowed to modify taints`);
    const bad = forbiddenNodeLabels(modifiedLabels(obj.metadata.labels, old.metadata.labels));
    if (bad.length) throw forbidden(a, `is not allowed to modify labels: ${bad.join(', ')}`);
  }
}

/** What a PVC status update may change: capacity, conditions, the expansion's allocated resources. */
function pvcWithoutStatusFields(pvc: KObject): KObject {
  const { resourceVersion: _rv, managedFields: _mf, ...metadata } = pvc.metadata;
  const { capacity: _c, conditions: _cond, allocatedResources: _ar, allocatedResourceStatuses: _ars, ...status } = pvc.status ?? {};
  return { ...pvc, metadata, status };
}

function differingFields(a: any, b: any, path = ''): string[] {
  if (semanticEqual(a, b)) return [];
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) || Array.isArray(b)) return [path || '.'];
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) => differingFields(a[k], b[k], `${path}.${k}`));
}

function admitPVC(node: string, a: AdmissionAttributes): void {
  if (a.subresource !== 'status') throw forbidden(a, 'may only update PVC status');
  if (a.operation !== 'UPDATE') throw forbidden(a, `unexpected operation ${q(a.operation)}`);
  if (!a.object || !a.oldObject) throw forbidden(a, 'unexpected type <nil>');
  const diff = differingFields(pvcWithoutStatusFields(a.oldObject), pvcWithoutStatusFields(a.object));
  if (diff.length) {
    throw forbidden(a, `node ${q(node)} is not allowed to update fields other than status.capacity and status.conditions: ${diff.join(', ')}`);
  }
}

async function admitServiceAccountToken(node: string, a: AdmissionAttributes, services: AdmissionServices): Promise<void> {
  if (a.operation !== 'CREATE' || a.subresource !== 'token') return;
  const ref = a.object?.spec?.boundObjectRef;
  if (ref?.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name) throw forbidden(a, 'node requested token not bound to a pod');
  if (!ref.uid) throw forbidden(a, 'node requested token with a pod binding without a uid');
  const pod = await getPod(services, a.namespace, ref.name);
  if (ref.uid !== pod.metadata.uid) {
    throw forbidden(
      a,
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  }
  if ((pod.spec?.nodeName ?? '') !== node) throw forbidden(a, 'node requested token bound to a pod scheduled on a different node');
}

function admitLease(node: string, a: AdmissionAttributes): void {
  if (a.namespace !== NODE_LEASE_NAMESPACE) throw forbidden(a, `can only access leases in the ${q(NODE_LEASE_NAMESPACE)} system namespace`);
  const name = a.operation === 'CREATE' ? a.object?.metadata?.name : a.name;
  if (name !== node) throw forbidden(a, 'can only access node lease with the same name as the requesting node');
}

export const nodeRestriction: AdmissionPlugin = {
  name: 'NodeRestriction',
  operations: ['CREATE', 'UPDATE', 'DELETE'],

  async admit(a, services) {
    const node = nodeIdentity(a.user);
    // only nodes are restricted
    if (node === undefined) return;
    if (!node) throw forbidden(a, `could not determine node from user ${q(a.user.name)}`);
    if (a.group === '') {
      switch (a.resource) {
        case 'pods':
          return admitPod(node, a, services);
        case 'nodes':
          return admitNode(node, a);
        case 'persistentvolumeclaims':
          return admitPVC(node, a);
        case 'serviceaccounts':
          return admitServiceAccountToken(node, a, services);
      }
    }
    if (a.group === 'coordination.k8s.io' && a.resource === 'leases') admitLease(node, a);
  },
};
