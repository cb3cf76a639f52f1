// Which of a node's pods a kubelet shutting down with --drain-on-shutdown evicts. The choice is
// kubectl drain's with --ignore-daemonsets --delete-emptydir-data --force, because the node is
// going away whatever we choose:
// - mirror pods (static pods) are skipped: the API cannot move them, their manifest lives on
//   the node (kubectl drain always skips them);
// - DaemonSet pods are skipped: their controller would put them straight back, and they often
//   serve the node itself until it stops (--ignore-daemonsets);
// - pods with emptyDir volumes and pods no controller owns are evicted: kubectl drain wants
//   --delete-emptydir-data and --force for them, but here the data and the pod are lost with
//   the node anyway, and the eviction still lets a PodDisruptionBudget refuse;
// - finished pods (Succeeded, Failed) are left, unlike kubectl drain, which deletes them: they
//   hold nothing, and their record (a Job's outcome) is worth keeping;
// - pods already being deleted are not evicted again, but waited for like the evicted ones.
import type { V1Pod } from '@kubernetes/client-node';

export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

export interface SkippedPod {
  pod: V1Pod;
  reason: string;
}

export interface DrainPlan {
  /** pods to evict through the eviction API */
  evict: V1Pod[];
  /** pods being deleted already: the drain waits for them too */
  terminating: V1Pod[];
  /** pods left running, and why */
  skipped: SkippedPod[];
}

/** namespace/name, as logs and events name a pod. */
export function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

function controllerKind(pod: V1Pod): string | undefined {
  return pod.metadata?.ownerReferences?.find((o) => o.controller)?.kind;
}

/** Why `pod` stays on the node, or undefined when it is to go. */
function skipReason(pod: V1Pod): string | undefined {
  if (pod.metadata?.annotations && MIRROR_POD_ANNOTATION in pod.metadata.annotations) return 'mirror pod';
  if (controllerKind(pod) === 'DaemonSet') return 'DaemonSet pod';
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return `finished (${phase})`;
  return undefined;
}

export function drainPlan(pods: readonly V1Pod[]): DrainPlan {
  const plan: DrainPlan = { evict: [], terminating: [], skipped: [] };
  for (const pod of pods) {
    const reason = skipReason(pod);
    if (reason) plan.skipped.push({ pod, reason });
    else if (pod.metadata?.deletionTimestamp) plan.terminating.push(pod);
    else plan.evict.push(pod);
  }
  const byKey = (a: V1Pod, b: V1Pod) => podKey(a).localeCompare(podKey(b));
  plan.evict.sort(byKey);
  plan.terminating.sort(byKey);
  plan.skipped.sort((a, b) => byKey(a.pod, b.pod));
  return plan;
}

/**
 * The grace period an eviction asks for: the pod's own (the delete default), but no longer
 * than what is left of the shutdown budget, so that the kubelet can still kill the pod in
 * time; at least 1 s, since 0 would delete the pod from the API before it is killed.
 */
export function evictionGraceSeconds(pod: V1Pod, remainingMs: number): number {
  const own = pod.spec?.terminationGracePeriodSeconds ?? 30;
  return Math.max(1, Math.min(own, Math.floor(remainingMs / 1000)));
}
