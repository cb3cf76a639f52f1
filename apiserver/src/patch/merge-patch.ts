// RFC 7386 JSON merge patch (application/merge-patch+json): objects merge key by key,
// null deletes, everything else (lists included) replaces.
import { errors, field } from '../errors.ts';
import { clone, isObject, jsonTypeName, parseJsonBody } from './json-util.ts';

export function applyMergePatch(current: object, patchBody: Buffer | string | unknown): object {
  const patch = parseJsonBody(patchBody);
  const result = mergeValue(current, patch);
  if (!isObject(result)) {
    throw errors.invalid('', '', '', [
      field.invalid('patch', JSON.stringify(result), `json: cannot unmarshal ${jsonTypeName(result)} into Go value of type map[string]interface {}`),
    ]);
  }
  return result;
}

/** The merge of RFC 7386 section 2, not mutating its inputs. */
export function mergeValue(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return withoutNulls(patch);
  // one copy of the target, merged into in place: a copy per level would cost the object's
  // size times the patch's depth
  return mergeInto(isObject(target) ? clone(target) : {}, patch);
}

/** Merges `patch` into `out`, which is the caller's own copy. */
function mergeInto(out: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isObject(v)) {
      const inner = out[k];
      out[k] = mergeInto(isObject(inner) ? inner : {}, v);
    } else out[k] = withoutNulls(v);
  }
  return out;
}

/** New values carry no nulls, as evanphx/json-patch prunes them. */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x);
  return out;
}
