// Deployment conditions and status (upstream deployment/util and sync.go calculateStatus):
// the exact reasons and messages `kubectl rollout status` and users read.
import type { V1Deployment, V1DeploymentCondition, V1DeploymentStatus, V1ReplicaSet } from '@kubernetes/client-node';
import { desiredReplicas, maxUnavailable, sumAvailableReplicas, sumReadyReplicas, sumSpecReplicas, sumStatusReplicas } from './replica-math.ts';

export const reasons = {
  newReplicaSetCreated: 'NewReplicaSetCreated',
  foundNewReplicaSet: 'FoundNewReplicaSet',
  replicaSetUpdated: 'ReplicaSetUpdated',
  newReplicaSetAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  failedCreate: 'ReplicaSetCreateError',
  minimumAvailable: 'MinimumReplicasAvailable',
  minimumUnavailable: 'MinimumReplicasUnavailable',
} as const;

export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, now = new Date()): V1DeploymentCondition {
  return { type, status, reason, message, lastUpdateTime: now, lastTransitionTime: now };
}

export function getCondition(status: V1DeploymentStatus | undefined, type: string): V1DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function removeCondition(status: V1DeploymentStatus, type: string): void {
  status.conditions = (status.conditions ?? []).filter((c) => c.type !== type);
}

/** Upstream SetDeploymentCondition: same status and reason is no change at all. */
export function setCondition(status: V1DeploymentStatus, c: V1DeploymentCondition): void {
  const current = getCondition(status, c.type);
  if (current && current.status === c.status && current.reason === c.reason) return;
  if (current && current.status === c.status) c.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((x) => x.type !== c.type), c];
}

export function hasProgressDeadline(d: V1Deployment): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== 2147483647;
}

export function calculateStatus(allRSs: readonly V1ReplicaSet[], newRS: V1ReplicaSet | undefined, d: V1Deployment): V1DeploymentStatus {
  const available = sumAvailableReplicas(allRSs);
  const total = sumSpecReplicas(allRSs);
  const status: V1DeploymentStatus = {
    observedGeneration: d.metadata?.generation,
    replicas: sumStatusReplicas(allRSs),
    updatedReplicas: sumStatusReplicas([newRS]),
    readyReplicas: sumReadyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    collisionCount: d.status?.collisionCount,
    conditions: (d.status?.conditions ?? []).map((c) => ({ ...c })),
  };
  if (available >= desiredReplicas(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', reasons.minimumAvailable, 'Deployment has minimum availability.'));
  } else {
    setCondition(status, newCondition('Available', 'False', reasons.minimumUnavailable, 'Deployment does not have minimum availability.'));
  }
  return status;
}

export function deploymentComplete(d: V1Deployment, s: V1DeploymentStatus): boolean {
  const want = desiredReplicas(d);
  return s.updatedReplicas === want && s.replicas === want && s.availableReplicas === want && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

/** Something moved since the last status: more updated, fewer old, more ready or available. */
export function deploymentProgressing(d: V1Deployment, s: V1DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

export function deploymentTimedOut(d: V1Deployment, s: V1DeploymentStatus, now = Date.now()): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c) return false;
  if (c.reason === reasons.newReplicaSetAvailable) return false;
  if (c.reason === reasons.timedOut) return true;
  const from = c.lastUpdateTime ? new Date(c.lastUpdateTime).getTime() : now;
  return from + d.spec!.progressDeadlineSeconds! * 1000 < now;
}

/**
 * Upstream syncRolloutStatus's condition logic: the Progressing condition after a sync.
 * Mutates and returns `status`.
 */
export function updateProgressingCondition(d: V1Deployment, newRS: V1ReplicaSet | undefined, status: V1DeploymentStatus, now = new Date()): V1DeploymentStatus {
  if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
  const current = getCondition(status, 'Progressing');
  const isComplete = status.replicas === status.updatedReplicas && current?.reason === reasons.newReplicaSetAvailable;
  if (!hasProgressDeadline(d) || isComplete) return status;
  const rsName = newRS?.metadata?.name;
  if (deploymentComplete(d, status)) {
    const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : 'Deployment has successfully progressed.';
    setCondition(status, newCondition('Progressing', 'True', reasons.newReplicaSetAvailable, msg, now));
  } else if (deploymentProgressing(d, status)) {
    const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : 'Deployment is progressing.';
    const c = newCondition('Progressing', 'True', reasons.replicaSetUpdated, msg, now);
    // progress refreshes lastUpdateTime, which is what the deadline counts from
    if (current?.status === 'True') c.lastTransitionTime = current.lastTransitionTime;
    removeCondition(status, 'Progressing');
    setCondition(status, c);
  } else if (deploymentTimedOut(d, status, now.getTime())) {
    const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : 'Deployment has timed out progressing.';
    setCondition(status, newCondition('Progressing', 'False', reasons.timedOut, msg, now));
  }
  return status;
}

/** Milliseconds until the deadline should be checked again, or undefined when it needs no check. */
export function stuckRequeueDelayMs(d: V1Deployment, status: V1DeploymentStatus, now = Date.now()): number | undefined {
  const c = getCondition(status, 'Progressing');
  if (!hasProgressDeadline(d) || !c) return undefined;
  if (deploymentComplete(d, status) || c.reason === reasons.timedOut) return undefined;
  const from = c.lastUpdateTime ? new Date(c.lastUpdateTime).getTime() : now;
  const after = from + d.spec!.progressDeadlineSeconds! * 1000 - now;
  return after < 1000 ? 0 : after;
}
