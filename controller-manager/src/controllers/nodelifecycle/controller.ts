// Node lifecycle: watches node Leases (kube-node-lease) and node status heartbeats. A node
// silent for longer than the grace period is marked Ready=Unknown and its pods not ready;
// the node's Ready status drives the not-ready / unreachable taints; pods that do not
// tolerate a NoExecute taint are evicted once their tolerationSeconds have run out.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { CoreV1Api, V1Node, V1Pod } from '@kubernetes/client-node';
import { WorkQueue, runController } from '@skiff/common';
import type { Informer, Logger } from '@skiff/common';
import { apisFor, InformerSet, loggerFor, runnerDeps } from '../garbagecollector/context.ts';
import type { ControllerDeps, Stop } from '../garbagecollector/context.ts';
import { isConflict, isNotFound } from '../../lib/api-errors.ts';
import { desiredTaints, evictionDelayMs, readyStatus, sameTaints, unknownConditions } from './health.ts';
import type { NodeLike } from './health.ts';

export interface NodeLifecycleConfig {
  /** --node-monitor-grace-period: silence before a node is Unknown (default 40 s) */
  nodeMonitorGracePeriodSeconds: number;
  /** --node-monitor-period: how often every node is checked (default 5 s) */
  nodeMonitorPeriodSeconds: number;
  /** replaces the apiserver's default 300 s unreachable/not-ready tolerations (tests) */
  defaultTolerationSecondsOverride: number;
}

export const name = 'nodelifecycle';
const LEASE_NAMESPACE = 'kube-node-lease';
export const PODS_BY_NODE = 'spec.nodeName';
export const podsByNode = (p: Obj): string[] => (p.spec?.nodeName ? [p.spec.nodeName] : []);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

type Obj = {
  metadata: { name?: string; namespace?: string; uid?: string; deletionTimestamp?: any; [k: string]: any };
  spec?: any;
  status?: any;
  [k: string]: any;
};

/** When we last saw each node show signs of life, by our own clock (immune to skew). */
export class HeartbeatTracker {
  /** `node kind` -> the last renewTime / lastHeartbeatTime seen */
  private readonly marks = new Map<string, string>();
  private readonly lastSeen = new Map<string, number>();
  private readonly now: () => number;
  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** A changed mark is a sign of life; the first sighting starts the clock too. */
  observe(node: string, mark: string, kind: 'lease' | 'status'): void {
    const key = `${node} ${kind}`;
    if (this.marks.get(key) === mark && this.lastSeen.has(node)) return;
    this.marks.set(key, mark);
    this.lastSeen.set(node, this.now());
  }

  /** ms since the node last renewed its lease or posted a new heartbeat. */
  silentForMs(node: string): number {
    const at = this.lastSeen.get(node);
    if (at === undefined) {
      this.lastSeen.set(node, this.now());
      return 0;
    }
    return this.now() - at;
  }

  forget(node: string): void {
    this.lastSeen.delete(node);
    this.marks.delete(`${node} lease`);
    this.marks.delete(`${node} status`);
  }
}

export async function start(ctx: ControllerDeps<NodeLifecycleConfig>): Promise<Stop> {
  const log = loggerFor(ctx, name);
  const { core, coordination } = apisFor(ctx);
  const informers = new InformerSet(ctx, log);
  const nodes = informers.on<Obj>('/api/v1/nodes', () => core.listNode());
  const leases = informers.on<Obj>(`/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`, () =>
    coordination.listNamespacedLease({ namespace: LEASE_NAMESPACE }),
  );
  const pods = informers.on<Obj>('/api/v1/pods', () => core.listPodForAllNamespaces());
  // every node is synced every 5 s and on each of its pods' events: a node's pods are looked up
  // by an index, not by filtering every pod of the cluster (1,000 nodes x 10,000 pods was the
  // controller-manager's whole CPU in the density run)
  pods.addIndex(PODS_BY_NODE, podsByNode);
  const queue = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: 10_000 });
  const heartbeats = new HeartbeatTracker();
  const settings = {
    graceMs: (ctx.config?.nodeMonitorGracePeriodSeconds ?? 40) * 1000,
    ...(ctx.config?.defaultTolerationSecondsOverride !== undefined ? { defaultTolerationSeconds: ctx.config.defaultTolerationSecondsOverride } : {}),
  };

  const nodeSeen = (n: Obj) => {
    const ready = (n.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
    heartbeats.observe(n.metadata.name!, timeMark(ready?.lastHeartbeatTime), 'status');
    queue.add(n.metadata.name!);
  };
  nodes.on({ add: nodeSeen, update: nodeSeen, delete: (n) => heartbeats.forget(n.metadata.name!) });
  const leaseSeen = (l: Obj) => {
    heartbeats.observe(l.metadata.name!, timeMark(l.spec?.renewTime), 'lease');
    queue.add(l.metadata.name!);
  };
  leases.on({ add: leaseSeen, update: leaseSeen });
  // a pod landing on a tainted node is subject to eviction as well
  const podSeen = (p: Obj) => {
    if (p.spec?.nodeName) queue.add(p.spec.nodeName);
  };
  pods.on({ add: podSeen, update: podSeen });

  const periodMs = (ctx.config?.nodeMonitorPeriodSeconds ?? 5) * 1000;
  const timer = setInterval(() => {
    for (const n of nodes.list()) queue.add(n.metadata.name!);
  }, periodMs);
  timer.unref();
  const stop = runController({
    ...runnerDeps(ctx, informers),
    name,
    log,
    queue,
    workers: 5,
    reconcile: (nodeName) => syncNode(core, log, nodes, pods, heartbeats, settings, nodeName),
  });
  return async () => {
    clearInterval(timer);
    await stop();
  };
}

/**
 * A timestamp as a comparable mark: the informer's list (client-node) hands out Dates,
 * its watch events the wire's strings, and the same instant must not look like news.
 */
function timeMark(t: unknown): string {
  if (t instanceof Date) return String(t.getTime());
  if (typeof t !== 'string' || t === '') return '';
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? t : String(ms);
}

export async function syncNode(
  core: CoreV1Api,
  log: Logger,
  nodes: Informer<Obj>,
  pods: Informer<Obj>,
  heartbeats: HeartbeatTracker,
  settings: { graceMs: number; defaultTolerationSeconds?: number },
  nodeName: string,
): Promise<void | { requeueAfterMs: number }> {
  const cached = nodes.get(nodeName);
  if (!cached) return;
  const now = new Date();
  const nowIso = now.toISOString().replace(/\.\d+Z$/, 'Z');
  let node: NodeLike & Obj = cached as NodeLike & Obj;
  const silentMs = heartbeats.silentForMs(nodeName);

  // 1. a silent node goes Unknown, and its pods stop being Ready
  const hasReady = node.status?.conditions?.some((c: any) => c.type === 'Ready');
  if (silentMs > settings.graceMs && (readyStatus(node) !== 'Unknown' || !hasReady)) {
    const live = await core.readNode({ name: nodeName }).catch((e) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
    if (!live) return;
    log.info('node stopped posting status', { node: nodeName, silentSeconds: Math.round(silentMs / 1000) });
    const body = { ...live, status: { ...live.status, conditions: unknownConditions(live as NodeLike, nowIso) } } as V1Node;
    node = (await core.replaceNodeStatus({ name: nodeName, body })) as NodeLike & Obj;
  }
  const nodePods = pods.byIndex(PODS_BY_NODE, nodeName);
  if (readyStatus(node) === 'Unknown') await markPodsNotReady(core, nodePods, nowIso);

  // 2. taints follow the Ready status
  const taints = desiredTaints(node, nowIso);
  if (!sameTaints(taints, node.spec?.taints ?? [])) {
    log.info('updating node taints', { node: nodeName, taints: taints.map((t) => `${t.key}:${t.effect}`) });
    node = (await core.patchNode(
      { name: nodeName, body: { metadata: { resourceVersion: node.metadata.resourceVersion }, spec: { taints } } },
      mergePatch,
    )) as NodeLike & Obj;
  }

  // 3. evict what does not tolerate the NoExecute taints, each pod when its time is up
  let next = Infinity;
  const noExecute = (node.spec?.taints ?? []).filter((t: any) => t.effect === 'NoExecute');
  if (noExecute.length > 0) {
    for (const pod of nodePods) {
      if (pod.metadata.deletionTimestamp) continue;
      const delay = evictionDelayMs(pod.spec?.tolerations ?? [], noExecute, now.getTime(), settings.defaultTolerationSeconds);
      if (delay > 0) {
        next = Math.min(next, delay);
        continue;
      }
      log.info('evicting pod from tainted node', { node: nodeName, namespace: pod.metadata.namespace, pod: pod.metadata.name });
      await core
        .deleteNamespacedPod({
          name: pod.metadata.name!,
          namespace: pod.metadata.namespace!,
          body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: pod.metadata.uid! } },
        })
        .catch((e) => {
          if (!isNotFound(e) && !isConflict(e)) throw e;
        });
    }
  }
  // come back when the node would cross the grace period, or the next eviction is due
  if (readyStatus(node) !== 'Unknown') next = Math.min(next, Math.max(settings.graceMs - silentMs, 0) + 100);
  return Number.isFinite(next) ? { requeueAfterMs: Math.max(next, 50) } : undefined;
}

async function markPodsNotReady(core: CoreV1Api, pods: readonly Obj[], nowIso: string): Promise<void> {
  for (const pod of pods) {
    const conditions: any[] = pod.status?.conditions ?? [];
    if (!conditions.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
    const next = conditions.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', reason: 'NodeNotReady', lastTransitionTime: nowIso } : c));
    const body = { ...pod, status: { ...pod.status, conditions: next } } as V1Pod;
    await core.replaceNamespacedPodStatus({ name: pod.metadata.name!, namespace: pod.metadata.namespace!, body }).catch((e) => {
      if (!isNotFound(e)) throw e;
    });
  }
}
