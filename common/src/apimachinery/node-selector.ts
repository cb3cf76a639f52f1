// v1.NodeSelector and the pod's required node placement (spec.nodeSelector plus
// requiredDuringSchedulingIgnoredDuringExecution node affinity) compiled into predicates over
// a node's labels and name: the scheduler filters with them, the DaemonSet controller decides
// which nodes run a daemon pod with them (component-helpers' nodeaffinity).
import { type Labels, type LabelSelectorRequirement, Requirement, SelectorError, selectorFromNodeSelectorRequirements } from './label-selector.ts';

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

export interface NodePlacement {
  nodeSelector?: Record<string, string> | null;
  affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } | null } | null } | null;
}

/** nodeSelector and required node affinity as one predicate; undefined when the pod spec has neither. */
export function requiredNodePlacement(spec: NodePlacement | undefined): NodePredicate | undefined {
  const sel = spec?.nodeSelector;
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const preds: NodePredicate[] = [];
  if (sel && Object.keys(sel).length) {
    const entries = Object.entries(sel);
    preds.push((labels) => {
      for (const [k, v] of entries) if (labels?.[k] !== v) return false;
      return true;
    });
  }
  // a present but empty list of terms matches no node, as in Kubernetes
  if (Array.isArray(terms)) preds.push(compileNodeSelector(terms));
  if (preds.length === 0) return undefined;
  return (labels, name) => {
    for (const p of preds) if (!p(labels, name)) return false;
    return true;
  };
}
