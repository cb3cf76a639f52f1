// Label selectors (metav1.LabelSelector) and node selector terms (v1.NodeSelectorTerm)
// compiled once into predicates, since the scheduler evaluates them per node per pod.
export type Labels = Readonly<Record<string, string>> | undefined;
export type LabelPredicate = (labels: Labels) => boolean;

export interface SelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: SelectorRequirement[];
}

export const matchNothing: LabelPredicate = () => false;
export const matchEverything: LabelPredicate = () => true;

export class SelectorError extends Error {}

function requirement(r: SelectorRequirement, allowNumeric: boolean): LabelPredicate {
  const key = r.key;
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In': {
      const set = new Set(values);
      return (l) => l !== undefined && key in l && set.has(l[key]!);
    }
    case 'NotIn': {
      const set = new Set(values);
      return (l) => l === undefined || !(key in l) || !set.has(l[key]!);
    }
    case 'Exists':
      return (l) => l !== undefined && key in l;
    case 'DoesNotExist':
      return (l) => l === undefined || !(key in l);
    case 'Gt':
    case 'Lt': {
      if (!allowNumeric) break;
      const bound = Number.parseInt(values[0] ?? '', 10);
      if (values.length !== 1 || !Number.isFinite(bound)) throw new SelectorError(`operator ${r.operator} needs one integer value`);
      const gt = r.operator === 'Gt';
      return (l) => {
        const v = l?.[key];
        if (v === undefined || !/^-?\d+$/.test(v)) return false;
        const n = Number.parseInt(v, 10);
        return gt ? n > bound : n < bound;
      };
    }
  }
  throw new SelectorError(`"${r.operator}" is not a valid label selector operator`);
}

function allOf(preds: LabelPredicate[]): LabelPredicate {
  if (preds.length === 0) return matchEverything;
  if (preds.length === 1) return preds[0]!;
  return (l) => {
    for (const p of preds) if (!p(l)) return false;
    return true;
  };
}

/**
 * A metav1.LabelSelector: a null selector matches nothing, an empty one everything
 * (the convention of LabelSelectorAsSelector).
 */
export function compileLabelSelector(sel: LabelSelector | null | undefined): LabelPredicate {
  if (!sel) return matchNothing;
  const preds: LabelPredicate[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) preds.push((l) => l !== undefined && l[k] === v);
  for (const r of sel.matchExpressions ?? []) preds.push(requirement(r, false));
  return allOf(preds);
}

/** `key In (value)` for each matchLabelKeys key the pod carries (and NotIn for mismatchLabelKeys). */
export function withLabelKeys(base: LabelPredicate, podLabels: Labels, matchKeys?: string[], mismatchKeys?: string[]): LabelPredicate {
  const extra: LabelPredicate[] = [base];
  for (const k of matchKeys ?? []) {
    const v = podLabels?.[k];
    if (v !== undefined) extra.push((l) => l !== undefined && l[k] === v);
  }
  for (const k of mismatchKeys ?? []) {
    const v = podLabels?.[k];
    if (v !== undefined) extra.push((l) => l === undefined || l[k] !== v);
  }
  return allOf(extra);
}

export interface NodeSelectorTerm {
  matchExpressions?: SelectorRequirement[];
  matchFields?: SelectorRequirement[];
}
export type NodePredicate = (labels: Labels, nodeName: string) => boolean;

/** One node selector term: all requirements hold. An empty term matches no node. */
export function compileNodeSelectorTerm(term: NodeSelectorTerm): NodePredicate {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return () => false;
  const labelPred = allOf(exprs.map((r) => requirement(r, true)));
  const fieldPreds = fields.map((r) => {
    if (r.key !== 'metadata.name') throw new SelectorError(`"${r.key}" is not a valid field selector key`);
    return requirement(r, false);
  });
  return (labels, nodeName) => {
    if (!labelPred(labels)) return false;
    if (fieldPreds.length) {
      const f = { 'metadata.name': nodeName };
      for (const p of fieldPreds) if (!p(f)) return false;
    }
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
