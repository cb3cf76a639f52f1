// Label maps, annotation maps and label selectors (metav1.LabelSelector).
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import { checkLabelValue, checkQualifiedName } from './names.ts';

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export function validateLabels(labels: unknown, path: string): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== 'object' || Array.isArray(labels)) return [field.invalid(path, labels, 'must be a map of string to string')];
  const out: FieldError[] = [];
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    for (const msg of checkQualifiedName(k)) out.push(field.invalid(path, k, msg));
    if (typeof v !== 'string') {
      out.push(field.invalid(path, v, 'label values must be strings'));
      continue;
    }
    for (const msg of checkLabelValue(v)) out.push(field.invalid(path, v, msg));
  }
  return out;
}

export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  if (annotations === undefined || annotations === null) return [];
  if (typeof annotations !== 'object' || Array.isArray(annotations)) return [field.invalid(path, annotations, 'must be a map of string to string')];
  const out: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations as Record<string, unknown>)) {
    // apimachinery checks the lower-cased key, so upper case letters pass
    for (const msg of checkQualifiedName(k.toLowerCase())) out.push(field.invalid(path, k, msg));
    if (typeof v !== 'string') {
      out.push(field.invalid(path, v, 'annotation values must be strings'));
      continue;
    }
    total += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) out.push(field.tooLong(path, '', TOTAL_ANNOTATION_SIZE_LIMIT));
  return out;
}

export function validateLabelSelector(sel: LabelSelector | undefined, path: string): FieldError[] {
  if (!sel) return [];
  const out: FieldError[] = [];
  (sel.matchExpressions ?? []).forEach((req, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    if (req.operator === 'In' || req.operator === 'NotIn') {
      if (!req.values || req.values.length === 0) {
        out.push(field.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      }
    } else if (req.operator === 'Exists' || req.operator === 'DoesNotExist') {
      if (req.values && req.values.length > 0) {
        out.push(field.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      }
    } else {
      out.push(field.invalid(`${p}.operator`, req.operator, 'not a valid selector operator'));
    }
    for (const msg of checkQualifiedName(req.key ?? '')) out.push(field.invalid(`${p}.key`, req.key ?? '', msg));
  });
  out.push(...validateLabels(sel.matchLabels, `${path}.matchLabels`));
  return out;
}

/** An empty selector (no labels, no expressions) selects everything: controllers forbid it. */
export function selectorIsEmpty(sel: LabelSelector | undefined): boolean {
  return !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
}

export function selectorMatches(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const have = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (have[k] !== v) return false;
  for (const req of sel.matchExpressions ?? []) {
    const present = Object.hasOwn(have, req.key);
    const inValues = present && (req.values ?? []).includes(have[req.key]);
    switch (req.operator) {
      case 'In':
        if (!inValues) return false;
        break;
      case 'NotIn':
        if (inValues) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** The string form `app=web,tier in (a,b)`, as scale's status.selector carries it. */
export function selectorToString(sel: LabelSelector): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b))) parts.push(`${k}=${v}`);
  for (const r of sel.matchExpressions ?? []) {
    const vals = [...(r.values ?? [])].sort().join(',');
    if (r.operator === 'In') parts.push(`${r.key} in (${vals})`);
    else if (r.operator === 'NotIn') parts.push(`${r.key} notin (${vals})`);
    else if (r.operator === 'Exists') parts.push(r.key);
    else if (r.operator === 'DoesNotExist') parts.push(`!${r.key}`);
  }
  return parts.join(',');
}
