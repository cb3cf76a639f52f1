// Pod predicates shared by the controllers (podutil.IsPodReady, IsPodAvailable, IsPodActive).
import type { V1Pod, V1PodCondition } from '@kubernetes/client-node';

export function podReadyCondition(pod: V1Pod): V1PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: V1Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/** Ready for at least minReadySeconds (a pod ready with no transition time counts as just ready). */
export function isPodAvailable(pod: V1Pod, minReadySeconds: number, now: number = Date.now()): boolean {
  const c = podReadyCondition(pod);
  if (c?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = c.lastTransitionTime ? new Date(c.lastTransitionTime).getTime() : now;
  return since + minReadySeconds * 1000 <= now;
}

/** Neither finished nor being deleted: the pods that count towards replicas. */
export function isPodActive(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

export function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}
