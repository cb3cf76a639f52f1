// metav1.LabelSelector evaluation, as labels.SelectorFromSet / LabelSelectorAsSelector do.
import type { V1LabelSelector } from '@kubernetes/client-node';

export type Labels = Record<string, string> | undefined;

/** An empty selector matches everything; a missing one matches nothing. */
export function selectorMatches(selector: V1LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(l, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(l[req.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[req.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        throw new Error(`unsupported label selector operator "${req.operator}"`);
    }
  }
  return true;
}

export function isEmptySelector(selector: V1LabelSelector | undefined): boolean {
  return !!selector && Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

/** `a` is a subset of `b`: every label of `a` is on `b` with the same value. */
export function labelsSubset(a: Labels, b: Labels): boolean {
  for (const [k, v] of Object.entries(a ?? {})) if (b?.[k] !== v) return false;
  return true;
}
