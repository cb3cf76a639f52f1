// ResourceQuota controller (upstream pkg/controller/resourcequota): sets status.hard from
// spec.hard and recomputes status.used from what the namespace holds, on every quota change,
// on changes of the objects quotas count (replenishment) and in a periodic full resync.
//
// The ResourceQuota admission plugin charges status.used *before* an object is stored, so a
// recount can briefly see a charge whose object is not stored yet. Raising usage is always
// safe; lowering it is written only once the quota has not been charged for a settle period
// (its resourceVersion unchanged), so a recount never undoes an in-flight charge and lets a
// concurrent create past the limit.
import type { KubernetesObject, V1ResourceQuota } from '@kubernetes/client-node';
import { WorkQueue, keyOf, runController, splitKey } from '@skiff/common';
import { tryParseQuantity } from '@skiff/common/apimachinery/quantity';
import { apisFor, InformerSet, loggerFor, runnerDeps } from '../garbagecollector/context.ts';
import type { Apis, ControllerDeps, Stop } from '../garbagecollector/context.ts';
import { type ApiResource, discoverResources } from '../garbagecollector/discovery.ts';
import { isConflict, isNotFound } from '../../lib/api-errors.ts';
import { type GroupResource, collectionsFor, computeUsed } from './usage.ts';

export interface ResourceQuotaConfig {
  /** --resource-quota-sync-period: full recount of every quota */
  resourceQuotaSyncPeriodSeconds: number;
  /** how long a quota must go uncharged before a recount may lower its usage */
  resourceQuotaSettleSeconds: number;
  concurrentResourceQuotaSyncs: number;
}

export const name = 'resourcequota';

type Obj = KubernetesObject & { status?: any; spec?: any };

/** Kinds whose changes can change a quota's usage; others are caught by the periodic resync. */
const replenished: { path: string; list: (a: Apis) => Promise<any> }[] = [
  { path: '/api/v1/pods', list: (a) => a.core.listPodForAllNamespaces() },
  { path: '/api/v1/services', list: (a) => a.core.listServiceForAllNamespaces() },
  { path: '/api/v1/configmaps', list: (a) => a.core.listConfigMapForAllNamespaces() },
  { path: '/api/v1/secrets', list: (a) => a.core.listSecretForAllNamespaces() },
];

function sameList(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean {
  const ka = Object.keys(a ?? {}).sort();
  const kb = Object.keys(b ?? {}).sort();
  if (ka.join('\0') !== kb.join('\0')) return false;
  return ka.every((k) => {
    const x = tryParseQuantity(a![k]);
    const y = tryParseQuantity(b![k]);
    return x !== undefined && y !== undefined && x.cmp(y) === 0;
  });
}

/** Names whose recount is below what the status says (a release, or an in-flight charge). */
function decreases(current: Record<string, unknown>, computed: Record<string, string>): string[] {
  return Object.keys(computed).filter((k) => {
    const cur = tryParseQuantity(current[k]);
    const next = tryParseQuantity(computed[k]);
    return cur !== undefined && next !== undefined && next.cmp(cur) < 0;
  });
}

export async function start(ctx: ControllerDeps<ResourceQuotaConfig>): Promise<Stop> {
  const log = loggerFor(ctx, name);
  const apis = apisFor(ctx);
  const { core, objects } = apis;
  const informers = new InformerSet(ctx, log);
  const quotas = informers.on<V1ResourceQuota>('/api/v1/resourcequotas', () => core.listResourceQuotaForAllNamespaces());
  const queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 30_000 });
  const settleMs = (ctx.config?.resourceQuotaSettleSeconds ?? 2) * 1000;
  const resyncMs = (ctx.config?.resourceQuotaSyncPeriodSeconds ?? 300) * 1000;

  const enqueueNamespace = (o: Obj) => {
    for (const q of quotas.list(o.metadata?.namespace)) queue.add(keyOf(q));
  };
  quotas.on({ add: (q) => queue.add(keyOf(q)), update: (q) => queue.add(keyOf(q)) });
  for (const r of replenished) {
    const inf = informers.on<Obj>(r.path, () => r.list(apis));
    inf.on({ add: enqueueNamespace, update: enqueueNamespace, delete: enqueueNamespace });
  }

  let discovered: ApiResource[] | undefined;
  const resourceInfo = async (gr: GroupResource): Promise<ApiResource | undefined> => {
    const find = () => discovered?.find((r) => r.group === gr.group && r.resource === gr.resource);
    if (!find()) discovered = await discoverResources(apis, () => {});
    return find();
  };

  const listCollections = async (namespace: string, needed: GroupResource[]): Promise<Map<string, any[]>> => {
    const out = new Map<string, any[]>();
    for (const gr of needed) {
      const info = await resourceInfo(gr);
      if (!info?.namespaced) continue; // not served: nothing to count
      const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
      const list = await objects.list(apiVersion, info.kind, namespace);
      out.set(`${gr.group}/${gr.resource}`, list.items);
    }
    return out;
  };

  /** quota key → the resourceVersion at which a lowering recount was first seen, and when */
  const pendingLower = new Map<string, { rv: string; since: number }>();

  const sync = async (key: string) => {
    const { namespace, name: quotaName } = splitKey(key);
    let quota: V1ResourceQuota;
    try {
      // read live, before counting: a charge made after this read changes the resourceVersion
      // and makes our write conflict
      quota = await core.readNamespacedResourceQuota({ name: quotaName, namespace: namespace! });
    } catch (e) {
      if (isNotFound(e)) {
        pendingLower.delete(key);
        return;
      }
      throw e;
    }
    const hard = (quota.spec?.hard ?? {}) as Record<string, unknown>;
    const objectsByCollection = await listCollections(namespace!, collectionsFor(Object.keys(hard)));
    const computed = computeUsed(quota, objectsByCollection);
    const currentUsed = (quota.status?.used ?? {}) as Record<string, unknown>;
    const lowered = decreases(currentUsed, computed);
    const rv = quota.metadata!.resourceVersion!;
    let used = computed;
    let requeueAfterMs: number | undefined;
    if (lowered.length) {
      const pending = pendingLower.get(key);
      if (pending?.rv === rv && Date.now() - pending.since >= settleMs) pendingLower.delete(key);
      else {
        if (pending?.rv !== rv) pendingLower.set(key, { rv, since: Date.now() });
        used = { ...computed };
        for (const k of lowered) used[k] = String(currentUsed[k]);
        requeueAfterMs = settleMs;
      }
    } else pendingLower.delete(key);
    if (sameList(quota.status?.hard as any, hard) && sameList(currentUsed, used)) return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
    const body = { ...quota, status: { hard: { ...hard }, used } } as V1ResourceQuota;
    await core.replaceNamespacedResourceQuotaStatus({ name: quotaName, namespace: namespace!, body });
    pendingLower.delete(key);
    log.debug('quota status updated', { quota: key, used });
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  };

  const resync = setInterval(() => {
    for (const q of quotas.list()) queue.add(keyOf(q));
  }, resyncMs);
  resync.unref();

  const stop = runController({
    ...runnerDeps(ctx, informers),
    name,
    log,
    queue,
    workers: ctx.config?.concurrentResourceQuotaSyncs ?? 5,
    reconcile: sync,
    isRoutine: isConflict,
  });
  return async () => {
    clearInterval(resync);
    await stop();
  };
}
