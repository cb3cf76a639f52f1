// A pod for a Job (upstream GetPodFromTemplate plus the Job's additions): the tracking
// finalizer, the controller reference, and for Indexed Jobs the completion index as an
// annotation, a label, the JOB_COMPLETION_INDEX env var and the `<job>-<index>` hostname.
import type { V1Container, V1Job, V1Pod } from '@kubernetes/client-node';
import { newControllerRef } from '@skiff/common/apimachinery/owner-references';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
export const INDEX_FAILURE_COUNT = 'batch.kubernetes.io/job-index-failure-count';
export const INDEX_IGNORED_COUNT = 'batch.kubernetes.io/job-index-ignored-count';

function withIndexEnv(c: V1Container): V1Container {
  if ((c.env ?? []).some((e) => e.name === 'JOB_COMPLETION_INDEX')) return c;
  return {
    ...c,
    env: [...(c.env ?? []), { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } } }],
  };
}

/** The completion index of a pod of an Indexed Job, or undefined. */
export function completionIndexOf(pod: V1Pod): number | undefined {
  const text = pod.metadata?.annotations?.[COMPLETION_INDEX] ?? pod.metadata?.labels?.[COMPLETION_INDEX];
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

export function podForJob(job: V1Job, index?: number, failureCount = 0): V1Pod {
  const t = job.spec?.template;
  const name = job.metadata?.name ?? '';
  const annotations: Record<string, string> = { ...t?.metadata?.annotations };
  const labels: Record<string, string> = { ...t?.metadata?.labels };
  const spec = structuredClone(t?.spec ?? { containers: [] });
  let generateName = `${name}-`;
  if (index !== undefined) {
    annotations[COMPLETION_INDEX] = String(index);
    labels[COMPLETION_INDEX] = String(index);
    if (job.spec?.backoffLimitPerIndex !== undefined && job.spec.backoffLimitPerIndex !== null) annotations[INDEX_FAILURE_COUNT] = String(failureCount);
    spec.containers = spec.containers.map(withIndexEnv);
    if (spec.initContainers) spec.initContainers = spec.initContainers.map(withIndexEnv);
    spec.hostname ||= `${name}-${index}`;
    generateName = `${name}-${index}-`;
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace: job.metadata?.namespace,
      labels,
      annotations: Object.keys(annotations).length ? annotations : undefined,
      finalizers: [...(t?.metadata?.finalizers ?? []), JOB_TRACKING_FINALIZER],
      ownerReferences: [newControllerRef(job, 'batch/v1', 'Job')],
    },
    spec,
  };
}
