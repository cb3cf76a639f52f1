// Facts discovery needs beyond what a ResourceDef says: what each subresource returns and
// accepts, the group order kube-apiserver serves, the kube-aware version order, and the
// well-known short names and categories (used when a ResourceDef leaves them out).
import { createHash } from 'node:crypto';
import type { ResourceDef } from '../registry/types.ts';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export const defaultVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const getPatchUpdate = ['get', 'patch', 'update'];
const createGet = ['create', 'get'];

interface SubresourceShape {
  kind: (parent: ResourceDef) => GroupVersionKind;
  verbs: string[];
}

const sameKind = (p: ResourceDef): GroupVersionKind => ({ group: p.group, version: p.version, kind: p.kind });
const coreKind = (kind: string) => (): GroupVersionKind => ({ group: '', version: 'v1', kind });

/** What kube-apiserver advertises for each subresource: its response kind and verbs. */
const subresources: Record<string, SubresourceShape> = {
  status: { kind: sameKind, verbs: getPatchUpdate },
  scale: { kind: () => ({ group: 'autoscaling', version: 'v1', kind: 'Scale' }), verbs: getPatchUpdate },
  binding: { kind: coreKind('Binding'), verbs: ['create'] },
  eviction: { kind: () => ({ group: 'policy', version: 'v1', kind: 'Eviction' }), verbs: ['create'] },
  log: { kind: sameKind, verbs: ['get'] },
  exec: { kind: coreKind('PodExecOptions'), verbs: createGet },
  attach: { kind: coreKind('PodAttachOptions'), verbs: createGet },
  portforward: { kind: coreKind('PodPortForwardOptions'), verbs: createGet },
  proxy: { kind: (p) => ({ group: '', version: 'v1', kind: `${p.kind}ProxyOptions` }), verbs: ['create', 'delete', 'get', 'patch', 'update'] },
  ephemeralcontainers: { kind: sameKind, verbs: getPatchUpdate },
  resize: { kind: sameKind, verbs: getPatchUpdate },
  finalize: { kind: sameKind, verbs: ['update'] },
  approval: { kind: sameKind, verbs: getPatchUpdate },
  token: { kind: () => ({ group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }), verbs: ['create'] },
};

export function subresourceShape(parent: ResourceDef, name: string): { kind: GroupVersionKind; verbs: string[] } {
  const shape = subresources[name];
  // An unknown subresource is read and written like the resource itself.
  if (!shape) return { kind: sameKind(parent), verbs: getPatchUpdate };
  return { kind: shape.kind(parent), verbs: shape.verbs };
}

/** kube-apiserver's group order for /apis (its version priorities); other groups follow by name. */
const groupOrder = [
  'apiregistration.k8s.io',
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'networking.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'node.k8s.io',
  'discovery.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'resource.k8s.io',
];

export function compareGroups(a: string, b: string): number {
  const ia = groupOrder.indexOf(a);
  const ib = groupOrder.indexOf(b);
  if (ia >= 0 && ib >= 0) return ia - ib;
  if (ia >= 0) return -1;
  if (ib >= 0) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const versionPattern = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

/**
 * Kube-aware version order, most preferred first: GA before beta before alpha, higher numbers
 * first within each; versions that do not look like Kubernetes versions come last by name.
 */
export function compareVersions(a: string, b: string): number {
  const ma = versionPattern.exec(a);
  const mb = versionPattern.exec(b);
  if (!ma || !mb) {
    if (ma) return -1;
    if (mb) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const stability = (m: RegExpExecArray) => (m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0);
  if (stability(ma) !== stability(mb)) return stability(mb) - stability(ma);
  if (Number(ma[1]) !== Number(mb[1])) return Number(mb[1]) - Number(ma[1]);
  return Number(mb[3] ?? 0) - Number(ma[3] ?? 0);
}

const all = ['all'];
/** Short names and categories of the built-in resources, keyed `group/resource`. */
const wellKnown: Record<string, { shortNames?: string[]; categories?: string[] }> = {
  '/pods': { shortNames: ['po'], categories: all },
  '/services': { shortNames: ['svc'], categories: all },
  '/replicationcontrollers': { shortNames: ['rc'], categories: all },
  '/configmaps': { shortNames: ['cm'] },
  '/namespaces': { shortNames: ['ns'] },
  '/nodes': { shortNames: ['no'] },
  '/endpoints': { shortNames: ['ep'] },
  '/events': { shortNames: ['ev'] },
  '/serviceaccounts': { shortNames: ['sa'] },
  '/persistentvolumes': { shortNames: ['pv'] },
  '/persistentvolumeclaims': { shortNames: ['pvc'] },
  '/limitranges': { shortNames: ['limits'] },
  '/resourcequotas': { shortNames: ['quota'] },
  '/componentstatuses': { shortNames: ['cs'] },
  'apps/deployments': { shortNames: ['deploy'], categories: all },
  'apps/replicasets': { shortNames: ['rs'], categories: all },
  'apps/statefulsets': { shortNames: ['sts'], categories: all },
  'apps/daemonsets': { shortNames: ['ds'], categories: all },
  'batch/jobs': { categories: all },
  'batch/cronjobs': { shortNames: ['cj'], categories: all },
  'autoscaling/horizontalpodautoscalers': { shortNames: ['hpa'], categories: all },
  'events.k8s.io/events': { shortNames: ['ev'] },
  'certificates.k8s.io/certificatesigningrequests': { shortNames: ['csr'] },
  'networking.k8s.io/ingresses': { shortNames: ['ing'] },
  'networking.k8s.io/networkpolicies': { shortNames: ['netpol'] },
  'policy/poddisruptionbudgets': { shortNames: ['pdb'] },
  'scheduling.k8s.io/priorityclasses': { shortNames: ['pc'] },
  'storage.k8s.io/storageclasses': { shortNames: ['sc'] },
  'apiextensions.k8s.io/customresourcedefinitions': { shortNames: ['crd', 'crds'], categories: ['api-extensions'] },
  'admissionregistration.k8s.io/mutatingwebhookconfigurations': { categories: ['api-extensions'] },
  'admissionregistration.k8s.io/validatingwebhookconfigurations': { categories: ['api-extensions'] },
  'apiregistration.k8s.io/apiservices': { categories: ['api-extensions'] },
};

export function shortNamesOf(def: ResourceDef): string[] {
  return def.shortNames ?? wellKnown[`${def.group}/${def.resource}`]?.shortNames ?? [];
}

export function categoriesOf(def: ResourceDef): string[] {
  return def.categories ?? wellKnown[`${def.group}/${def.resource}`]?.categories ?? [];
}

export function verbsOf(def: ResourceDef): string[] {
  return [...(def.verbs ?? defaultVerbs)].sort();
}

/** Resources that exist only as requests (bindings, tokenreviews...) have no storage and no hash. */
export function isStored(def: ResourceDef): boolean {
  const verbs = def.verbs ?? defaultVerbs;
  return verbs.includes('list') && verbs.includes('watch');
}

/** storageVersionHash: the first 8 bytes of sha256("group/version/Kind") of the stored version, base64. */
export function storageVersionHash(gvk: GroupVersionKind): string {
  const digest = createHash('sha256').update(`${gvk.group}/${gvk.version}/${gvk.kind}`).digest();
  return digest.subarray(0, 8).toString('base64');
}
