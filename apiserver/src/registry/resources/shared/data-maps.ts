// ConfigMap and Secret payloads: key syntax, total size, immutability.
import { field } from '../../../errors.ts';
import type { FieldError } from '../../../errors.ts';
import type { KObject } from '../../types.ts';
import { checkConfigMapKey } from '@skiff/common/apimachinery/names';

export const MAX_DATA_BYTES = 1024 * 1024;

export function validateDataKeys(data: unknown, path: string): FieldError[] {
  if (data === undefined || data === null) return [];
  if (typeof data !== 'object' || Array.isArray(data)) return [field.invalid(path, data, 'must be a map of string keys')];
  const out: FieldError[] = [];
  for (const key of Object.keys(data as object)) {
    for (const m of checkConfigMapKey(key)) out.push(field.invalid(`${path}[${key}]`, key, m));
  }
  return out;
}

/** `immutable: true` freezes the payload and cannot be undone. */
export function validateImmutablePayload(obj: KObject, old: KObject, payloadFields: string[]): FieldError[] {
  if (!old.immutable) return [];
  const out: FieldError[] = [];
  if (!obj.immutable) out.push(field.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of payloadFields) {
    if (JSON.stringify(obj[f] ?? {}) !== JSON.stringify(old[f] ?? {})) {
      out.push(field.forbidden(f, 'field is immutable when `immutable` is set'));
    }
  }
  return out;
}
