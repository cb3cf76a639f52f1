// Structural defaulting (apiextensions pkg/apiserver/schema/defaulting): a property that is absent,
// or null where the schema does not allow null, takes a deep copy of its `default`; the same for
// null items of arrays and null values of maps. Runs on create/update and on every read from
// storage, so that a default added to a CRD later shows up in old objects.
import type { JSONSchemaProps } from './index.ts';
import { isObject, itemsSchema, subtreeCache } from './node.ts';

/** A deep copy of a JSON value (defaults are JSON; structuredClone is several times slower on small values). */
function copy(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(copy);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = copy((v as Record<string, unknown>)[k]);
  return out;
}

/** Whether any default sits in this schema tree, so that CRDs and subtrees without defaults skip the walk. */
export const hasDefaults = subtreeCache((s) => s.default !== undefined);

export function applyDefaults(x: unknown, s: JSONSchemaProps | undefined): void {
  if (!s || !hasDefaults(s)) return;
  if (isObject(x)) {
    if (s.properties) {
      for (const [k, prop] of Object.entries(s.properties)) {
        if (prop.default === undefined) continue;
        const v = x[k];
        if (!(k in x) || (v === null && !prop.nullable)) x[k] = copy(prop.default);
      }
    }
    const extra = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
    for (const [k, v] of Object.entries(x)) {
      const prop = s.properties?.[k];
      if (prop) applyDefaults(v, prop);
      else if (extra) {
        if (v === null && extra.default !== undefined && !extra.nullable) x[k] = copy(extra.default);
        applyDefaults(x[k], extra);
      }
    }
    return;
  }
  if (Array.isArray(x)) {
    const items = itemsSchema(s);
    if (!items) return;
    for (let i = 0; i < x.length; i++) {
      if (x[i] === null && items.default !== undefined && !items.nullable) x[i] = copy(items.default);
      applyDefaults(x[i], items);
    }
  }
}

/**
 * PruneNonNullableNullsWithoutDefaults: a null where the schema neither allows null nor has a
 * default is dropped (from objects; list items stay so that indices keep their meaning).
 */
export function dropNonNullableNulls(x: unknown, s: JSONSchemaProps | undefined): void {
  if (!s) return;
  if (isObject(x)) {
    const extra = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
    for (const [k, v] of Object.entries(x)) {
      const prop = s.properties?.[k] ?? extra;
      if (!prop) continue;
      if (v === null) {
        if (!prop.nullable && prop.default === undefined) delete x[k];
        continue;
      }
      dropNonNullableNulls(v, prop);
    }
    return;
  }
  if (Array.isArray(x)) {
    const items = itemsSchema(s);
    for (const v of x) dropNonNullableNulls(v, items);
  }
}
