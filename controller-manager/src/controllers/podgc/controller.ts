// Pod garbage collection (upstream pkg/controller/podgc), the orphan half: a pod bound to a
// Node that no longer exists has no kubelet to finish it, so it would stay Running or
// Terminating forever. After the node has been missing from the cache for a quarantine
// period, and the apiserver confirms it is gone, the pod is deleted at once (grace 0).
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { apisFor, InformerSet, loggerFor } from '../garbagecollector/context.ts';
import type { ControllerDeps, Stop } from '../garbagecollector/context.ts';
import { isNotFound } from '../../lib/api-errors.ts';

export interface PodGcConfig {
  /** how often orphans are looked for (upstream gcCheckPeriod: 20 s) */
  podGcPeriodSeconds: number;
  /** how long a node must be missing before its pods go (upstream: 40 s) */
  podGcQuarantineSeconds: number;
}

export const name = 'pod-garbage-collector';

export async function start(ctx: ControllerDeps<PodGcConfig>): Promise<Stop> {
  const log = loggerFor(ctx, name);
  const { core } = apisFor(ctx);
  const informers = new InformerSet(ctx, log);
  const pods = informers.on<V1Pod>('/api/v1/pods', () => core.listPodForAllNamespaces());
  const nodes = informers.on<V1Node>('/api/v1/nodes', () => core.listNode());
  const periodMs = (ctx.config?.podGcPeriodSeconds ?? 20) * 1000;
  const quarantineMs = (ctx.config?.podGcQuarantineSeconds ?? 40) * 1000;
  /** node name -> when it was first seen missing */
  const missingSince = new Map<string, number>();

  const nodeGone = async (node: string): Promise<boolean> => {
    try {
      await core.readNode({ name: node });
      return false;
    } catch (e) {
      if (isNotFound(e)) return true;
      throw e;
    }
  };

  const collect = async (): Promise<void> => {
    const now = Date.now();
    const orphans = new Map<string, V1Pod[]>();
    for (const pod of pods.list()) {
      const node = pod.spec?.nodeName;
      if (!node || nodes.get(node)) continue;
      orphans.set(node, [...(orphans.get(node) ?? []), pod]);
    }
    for (const node of missingSince.keys()) if (!orphans.has(node)) missingSince.delete(node);
    for (const [node, list] of orphans) {
      const since = missingSince.get(node) ?? now;
      missingSince.set(node, since);
      // the cache may lag a node that was just created: wait, then ask the apiserver itself
      if (now - since < quarantineMs || !(await nodeGone(node))) continue;
      for (const pod of list) await forceDelete(pod, node);
    }
  };

  const forceDelete = async (pod: V1Pod, node: string): Promise<void> => {
    const { namespace, name: podName, uid } = pod.metadata!;
    try {
      await core.deleteNamespacedPod({ name: podName!, namespace: namespace!, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid } } });
      log.info('deleted orphaned pod', { pod: `${namespace}/${podName}`, node });
    } catch (e) {
      if (!isNotFound(e)) log.warn('could not delete orphaned pod', { pod: `${namespace}/${podName}`, node, err: (e as Error).message });
    }
  };

  informers.start();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    await Promise.all(informers.all.map((i) => i.waitForSync()));
    while (!stopped) {
      await collect().catch((e: unknown) => log.warn('pod garbage collection failed', { err: (e as Error).message }));
      await new Promise<void>((r) => {
        timer = setTimeout(r, periodMs);
      });
    }
  };
  const running = loop();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    informers.stop();
    await Promise.race([running, new Promise((r) => setTimeout(r, 1000))]);
  };
}
