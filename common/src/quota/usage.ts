// What an object costs against a ResourceQuota, as Kubernetes' quota evaluators compute it
// (pkg/quota/v1/evaluator/core): pods count and charge their compute requests and limits,
// services count and charge node ports and load balancers, every other kind counts as one
// `count/<resource>[.<group>]`. Shared by the ResourceQuota admission plugin and the controller.
import { type Quantity, parseQuantity, tryParseQuantity } from '../apimachinery/quantity.ts';
import { podMatchesScope, scopeRequirementsOf } from './scopes.ts';

export type Usage = Map<string, Quantity>;

/** The resource a quota names to count objects of a kind: `count/pods`, `count/deployments.apps`. */
export function objectCountName(group: string, resource: string): string {
  return group ? `count/${resource}.${group}` : `count/${resource}`;
}

/** Legacy count names of core kinds (`pods`, `services`, ...) besides `count/...`. */
const legacyCountNames: Record<string, string> = {
  services: 'services',
  configmaps: 'configmaps',
  secrets: 'secrets',
  persistentvolumeclaims: 'persistentvolumeclaims',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
};

const one = () => parseQuantity(1);

function addTo(usage: Usage, name: string, q: Quantity): void {
  const cur = usage.get(name);
  usage.set(name, cur ? cur.add(q) : q);
}

function resourceList(list: any): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  for (const [k, v] of Object.entries(list ?? {})) {
    const q = tryParseQuantity(v);
    if (q) out.set(k, q);
  }
  return out;
}

/** PodRequests/PodLimits: containers summed, each resource at least the largest init container's, plus overhead. */
function podResources(pod: any, which: 'requests' | 'limits'): Map<string, Quantity> {
  const total = new Map<string, Quantity>();
  for (const c of pod?.spec?.containers ?? []) for (const [k, q] of resourceList(c?.resources?.[which])) addTo(total, k, q);
  for (const c of pod?.spec?.initContainers ?? []) {
    for (const [k, q] of resourceList(c?.resources?.[which])) {
      const cur = total.get(k);
      if (!cur || q.cmp(cur) > 0) total.set(k, q);
    }
  }
  for (const [k, q] of resourceList(pod?.spec?.overhead)) if (total.has(k)) addTo(total, k, q);
  return total;
}

/** QuotaV1Pod: pods that have finished no longer use compute quota. */
export function podCountsForQuota(pod: any): boolean {
  const phase = pod?.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

export function podUsage(pod: any): Usage {
  const usage: Usage = new Map([['count/pods', one()]]);
  if (!podCountsForQuota(pod)) return usage;
  usage.set('pods', one());
  for (const [k, q] of podResources(pod, 'requests')) {
    if (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage') addTo(usage, k, q);
    addTo(usage, `requests.${k}`, q);
  }
  for (const [k, q] of podResources(pod, 'limits')) {
    if (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage' || k.startsWith('hugepages-')) addTo(usage, `limits.${k}`, q);
  }
  return usage;
}

export function serviceUsage(svc: any): Usage {
  const usage: Usage = new Map([
    ['services', one()],
    ['count/services', one()],
  ]);
  const type = svc?.spec?.type ?? 'ClusterIP';
  const ports = (svc?.spec?.ports ?? []).length;
  if (type === 'NodePort' || type === 'LoadBalancer') usage.set('services.nodeports', parseQuantity(ports));
  if (type === 'LoadBalancer') usage.set('services.loadbalancers', one());
  return usage;
}

export function pvcUsage(pvc: any): Usage {
  const usage: Usage = new Map([
    ['persistentvolumeclaims', one()],
    ['count/persistentvolumeclaims', one()],
  ]);
  const storage = tryParseQuantity(pvc?.spec?.resources?.requests?.storage);
  if (storage) usage.set('requests.storage', storage);
  return usage;
}

/** The usage of one object of the given resource. */
export function usageOf(group: string, resource: string, obj: any): Usage {
  if (group === '' && resource === 'pods') return podUsage(obj);
  if (group === '' && resource === 'services') return serviceUsage(obj);
  if (group === '' && resource === 'persistentvolumeclaims') return pvcUsage(obj);
  const usage: Usage = new Map([[objectCountName(group, resource), one()]]);
  const legacy = group === '' ? legacyCountNames[resource] : undefined;
  if (legacy) usage.set(legacy, one());
  return usage;
}

/** Every resource name the evaluator of this resource can produce (MatchingResources). */
export function quotaResourceMatches(group: string, resource: string, name: string): boolean {
  if (name === objectCountName(group, resource)) return true;
  if (group !== '') return false;
  switch (resource) {
    case 'pods':
      return (
        name === 'pods' || name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || name.startsWith('requests.') || name.startsWith('limits.')
      );
    case 'services':
      return name === 'services' || name === 'services.nodeports' || name === 'services.loadbalancers';
    case 'persistentvolumeclaims':
      return name === 'persistentvolumeclaims' || name === 'requests.storage' || name.endsWith('.storageclass.storage.k8s.io/requests.storage');
    default:
      return legacyCountNames[resource] === name;
  }
}

/**
 * Whether a quota governs this object (quota.Matches): it limits at least one resource the
 * object is charged for, and the object is in every one of its scopes (only pods have scopes).
 */
export function quotaMatches(quota: any, group: string, resource: string, obj: any, hard: Record<string, unknown>): boolean {
  if (!Object.keys(hard).some((n) => quotaResourceMatches(group, resource, n))) return false;
  const reqs = scopeRequirementsOf(quota);
  if (reqs.length === 0) return true;
  if (group !== '' || resource !== 'pods') return false;
  return reqs.every((r) => podMatchesScope(r, obj));
}

/** The usage restricted to the names a quota limits (quota.Mask). */
export function maskUsage(usage: Usage, names: Iterable<string>): Usage {
  const out: Usage = new Map();
  for (const n of names) {
    const q = usage.get(n);
    if (q) out.set(n, q);
  }
  return out;
}

export function addUsage(a: Usage, b: Usage): Usage {
  const out: Usage = new Map(a);
  for (const [k, q] of b) addTo(out, k, q);
  return out;
}

export function subtractUsage(a: Usage, b: Usage): Usage {
  const out: Usage = new Map(a);
  for (const [k, q] of b) {
    const cur = out.get(k);
    out.set(k, cur ? cur.sub(q) : parseQuantity(0).sub(q));
  }
  return out;
}

export function usageToList(u: Usage): Record<string, string> {
  return Object.fromEntries([...u].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, q]) => [k, q.toString()]));
}

export function usageFromList(list: Record<string, unknown> | undefined): Usage {
  const out: Usage = new Map();
  for (const [k, v] of Object.entries(list ?? {})) {
    const q = tryParseQuantity(v);
    if (q) out.set(k, q);
  }
  return out;
}
