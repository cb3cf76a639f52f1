// Label selectors (metav1.LabelSelector) and node selector terms (v1.NodeSelectorTerm) compiled
// once, through the shared selector (common/src/apimachinery), into predicates: the scheduler
// evaluates them per node per pod.
import {
  everything,
  type Labels,
  type LabelSelectorObject,
  nothing,
  Requirement,
  SelectorError,
  selectorFromObject,
} from '@skiff/common/apimachinery/label-selector';

export type { Labels };
export { SelectorError };
export type LabelPredicate = (labels: Labels) => boolean;

export const matchNothing: LabelPredicate = nothing.matches;
export const matchEverything: LabelPredicate = everything.matches;

/**
 * A metav1.LabelSelector: a null selector matches nothing, an empty one everything (the
 * convention of LabelSelectorAsSelector), plus `key In (value)` for each matchLabelKeys key the
 * pod carries and `key NotIn (value)` for each mismatchLabelKeys key.
 */
export function compileLabelSelector(
  sel: LabelSelectorObject | null | undefined,
  podLabels?: Labels,
  matchKeys?: string[],
  mismatchKeys?: string[],
): LabelPredicate {
  const base = selectorFromObject(sel);
  const extra: Requirement[] = [];
  for (const k of matchKeys ?? []) {
    const v = podLabels?.[k];
    if (v !== undefined) extra.push(new Requirement(k, 'In', [v]));
  }
  for (const k of mismatchKeys ?? []) {
    const v = podLabels?.[k];
    if (v !== undefined) extra.push(new Requirement(k, 'NotIn', [v]));
  }
  return base.add(...extra).matches;
}

// node selector terms live with the label selectors in common, shared with the DaemonSet controller
export { compileNodeSelector, compileNodeSelectorTerm } from '@skiff/common/apimachinery/node-selector';
export type { NodePredicate, NodeSelectorTerm } from '@skiff/common/apimachinery/node-selector';
