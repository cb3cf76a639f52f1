// Validation pieces persistent volumes, claims and storage classes share
// (pkg/apis/core/validation and pkg/apis/storage/validation).
import { field } from '../../../errors.ts';
import type { FieldError } from '../../../errors.ts';
import { checkDns1123Subdomain, checkQualifiedName, checkLabelValue } from '@skiff/common/apimachinery/names';
import { tryParseQuantity } from '@skiff/common/apimachinery/quantity';

export const accessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
export const volumeModes = ['Block', 'Filesystem'];
export const reclaimPolicies = ['Delete', 'Recycle', 'Retain'];

/** The modes a volume or claim asks for: at least one, all known, ReadWriteOncePod alone. */
export function validateAccessModes(modes: unknown, path: string, requiredDetail = ''): FieldError[] {
  const list: unknown[] = Array.isArray(modes) ? modes : [];
  if (list.length === 0) return [field.required(path, requiredDetail)];
  const out: FieldError[] = [];
  for (const m of list) if (!accessModes.includes(m as string)) out.push(field.notSupported(path, m, accessModes));
  if (list.includes('ReadWriteOncePod') && list.length > 1) out.push(field.forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return out;
}

/** storageClassName and volumeAttributesClassName are DNS subdomains (ValidateClassName). */
export function validateClassName(name: unknown, path: string): FieldError[] {
  if (name === undefined || name === null || name === '') return [];
  return checkDns1123Subdomain(String(name)).map((m) => field.invalid(path, name, m));
}

export function validateVolumeMode(mode: unknown, path: string): FieldError[] {
  if (mode === undefined || mode === null) return [];
  return volumeModes.includes(mode as string) ? [] : [field.notSupported(path, mode, volumeModes)];
}

/** A storage quantity that must be positive (validateBasicResource). */
export function validatePositiveStorage(q: unknown, path: string): FieldError[] {
  const v = tryParseQuantity(q);
  if (v === undefined) return [field.invalid(path, q, 'must be a valid quantity')];
  if (v.sign < 0) return [field.invalid(path, q, 'must be greater than or equal to 0'), field.invalid(path, q, 'must be greater than zero')];
  if (v.sign === 0) return [field.invalid(path, q, 'must be greater than zero')];
  return [];
}

/** A local path with no `..` element (validatePathNoBacksteps). */
export function validatePathNoBacksteps(p: unknown, path: string): FieldError[] {
  if (typeof p !== 'string') return [];
  return p.split('/').includes('..') ? [field.invalid(path, p, "must not contain '..'")] : [];
}

const nodeSelectorOperators = ['DoesNotExist', 'Exists', 'Gt', 'In', 'Lt', 'NotIn'];

/** spec.nodeAffinity.required of a volume (validateNodeSelector). */
export function validateNodeSelector(sel: any, path: string): FieldError[] {
  const terms: any[] = Array.isArray(sel?.nodeSelectorTerms) ? sel.nodeSelectorTerms : [];
  if (terms.length === 0) return [field.required(`${path}.nodeSelectorTerms`, 'must have at least one node selector term')];
  const out: FieldError[] = [];
  terms.forEach((t, i) => {
    const exprs: any[] = Array.isArray(t?.matchExpressions) ? t.matchExpressions : [];
    exprs.forEach((e, j) => {
      const p = `${path}.nodeSelectorTerms[${i}].matchExpressions[${j}]`;
      for (const m of checkQualifiedName(String(e?.key ?? ''))) out.push(field.invalid(`${p}.key`, e?.key, m));
      const values: unknown[] = Array.isArray(e?.values) ? e.values : [];
      switch (e?.operator) {
        case 'In':
        case 'NotIn':
          if (values.length === 0) out.push(field.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
          break;
        case 'Exists':
        case 'DoesNotExist':
          if (values.length > 0) out.push(field.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
          break;
        case 'Gt':
        case 'Lt':
          if (values.length !== 1) out.push(field.required(`${p}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"));
          break;
        default:
          out.push(field.invalid(`${p}.operator`, e?.operator, 'not a valid selector operator'));
      }
      values.forEach((v, k) => {
        for (const m of checkLabelValue(String(v))) out.push(field.invalid(`${p}.values[${k}]`, v, m));
      });
    });
  });
  return out;
}

export { nodeSelectorOperators };
