// Node IPAM: gives every node without one a spec.podCIDR (and podCIDRs) from the cluster
// CIDR. The allocation map is rebuilt from the nodes before anything is handed out, so a
// restart never gives a taken range twice; a deleted node's range becomes free again.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { CoreV1Api } from '@kubernetes/client-node';
import { WorkQueue, runController } from '@skiff/common';
import type { Informer } from '@skiff/common';
import { apisFor, InformerSet, loggerFor, runnerDeps } from '../garbagecollector/context.ts';
import type { ControllerDeps, Stop } from '../garbagecollector/context.ts';
import { isNotFound } from '../../lib/api-errors.ts';
import { CidrAllocator } from './cidr-allocator.ts';

export interface NodeIpamConfig {
  /** --cluster-cidr, default 10.244.0.0/16 */
  clusterCidr: string;
  /** --node-cidr-mask-size, default 24 */
  nodeCidrMaskSize: number;
}

export const name = 'nodeipam';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

type NodeObj = {
  metadata: { name?: string; uid?: string; [k: string]: any };
  spec?: { podCIDR?: string; podCIDRs?: string[]; [k: string]: any };
  [k: string]: any;
};

export async function start(ctx: ControllerDeps<NodeIpamConfig>): Promise<Stop> {
  const log = loggerFor(ctx, name);
  const { core } = apisFor(ctx);
  const allocator = new CidrAllocator(ctx.config?.clusterCidr ?? '10.244.0.0/16', ctx.config?.nodeCidrMaskSize ?? 24);
  const informers = new InformerSet(ctx, log);
  const nodes = informers.on<NodeObj>('/api/v1/nodes', () => core.listNode());
  const queue = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: 30_000 });
  /** node name -> the range we gave it but the cache may not show yet */
  const inFlight = new Map<string, string>();
  // Ranges are marked taken as events arrive; workers start only after the first full
  // list, so every existing node's range is known before anything is handed out.
  const seen = (n: NodeObj) => {
    for (const c of cidrsOf(n)) allocator.occupy(c);
    queue.add(n.metadata.name!);
  };
  nodes.on({
    add: seen,
    update: seen,
    delete: (n) => {
      for (const c of cidrsOf(n)) allocator.release(c);
      inFlight.delete(n.metadata.name!);
    },
  });
  return runController({
    ...runnerDeps(ctx, informers),
    name,
    log,
    queue,
    workers: 1,
    reconcile: (nodeName) => assignPodCidr(core, nodes, allocator, inFlight, nodeName),
  });
}

function cidrsOf(n: NodeObj): string[] {
  return [...new Set([...(n.spec?.podCIDR ? [n.spec.podCIDR] : []), ...(n.spec?.podCIDRs ?? [])])];
}

export async function assignPodCidr(
  core: CoreV1Api,
  nodes: Informer<NodeObj>,
  allocator: CidrAllocator,
  inFlight: Map<string, string>,
  nodeName: string,
): Promise<void> {
  const node = nodes.get(nodeName);
  if (!node) return;
  const has = cidrsOf(node);
  if (has.length > 0) {
    for (const c of has) allocator.occupy(c);
    const pending = inFlight.get(nodeName);
    // someone else set a different range first: ours goes back to the pool
    if (pending && !has.includes(pending)) allocator.release(pending);
    inFlight.delete(nodeName);
    return;
  }
  if (inFlight.has(nodeName)) {
    // written, not yet seen: check the live node rather than allocate again
    const live = await core.readNode({ name: nodeName }).catch((e) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
    if (live && cidrsOf(live as NodeObj).length > 0) return;
    allocator.release(inFlight.get(nodeName)!);
    inFlight.delete(nodeName);
  }
  const cidr = allocator.allocate();
  inFlight.set(nodeName, cidr);
  try {
    // the uid guards against a node recreated under the same name in the meantime
    await core.patchNode({ name: nodeName, body: { metadata: { uid: node.metadata.uid }, spec: { podCIDR: cidr, podCIDRs: [cidr] } } }, mergePatch);
  } catch (e) {
    allocator.release(cidr);
    inFlight.delete(nodeName);
    if (isNotFound(e)) return;
    throw e;
  }
}
