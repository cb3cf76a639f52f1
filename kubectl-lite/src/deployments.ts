// What `rollout` and `describe` know about Deployments: their ReplicaSets, revisions and
// the rollout progress messages kubectl prints.
import { selectorFromObject } from '@skiff/common/apimachinery/label-selector';
import type { Session } from './session.ts';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

export function revisionOf(obj: any): number {
  const raw = obj?.metadata?.annotations?.[REVISION_ANNOTATION];
  const n = Number(raw);
  return raw !== undefined && Number.isInteger(n) ? n : 0;
}

/** ReplicaSets the Deployment controls (controller ownerReference with its uid), oldest revision first. */
export async function ownedReplicaSets(s: Session, dep: any): Promise<any[]> {
  const selector = selectorFromObject(dep.spec?.selector ?? {}).toString();
  const list = await s.client.get(`/apis/apps/v1/namespaces/${encodeURIComponent(dep.metadata.namespace)}/replicasets`, {
    query: { labelSelector: selector || undefined },
  });
  return (list.items ?? [])
    .filter((r: any) => (r.metadata?.ownerReferences ?? []).some((o: any) => o.uid === dep.metadata.uid && o.controller))
    .sort((a: any, b: any) => revisionOf(a) - revisionOf(b));
}

export interface RolloutState {
  done: boolean;
  /** set when the rollout cannot finish (progress deadline exceeded) */
  failed?: string;
  message: string;
}

/** The same decisions as kubectl's DeploymentStatusViewer. */
export function deploymentRolloutState(dep: any): RolloutState {
  const name = dep.metadata?.name;
  const spec = dep.spec ?? {};
  const st = dep.status ?? {};
  if ((dep.metadata?.generation ?? 0) > (st.observedGeneration ?? 0)) {
    return { done: false, message: 'Waiting for deployment spec update to be observed...' };
  }
  const progressing = (st.conditions ?? []).find((c: any) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { done: false, failed: `deployment "${name}" exceeded its progress deadline`, message: '' };
  }
  const desired = spec.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  const total = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  if (updated < desired) {
    return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...` };
  }
  if (total > updated) {
    return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...` };
  }
  if (available < updated) {
    return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...` };
  }
  return { done: true, message: `deployment "${name}" successfully rolled out` };
}

/** A pod template without the labels and annotations the controller adds, for comparing revisions. */
export function comparableTemplate(template: any): any {
  const copy = structuredClone(template ?? {});
  if (copy.metadata?.labels) delete copy.metadata.labels['pod-template-hash'];
  return copy;
}
