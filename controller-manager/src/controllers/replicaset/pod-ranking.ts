// Which pods a ReplicaSet deletes first when it scales down (upstream ActivePodsWithRanks):
// the least useful first, i.e. unscheduled, then pending, then not ready, then a lower
// pod-deletion-cost, then pods doubled up on a node, then ready for less time, then more
// restarts, then the newest.
import type { V1Pod } from '@kubernetes/client-node';
import { podReadyCondition, isPodReady } from '../../lib/pods.ts';

const phaseOrder: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const deletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';

export interface RankedPod {
  pod: V1Pod;
  rank: number;
}

function time(v: Date | string | undefined): number | undefined {
  return v === undefined ? undefined : new Date(v).getTime();
}

function deletionCost(pod: V1Pod): number {
  const v = Number(pod.metadata?.annotations?.[deletionCostAnnotation]);
  return Number.isInteger(v) ? v : 0;
}

function restarts(pod: V1Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
}

/** Negative when `a` should be deleted before `b`. */
export function compareForDeletion(a: RankedPod, b: RankedPod): number {
  const pa = a.pod,
    pb = b.pod;
  const na = pa.spec?.nodeName ?? '',
    nb = pb.spec?.nodeName ?? '';
  if ((na === '') !== (nb === '')) return na === '' ? -1 : 1;
  const phA = phaseOrder[pa.status?.phase ?? ''] ?? 0,
    phB = phaseOrder[pb.status?.phase ?? ''] ?? 0;
  if (phA !== phB) return phA - phB;
  const ra = isPodReady(pa),
    rb = isPodReady(pb);
  if (ra !== rb) return ra ? 1 : -1;
  const ca = deletionCost(pa),
    cb = deletionCost(pb);
  if (ca !== cb) return ca - cb;
  if (a.rank !== b.rank) return b.rank - a.rank;
  if (ra && rb) {
    const ta = time(podReadyCondition(pa)?.lastTransitionTime),
      tb = time(podReadyCondition(pb)?.lastTransitionTime);
    if (ta !== tb) {
      if (ta === undefined) return -1;
      if (tb === undefined) return 1;
      return tb - ta; // ready more recently goes first
    }
  }
  const rsA = restarts(pa),
    rsB = restarts(pb);
  if (rsA !== rsB) return rsB - rsA;
  const cta = time(pa.metadata?.creationTimestamp),
    ctb = time(pb.metadata?.creationTimestamp);
  if (cta !== ctb) {
    if (cta === undefined) return -1;
    if (ctb === undefined) return 1;
    return ctb - cta; // newer first
  }
  return (pa.metadata?.name ?? '').localeCompare(pb.metadata?.name ?? '');
}

/**
 * The `count` pods to delete. A pod's rank is how many `related` pods (those of the owner and
 * of its sibling ReplicaSets) share its node, so that scale-down spreads the survivors.
 */
export function podsToDelete(filtered: readonly V1Pod[], related: readonly V1Pod[], count: number): V1Pod[] {
  if (count >= filtered.length) return [...filtered];
  const perNode = new Map<string, number>();
  for (const p of related) {
    const node = p.spec?.nodeName;
    if (node) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const ranked = filtered.map((pod) => ({ pod, rank: pod.spec?.nodeName ? (perNode.get(pod.spec.nodeName) ?? 0) : 0 }));
  ranked.sort(compareForDeletion);
  return ranked.slice(0, count).map((r) => r.pod);
}
