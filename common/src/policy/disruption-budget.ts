// What the pods/eviction subresource and the disruption controller share about a
// PodDisruptionBudget (k8s.io/component-helpers/apps/poddisruptionbudget and the PDB lister's
// GetPodPodDisruptionBudgets).
import { findStatusCondition, setStatusCondition, type Condition } from '../apimachinery/conditions.ts';
import { labelSelectorMatches, type LabelSelectorObject } from '../apimachinery/label-selector.ts';

export const disruptionAllowedCondition = 'DisruptionAllowed';
export const reasons = { sufficientPods: 'SufficientPods', insufficientPods: 'InsufficientPods', syncFailed: 'SyncFailed' } as const;

/** How long a pod recorded in status.disruptedPods counts as going away (DeletionTimeout). */
export const deletionTimeoutMs = 2 * 60 * 1000;

export interface BudgetLike {
  metadata?: { name?: string; namespace?: string; generation?: number };
  spec?: { selector?: LabelSelectorObject; unhealthyPodEvictionPolicy?: string };
  status?: {
    disruptionsAllowed?: number;
    observedGeneration?: number;
    conditions?: Condition[];
  };
}

/** The budgets that select a pod: policy/v1 lets an empty selector match every pod, a missing one none. */
export function budgetsForPod<B extends BudgetLike>(budgets: readonly B[], pod: { metadata?: { namespace?: string; labels?: Record<string, string> } }): B[] {
  return budgets.filter((b) => b.metadata?.namespace === pod.metadata?.namespace && labelSelectorMatches(b.spec?.selector, pod.metadata?.labels));
}

/** UpdateDisruptionAllowedCondition: True/SufficientPods while disruptions are allowed, else False/InsufficientPods. */
export function updateDisruptionAllowedCondition(budget: BudgetLike, stamp?: string | Date): void {
  const status = (budget.status ??= {});
  const conditions = (status.conditions ??= []);
  const allowed = (status.disruptionsAllowed ?? 0) > 0;
  setStatusCondition(
    conditions,
    {
      type: disruptionAllowedCondition,
      status: allowed ? 'True' : 'False',
      reason: allowed ? reasons.sufficientPods : reasons.insufficientPods,
      message: '',
      observedGeneration: status.observedGeneration,
    },
    stamp,
  );
}

/** ConditionsAreUpToDate: the condition agrees with disruptionsAllowed for the current generation. */
export function conditionsAreUpToDate(budget: BudgetLike): boolean {
  const c = findStatusCondition(budget.status?.conditions, disruptionAllowedCondition);
  if (!c || budget.status?.observedGeneration !== budget.metadata?.generation) return false;
  if ((budget.status?.disruptionsAllowed ?? 0) > 0) return c.status === 'True' && c.reason === reasons.sufficientPods;
  return c.status === 'False' && c.reason === reasons.insufficientPods;
}
