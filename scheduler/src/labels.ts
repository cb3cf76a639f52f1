// Label selectors (metav1.LabelSelector) and node selector terms (v1.NodeSelectorTerm) compiled
// once, through the shared selector (common/src/apimachinery), into predicates: the scheduler
// evaluates them per node per pod.
import {
  everything,
  type Labels,
  type LabelSelectorObject,
  type LabelSelectorRequirement,
  nothing,
  Requirement,
  SelectorError,
  selectorFromNodeSelectorRequirements,
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

export interface NodeSelectorTerm {
  matchExpressions?: LabelSelectorRequirement[];
  matchFields?: LabelSelectorRequirement[];
}
export type NodePredicate = (labels: Labels, nodeName: string) => boolean;

const fieldOperators = new Set(['In', 'NotIn']);

/** One node selector term: all requirements hold. An empty term matches no node. */
export function compileNodeSelectorTerm(term: NodeSelectorTerm): NodePredicate {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return () => false;
  const labels = selectorFromNodeSelectorRequirements(exprs);
  // field values are node names, not label values: not validated as such
  const names = fields.map((r) => {
    if (r.key !== 'metadata.name') throw new SelectorError(`"${r.key}" is not a valid field selector key`);
    if (!fieldOperators.has(r.operator)) throw new SelectorError(`"${r.operator}" is not a valid field selector operator`);
    return new Requirement(r.key, r.operator as 'In' | 'NotIn', r.values ?? []);
  });
  if (names.length === 0) return labels.matches;
  return (nodeLabels, nodeName) => {
    if (!labels.matches(nodeLabels)) return false;
    const f = { 'metadata.name': nodeName };
    for (const r of names) if (!r.matches(f)) return false;
    return true;
  };
}

/** A NodeSelector: any of its terms holds. */
export function compileNodeSelector(terms: NodeSelectorTerm[]): NodePredicate {
  const preds = terms.map(compileNodeSelectorTerm);
  return (labels, name) => {
    for (const p of preds) if (p(labels, name)) return true;
    return false;
  };
}
