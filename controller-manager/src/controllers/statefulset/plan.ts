// One sync's decisions for a StatefulSet (upstream stateful_set_control.go updateStatefulSet),
// as a list of actions the controller then carries out in order. OrderedReady ("monotonic")
// stops at the first action or at the first pod not yet Running, Ready and available;
// Parallel ("burst") goes on. Pure: the caller hands in pods, revisions and the clock.
import type { V1Pod, V1StatefulSet, V1StatefulSetStatus } from '@kubernetes/client-node';
import { scaledValue } from '@skiff/common/apimachinery/int-or-string';
import { isPodReady } from '../../lib/pods.ts';
import { isCondemned, ordinalOf, podRevision, replicaCount, startOrdinal } from './identity.ts';

export type Action =
  /** create the pod for this ordinal (claims first) from the current or the update revision */
  | { type: 'create'; ordinal: number; revision: 'current' | 'update' }
  /** delete a pod: finished (to recreate it), scaled away, or of an old revision */
  | { type: 'delete'; pod: V1Pod; why: 'failed' | 'succeeded' | 'condemned' | 'update' }
  /** restore identity labels, missing claims and claim owner references */
  | { type: 'repair'; pod: V1Pod };

export interface PlanInput {
  set: V1StatefulSet;
  pods: V1Pod[];
  currentRevision: string;
  updateRevision: string;
  /** whether the pod's identity, storage and claim owners are as they should be */
  inOrder(pod: V1Pod): boolean;
  /** whether a claim of the pod about to be created is still being deleted */
  claimIsStale(ordinal: number): boolean;
  now: number;
}

export interface Plan {
  actions: Action[];
  /** status counters after the actions (the controller adds revisions and generation) */
  status: Required<Pick<V1StatefulSetStatus, 'replicas' | 'readyReplicas' | 'availableReplicas' | 'currentReplicas' | 'updatedReplicas'>>;
  /** when a pod becomes available (minReadySeconds) or a stale claim may be gone */
  requeueAfterMs?: number;
}

const isCreated = (pod: V1Pod) => !!pod.status?.phase;
const isTerminating = (pod: V1Pod) => !!pod.metadata?.deletionTimestamp;
const isFailed = (pod: V1Pod) => pod.status?.phase === 'Failed';
const isSucceeded = (pod: V1Pod) => pod.status?.phase === 'Succeeded';
export const isRunningAndReady = (pod: V1Pod) => pod.status?.phase === 'Running' && isPodReady(pod);

/** Milliseconds until the pod has been ready for minReadySeconds (0: available now). */
function msUntilAvailable(pod: V1Pod, minReadySeconds: number, now: number): number {
  if (minReadySeconds <= 0) return 0;
  const since = pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime;
  const readyAt = since ? new Date(since).getTime() : now;
  return Math.max(0, readyAt + minReadySeconds * 1000 - now);
}

export function isRunningAndAvailable(pod: V1Pod, minReadySeconds: number, now: number): boolean {
  return isRunningAndReady(pod) && msUntilAvailable(pod, minReadySeconds, now) === 0;
}

const isHealthy = (pod: V1Pod) => isRunningAndReady(pod) && !isTerminating(pod);

/** maxUnavailable scaled to replicas, rounded up, and never below 1 (getStatefulSetMaxUnavailable). */
export function maxUnavailable(set: V1StatefulSet): number {
  const v = set.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
  return Math.max(1, scaledValue(v, replicaCount(set), true));
}

/** Whether a missing pod of this ordinal is made from the current revision (newVersionedStatefulSetPod). */
export function createsFromCurrent(set: V1StatefulSet, ordinal: number): boolean {
  const strategy = set.spec?.updateStrategy;
  if (strategy?.type !== 'RollingUpdate') return false;
  const start = startOrdinal(set);
  const partition = strategy.rollingUpdate?.partition;
  if (partition === undefined || partition === null) return ordinal < start + (set.status?.currentReplicas ?? 0);
  return ordinal < start + partition;
}

export function planStatefulSet(input: PlanInput): Plan {
  const { set, currentRevision, updateRevision, now } = input;
  const minReady = set.spec?.minReadySeconds ?? 0;
  const monotonic = (set.spec?.podManagementPolicy ?? 'OrderedReady') !== 'Parallel';
  const start = startOrdinal(set);
  const count = replicaCount(set);
  const status = { replicas: 0, readyReplicas: 0, availableReplicas: 0, currentReplicas: 0, updatedReplicas: 0 };
  const actions: Action[] = [];
  let requeueAfterMs: number | undefined;
  const requeue = (ms: number) => {
    requeueAfterMs = requeueAfterMs === undefined ? ms : Math.min(requeueAfterMs, ms);
  };
  const countRevision = (revision: string | undefined, delta: number) => {
    if (revision === currentRevision) status.currentReplicas += delta;
    if (revision === updateRevision) status.updatedReplicas += delta;
  };

  const replicas: Array<V1Pod | undefined> = new Array(count).fill(undefined);
  const condemned: V1Pod[] = [];
  for (const pod of input.pods) {
    if (isCreated(pod)) status.replicas++;
    if (isRunningAndReady(pod)) {
      status.readyReplicas++;
      if (isRunningAndAvailable(pod, minReady, now)) status.availableReplicas++;
    }
    if (isCreated(pod) && !isTerminating(pod)) countRevision(podRevision(pod), 1);
    const ordinal = ordinalOf(pod);
    if (ordinal >= start && ordinal < start + count) replicas[ordinal - start] = pod;
    else if (ordinal >= 0) condemned.push(pod);
  }
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
  const done = (): Plan => ({ actions, status, ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) });
  if (set.metadata?.deletionTimestamp) return done();

  // the first pod (missing ones included) that is not healthy: condemned pods wait behind it
  let firstUnhealthy: V1Pod | undefined;
  if (replicas.every((p) => p && isHealthy(p))) firstUnhealthy = [...condemned].reverse().find((p) => !isHealthy(p));

  for (let i = 0; i < count; i++) {
    const pod = replicas[i];
    const ordinal = start + i;
    if (pod && !isCreated(pod)) {
      // created but not yet given a phase: wait for it as for any pod not yet running
      if (monotonic) return done();
      continue;
    }
    if (!pod) {
      if (input.claimIsStale(ordinal)) {
        requeue(1000);
        return done();
      }
      const fromCurrent = createsFromCurrent(set, ordinal);
      actions.push({ type: 'create', ordinal, revision: fromCurrent ? 'current' : 'update' });
      status.replicas++;
      countRevision(fromCurrent ? currentRevision : updateRevision, 1);
      if (monotonic) return done();
      continue;
    }
    if (isFailed(pod) || isSucceeded(pod)) {
      // a finished pod is deleted; the next sync, once it is gone, creates it again
      if (!isTerminating(pod)) actions.push({ type: 'delete', pod, why: isFailed(pod) ? 'failed' : 'succeeded' });
      return done();
    }
    if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod))) return done();
    if (monotonic && !isRunningAndAvailable(pod, minReady, now)) {
      requeue(msUntilAvailable(pod, minReady, now) + 100);
      return done();
    }
    if (!isTerminating(pod) && !input.inOrder(pod)) actions.push({ type: 'repair', pod });
  }

  // claims of condemned pods get their owners (whenScaled) before the pods go
  for (const pod of condemned) if (!isTerminating(pod) && !input.inOrder(pod) && isCondemned(set, pod)) actions.push({ type: 'repair', pod });

  // scale down, highest ordinal first
  for (const pod of condemned) {
    if (isTerminating(pod)) {
      if (monotonic) return done();
      continue;
    }
    if (monotonic && pod !== firstUnhealthy) {
      if (!isRunningAndReady(pod)) return done();
      if (!isRunningAndAvailable(pod, minReady, now)) {
        requeue(msUntilAvailable(pod, minReady, now) + 100);
        return done();
      }
    }
    actions.push({ type: 'delete', pod, why: 'condemned' });
    status.replicas--;
    countRevision(podRevision(pod), -1);
    if (monotonic) return done();
  }

  if (set.spec?.updateStrategy?.type === 'OnDelete') return done();

  // RollingUpdate: replace old-revision pods from the highest ordinal down to the partition,
  // at most maxUnavailable of them unavailable at a time
  const partition = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  const budget = maxUnavailable(set);
  const unavailable = replicas.filter((p) => !p || !isHealthy(p) || !isRunningAndAvailable(p, minReady, now)).length;
  if (unavailable >= budget) return done();
  let deleting = 0;
  for (let i = count - 1; i >= partition; i--) {
    const pod = replicas[i];
    if (!pod || isTerminating(pod) || podRevision(pod) === updateRevision) continue;
    actions.push({ type: 'delete', pod, why: 'update' });
    status.currentReplicas -= podRevision(pod) === currentRevision ? 1 : 0;
    deleting++;
    if (deleting >= budget - unavailable) break;
  }
  return done();
}

/** completeRollingUpdate: once every pod runs the update revision, it becomes the current one. */
export function completeRollingUpdate(set: V1StatefulSet, status: V1StatefulSetStatus): V1StatefulSetStatus {
  const s = status;
  if (set.spec?.updateStrategy?.type === 'RollingUpdate' && s.updatedReplicas === s.replicas && s.readyReplicas === s.replicas) {
    return { ...s, currentReplicas: s.updatedReplicas, currentRevision: s.updateRevision };
  }
  return s;
}
