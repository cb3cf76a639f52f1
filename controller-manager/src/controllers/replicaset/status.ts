// ReplicaSet status from the pods it owns (upstream calculateStatus).
import type { V1Pod, V1ReplicaSet, V1ReplicaSetCondition, V1ReplicaSetStatus } from '@kubernetes/client-node';
import { labelsSubset } from '@skiff/common/apimachinery/label-selector';
import { isPodAvailable, isPodReady } from '../../lib/pods.ts';

export type ManageError = { kind: 'create' | 'delete'; message: string } | undefined;

export function calculateReplicaSetStatus(rs: V1ReplicaSet, pods: readonly V1Pod[], manageError: ManageError, now = Date.now()): V1ReplicaSetStatus {
  const templateLabels = rs.spec?.template?.metadata?.labels;
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0,
    ready = 0,
    available = 0;
  for (const pod of pods) {
    if (labelsSubset(templateLabels, pod.metadata?.labels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReadySeconds, now)) available++;
    }
  }
  const status: V1ReplicaSetStatus = {
    ...rs.status,
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
  };
  const conditions = [...(rs.status?.conditions ?? [])];
  const failureIndex = conditions.findIndex((c) => c.type === 'ReplicaFailure');
  if (manageError && failureIndex < 0) {
    const c: V1ReplicaSetCondition = {
      type: 'ReplicaFailure',
      status: 'True',
      reason: manageError.kind === 'create' ? 'FailedCreate' : 'FailedDelete',
      message: manageError.message,
      lastTransitionTime: new Date(now),
    };
    conditions.push(c);
  } else if (!manageError && failureIndex >= 0) {
    conditions.splice(failureIndex, 1);
  }
  status.conditions = conditions.length ? conditions : undefined;
  return status;
}
