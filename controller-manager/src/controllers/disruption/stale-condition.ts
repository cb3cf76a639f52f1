// A pod marked DisruptionTarget=True (by an eviction, preemption, the taint manager) that is
// still not being deleted after two minutes was not disrupted after all: the disruption
// controller sets the condition back to False (upstream nonTerminatingPodHasStaleDisruptionCondition).
import type { V1Pod, V1PodCondition } from '@kubernetes/client-node';

export const stalePodDisruptionTimeoutMs = 2 * 60 * 1000;

/** Milliseconds until the pod's DisruptionTarget condition counts as stale (0: it is); undefined when it never will. */
export function staleDisruptionDelayMs(pod: V1Pod, nowMs: number, timeoutMs = stalePodDisruptionTimeoutMs): number | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined;
  const c = pod.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
  // the kubelet's own marking may take arbitrarily long to end in termination; finished pods keep theirs
  if (c?.status !== 'True' || c.reason === 'TerminationByKubelet') return undefined;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return undefined;
  const since = c.lastTransitionTime ? new Date(c.lastTransitionTime).getTime() : nowMs;
  return Math.max(0, timeoutMs - (nowMs - since));
}

/** The pod's conditions with DisruptionTarget replaced by a bare False one (podutil.UpdatePodCondition). */
export function withDisruptionTargetCleared(conditions: readonly V1PodCondition[], now: Date): V1PodCondition[] {
  return conditions.map((c) => (c.type === 'DisruptionTarget' ? { type: 'DisruptionTarget', status: 'False', lastTransitionTime: now } : c));
}
