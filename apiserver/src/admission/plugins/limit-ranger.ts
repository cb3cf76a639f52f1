// LimitRanger: the namespace's LimitRanges give containers their default requests and limits
// (mutating), and bound what containers, pods and PersistentVolumeClaims may ask for
// (validating), as plugin/pkg/admission/limitranger does. Messages are upstream's.
import { errors } from '../../errors.ts';
import type { KObject } from '../../registry/types.ts';
import { type Quantity, tryParseQuantity } from '@skiff/common/apimachinery/quantity';
import type { AdmissionAttributes, AdmissionPlugin, AdmissionServices } from '../interface.ts';

const limitRangerAnnotation = 'kubernetes.io/limit-ranger';

type ResourceList = Record<string, unknown>;

/** SupportsAttributes: pods on create (their containers are immutable after), claims always; no subresources. */
function applies(a: AdmissionAttributes): boolean {
  if (a.subresource !== '' || a.group !== '' || !a.object) return false;
  if (a.resource === 'pods') return a.operation === 'CREATE';
  return a.resource === 'persistentvolumeclaims';
}

async function limitRangesOf(namespace: string, services: AdmissionServices): Promise<KObject[]> {
  const store = services.registry.store('', 'v1', 'limitranges');
  if (!store || !namespace) return [];
  return (await store.list(namespace, { resourceVersion: '0' })).items;
}

function itemsOfType(ranges: KObject[], type: string): any[] {
  return ranges.flatMap((r) => (Array.isArray(r.spec?.limits) ? r.spec.limits : [])).filter((i: any) => i?.type === type);
}

/** mergeContainerResources: fills in what the container does not state; returns the annotation parts. */
function mergeDefaults(container: any, defaults: { limits: ResourceList; requests: ResourceList }, prefix: string): string[] {
  container.resources ??= {};
  const res = container.resources;
  const fill = (which: 'limits' | 'requests', from: ResourceList): string[] => {
    const set: string[] = [];
    for (const [k, v] of Object.entries(from)) {
      res[which] ??= {};
      if (res[which][k] === undefined) {
        res[which][k] = v;
        set.push(k);
      }
    }
    return set.sort();
  };
  const limits = fill('limits', defaults.limits);
  const requests = fill('requests', defaults.requests);
  const out: string[] = [];
  if (requests.length) out.push(`${requests.join(', ')} request for ${prefix} ${container.name}`);
  if (limits.length) out.push(`${limits.join(', ')} limit for ${prefix} ${container.name}`);
  return out;
}

/** PodMutateLimitFunc */
function defaultPod(pod: KObject, ranges: KObject[]): void {
  const defaults = { limits: {} as ResourceList, requests: {} as ResourceList };
  for (const item of itemsOfType(ranges, 'Container')) {
    Object.assign(defaults.limits, item.default ?? {});
    Object.assign(defaults.requests, item.defaultRequest ?? {});
  }
  if (Object.keys(defaults.limits).length === 0 && Object.keys(defaults.requests).length === 0) return;
  const notes: string[] = [];
  for (const c of pod.spec?.containers ?? []) notes.push(...mergeDefaults(c, defaults, 'container'));
  for (const c of pod.spec?.initContainers ?? []) notes.push(...mergeDefaults(c, defaults, 'init container'));
  if (notes.length) {
    pod.metadata.annotations ??= {};
    pod.metadata.annotations[limitRangerAnnotation] = `LimitRanger plugin set: ${notes.join('; ')}`;
  }
}

const q = (v: unknown): Quantity | undefined => tryParseQuantity(v);

function minConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = q(requests[name]);
  const lim = q(limits[name]);
  if (!req) return `minimum ${name} usage per ${type} is ${enforced}.  No request is specified`;
  if (req.cmp(enforced) < 0) return `minimum ${name} usage per ${type} is ${enforced}, but request is ${req}`;
  if (lim && lim.cmp(enforced) < 0) return `minimum ${name} usage per ${type} is ${enforced}, but limit is ${lim}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = q(requests[name]);
  const lim = q(limits[name]);
  if (!lim) return `maximum ${name} usage per ${type} is ${enforced}.  No limit is specified`;
  if (lim.cmp(enforced) > 0) return `maximum ${name} usage per ${type} is ${enforced}, but limit is ${lim}`;
  if (req && req.cmp(enforced) > 0) return `maximum ${name} usage per ${type} is ${enforced}, but request is ${req}`;
  return undefined;
}

function maxRequestConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList): string | undefined {
  const req = q(requests[name]);
  if (!req) return `maximum ${name} usage per ${type} is ${enforced}.  No request is specified`;
  if (req.cmp(enforced) > 0) return `maximum ${name} usage per ${type} is ${enforced}, but request is ${req}`;
  return undefined;
}

function ratioConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = q(requests[name]);
  const lim = q(limits[name]);
  if (!req || req.isZero()) return `${name} max limit to request ratio per ${type} is ${enforced}, but no request is specified or request is 0`;
  if (!lim || lim.isZero()) return `${name} max limit to request ratio per ${type} is ${enforced}, but no limit is specified or limit is 0`;
  const observed = lim.asApproximateFloat64() / req.asApproximateFloat64();
  if (observed > enforced.asApproximateFloat64()) {
    return `${name} max limit to request ratio per ${type} is ${enforced}, but provided ratio is ${observed.toFixed(6)}`;
  }
  return undefined;
}

function checkBounds(item: any, type: string, requests: ResourceList, limits: ResourceList, out: string[]): void {
  const each = (list: unknown, check: (name: string, enforced: Quantity) => string | undefined) => {
    for (const [name, raw] of Object.entries((list as ResourceList) ?? {})) {
      const enforced = q(raw);
      const problem = enforced && check(name, enforced);
      if (problem) out.push(problem);
    }
  };
  each(item.min, (n, e) => minConstraint(type, n, e, requests, limits));
  each(item.max, (n, e) => maxConstraint(type, n, e, requests, limits));
  each(item.maxLimitRequestRatio, (n, e) => ratioConstraint(type, n, e, requests, limits));
}

/** The pod's effective requests or limits: containers summed, at least the largest init container. */
function podTotals(pod: KObject, which: 'requests' | 'limits'): ResourceList {
  const total = new Map<string, Quantity>();
  for (const c of pod.spec?.containers ?? []) {
    for (const [k, v] of Object.entries(c?.resources?.[which] ?? {})) {
      const x = q(v);
      if (x) total.set(k, total.get(k)?.add(x) ?? x);
    }
  }
  for (const c of pod.spec?.initContainers ?? []) {
    for (const [k, v] of Object.entries(c?.resources?.[which] ?? {})) {
      const x = q(v);
      const cur = total.get(k);
      if (x && (!cur || x.cmp(cur) > 0)) total.set(k, x);
    }
  }
  return Object.fromEntries([...total].map(([k, v]) => [k, v.toString()]));
}

/** PodValidateLimitFunc */
function podProblems(pod: KObject, ranges: KObject[]): string[] {
  const out: string[] = [];
  for (const item of itemsOfType(ranges, 'Container')) {
    for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
      checkBounds(item, 'Container', c?.resources?.requests ?? {}, c?.resources?.limits ?? {}, out);
    }
  }
  for (const item of itemsOfType(ranges, 'Pod')) checkBounds(item, 'Pod', podTotals(pod, 'requests'), podTotals(pod, 'limits'), out);
  return out;
}

/** PersistentVolumeClaimValidateLimitFunc */
function claimProblems(pvc: KObject, ranges: KObject[]): string[] {
  const out: string[] = [];
  const requests: ResourceList = pvc.spec?.resources?.requests ?? {};
  for (const item of itemsOfType(ranges, 'PersistentVolumeClaim')) {
    for (const [name, raw] of Object.entries(item.min ?? {})) {
      const enforced = q(raw);
      const problem = enforced && minConstraint('PersistentVolumeClaim', name, enforced, requests, {});
      if (problem) out.push(problem);
    }
    for (const [name, raw] of Object.entries(item.max ?? {})) {
      const enforced = q(raw);
      const problem = enforced && maxRequestConstraint('PersistentVolumeClaim', name, enforced, requests);
      if (problem) out.push(problem);
    }
  }
  return out;
}

export const limitRanger: AdmissionPlugin = {
  name: 'LimitRanger',
  operations: ['CREATE', 'UPDATE'],

  async admit(a, services) {
    if (!applies(a) || a.resource !== 'pods') return;
    const ranges = await limitRangesOf(a.namespace, services);
    if (ranges.length) defaultPod(a.object!, ranges);
  },

  async validate(a, services) {
    if (!applies(a)) return;
    const ranges = await limitRangesOf(a.namespace, services);
    if (!ranges.length) return;
    const problems = a.resource === 'pods' ? podProblems(a.object!, ranges) : claimProblems(a.object!, ranges);
    if (problems.length === 0) return;
    // utilerrors.NewAggregate: one error as it is, several in brackets
    const why = problems.length === 1 ? problems[0] : `[${problems.join(', ')}]`;
    throw errors.forbidden(a.group, a.resource, a.name, why);
  },
};
