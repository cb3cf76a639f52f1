// ResourceQuota: a create that would take a namespace's usage past a quota's hard limit is
// refused with 403 "exceeded quota"; one that fits is charged to the quota's status.used
// before the object is stored, with resourceVersion-checked writes retried on conflict, as
// upstream's quota evaluator does (staging/.../admission/plugin/resourcequota). Concurrent
// creates therefore cannot overshoot: each charge is a compare-and-swap on the quota. A create
// that fails after being charged leaves usage high until the quota controller recomputes it.
import { ApiError, errors } from '../../errors.ts';
import type { Store } from '../../registry/store.ts';
import type { KObject } from '../../registry/types.ts';
import { type Quantity, tryParseQuantity } from '@skiff/common/apimachinery/quantity';
import { type Usage, addUsage, maskUsage, quotaMatches, usageFromList, usageOf, usageToList } from '@skiff/common/quota/usage';
import type { AdmissionAttributes, AdmissionPlugin, AdmissionServices } from '../interface.ts';

const quotaWriter = { name: 'system:apiserver:resourcequota', groups: ['system:masters'] };
const maxAttempts = 100;

/** Resources a pod quota makes every container state (the evaluator's validationSet). */
const mustBeStated: Record<string, 'requests' | 'limits'> = {
  cpu: 'requests',
  memory: 'requests',
  'requests.cpu': 'requests',
  'requests.memory': 'requests',
  'limits.cpu': 'limits',
  'limits.memory': 'limits',
};

/** Charges within this process go one at a time per namespace: fewer conflicts, same safety. */
const namespaceLocks = new Map<string, Promise<void>>();

async function withNamespaceLock<T>(namespace: string, fn: () => Promise<T>): Promise<T> {
  const prev = namespaceLocks.get(namespace) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => {
    release = r;
  });
  const tail = prev.then(() => mine);
  namespaceLocks.set(namespace, tail);
  await prev;
  try {
    return await fn();
  } finally {
    release();
    if (namespaceLocks.get(namespace) === tail) namespaceLocks.delete(namespace);
  }
}

/** "a=1,b=2" with sorted names, as upstream's prettyPrint. */
function pretty(u: Usage): string {
  return Object.entries(usageToList(u))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** podEvaluator.Constraints: with cpu or memory quota'd, every container must state it. */
function podConstraintProblem(pod: KObject, hardNames: string[]): string | undefined {
  const missing = new Map<string, string[]>();
  for (const name of hardNames) {
    const which = mustBeStated[name];
    if (!which) continue;
    const resource = name.includes('.') ? name.split('.')[1] : name;
    for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
      if (c?.resources?.[which]?.[resource] === undefined) missing.set(name, [...(missing.get(name) ?? []), c?.name ?? '']);
    }
  }
  if (missing.size === 0) return undefined;
  const parts = [...missing.keys()].sort().map((k) => `${k} for: ${[...new Set(missing.get(k))].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

function quotasStore(services: AdmissionServices): Store | undefined {
  return services.registry.store('', 'v1', 'resourcequotas');
}

interface Charge {
  quota: KObject;
  newUsed: Usage;
}

/** Checks every matching quota; returns the status writes to make, or throws 403. */
function planCharges(a: AdmissionAttributes, quotas: KObject[], skip: Set<string>): Charge[] {
  const obj = a.object!;
  const delta = deltaUsage(a);
  const forbidden = (why: string) => errors.forbidden(a.group, a.resource, a.name, why);
  const charges: Charge[] = [];
  for (const quota of quotas) {
    const name = quota.metadata.name!;
    if (skip.has(name)) continue;
    const hardList: Record<string, unknown> = quota.status?.hard ?? {};
    if (!quotaMatches(quota, a.group, a.resource, obj, hardList)) continue;
    const hardNames = Object.keys(hardList);
    if (a.group === '' && a.resource === 'pods') {
      const problem = podConstraintProblem(obj, hardNames);
      if (problem) throw forbidden(`failed quota: ${name}: ${problem}`);
    }
    const requested = maskUsage(delta, hardNames);
    if (requested.size === 0) continue;
    const usedList: Record<string, unknown> = quota.status?.used ?? {};
    const unknown = [...requested.keys()].filter((k) => usedList[k] === undefined).sort();
    if (unknown.length) throw forbidden(`status unknown for quota: ${name}, resources: ${unknown.join(',')}`);
    const used = usageFromList(usedList);
    const next = addUsage(used, requested);
    const exceeded: string[] = [];
    for (const [k, want] of next) {
      const hard: Quantity | undefined = tryParseQuantity(hardList[k]);
      if (hard && requested.has(k) && want.cmp(hard) > 0) exceeded.push(k);
    }
    if (exceeded.length) {
      const hard = usageFromList(hardList as Record<string, string>);
      throw forbidden(
        `exceeded quota: ${name}, requested: ${pretty(maskUsage(requested, exceeded))}, used: ${pretty(maskUsage(used, exceeded))}, limited: ${pretty(maskUsage(hard, exceeded))}`,
      );
    }
    charges.push({ quota, newUsed: addUsage(used, requested) });
  }
  return charges;
}

async function writeCharge(store: Store, c: Charge): Promise<void> {
  const updated = structuredClone(c.quota);
  updated.status = { ...(updated.status ?? {}), used: { ...(updated.status?.used ?? {}), ...usageToList(c.newUsed) } };
  // the quota's resourceVersion makes this a compare-and-swap: a concurrent charge conflicts
  await store.update(c.quota.metadata.namespace, c.quota.metadata.name!, updated, { user: quotaWriter, subresource: 'status' });
}

/** Kinds whose updates can use more quota (a Service turned NodePort); the rest are charged on create only. */
const chargedOnUpdate = new Set(['/services', '/persistentvolumeclaims']);

function handles(a: AdmissionAttributes): boolean {
  if (a.subresource !== '' || !a.object || !a.namespace) return false;
  return a.operation === 'CREATE' || (a.operation === 'UPDATE' && chargedOnUpdate.has(`${a.group}/${a.resource}`) && !!a.oldObject);
}

/** What the request adds: the object's usage, less what the old object already used (never negative). */
function deltaUsage(a: AdmissionAttributes): Usage {
  const usage = usageOf(a.group, a.resource, a.object);
  if (a.operation !== 'UPDATE' || !a.oldObject) return usage;
  const before = usageOf(a.group, a.resource, a.oldObject);
  const out: Usage = new Map();
  for (const [k, q] of usage) {
    const prev = before.get(k);
    const more = prev ? q.sub(prev) : q;
    if (more.sign > 0) out.set(k, more);
  }
  return out;
}

const isConflict = (e: unknown) => e instanceof ApiError && e.code === 409;

export const resourceQuota: AdmissionPlugin = {
  name: 'ResourceQuota',
  operations: ['CREATE', 'UPDATE'],

  async validate(a, services) {
    if (!handles(a)) return;
    const store = quotasStore(services);
    if (!store) return;
    // most namespaces have no quota: the watch cache says so without a lock or an etcd read.
    // A quota the cache has not seen yet has no status.hard either (the controller sets it),
    // so it would not be enforced anyway.
    const cached = await store.list(a.namespace, { resourceVersion: '0' });
    if (!cached.items.some((q) => quotaMatches(q, a.group, a.resource, a.object, q.status?.hard ?? {}))) return;
    await withNamespaceLock(a.namespace, async () => {
      const charged = new Set<string>();
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        // a consistent read: the cache may lag behind the last charge
        const { items } = await store.list(a.namespace, {});
        const charges = planCharges(a, items, charged);
        if (a.dryRun || charges.length === 0) return;
        try {
          for (const c of charges.sort((x, y) => (x.quota.metadata.name! < y.quota.metadata.name! ? -1 : 1))) {
            await writeCharge(store, c);
            charged.add(c.quota.metadata.name!);
          }
          return;
        } catch (e) {
          if (!isConflict(e)) throw e;
        }
      }
      throw errors.conflict(a.group, a.resource, a.name, 'too many concurrent changes to the resource quotas of this namespace; please try again');
    });
  },
};
