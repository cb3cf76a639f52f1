// spec.podFailurePolicy: the first rule that matches a failed pod decides what its failure
// means (FailJob, FailIndex, Ignore or Count); no matching rule means Count.
import type { V1Job, V1Pod, V1PodFailurePolicyRule } from '@kubernetes/client-node';

export type FailureAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface FailureVerdict {
  action: FailureAction;
  /** why, as the Job's condition message says it when the action is FailJob */
  message?: string;
}

function exitCodeMatch(pod: V1Pod, rule: V1PodFailurePolicyRule): { container: string; code: number } | undefined {
  const req = rule.onExitCodes;
  if (!req) return undefined;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    if (req.containerName && req.containerName !== s.name) continue;
    const code = s.state?.terminated?.exitCode;
    // containers that succeeded are not part of the check
    if (code === undefined || code === 0) continue;
    const listed = req.values.includes(code);
    if ((req.operator === 'In' && listed) || (req.operator === 'NotIn' && !listed)) return { container: s.name, code };
  }
  return undefined;
}

function conditionMatch(pod: V1Pod, rule: V1PodFailurePolicyRule): string | undefined {
  for (const pattern of rule.onPodConditions ?? []) {
    const want = pattern.status ?? 'True';
    if ((pod.status?.conditions ?? []).some((c) => c.type === pattern.type && c.status === want)) return pattern.type;
  }
  return undefined;
}

/** matchPodFailurePolicy for one failed pod. */
export function judgeFailure(job: V1Job, pod: V1Pod): FailureVerdict {
  const rules = job.spec?.podFailurePolicy?.rules ?? [];
  const who = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  for (const [i, rule] of rules.entries()) {
    const action = rule.action as FailureAction;
    if (!['FailJob', 'FailIndex', 'Ignore', 'Count'].includes(action)) continue;
    const exit = exitCodeMatch(pod, rule);
    if (exit) {
      return { action, message: `Container ${exit.container} for pod ${who} failed with exit code ${exit.code} matching ${action} rule at index ${i}` };
    }
    const cond = conditionMatch(pod, rule);
    if (cond) return { action, message: `Pod ${who} has condition ${cond} matching ${action} rule at index ${i}` };
  }
  return { action: 'Count' };
}
