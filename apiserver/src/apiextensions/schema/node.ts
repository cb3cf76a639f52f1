// Small accessors over JSONSchemaProps that every walker (defaulting, pruning, validation, CEL)
// shares, so that "which schema applies to this key" is answered in one place.
import type { JSONSchemaProps } from './index.ts';

export type JSONObject = Record<string, unknown>;

export function isObject(v: unknown): v is JSONObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The schema of one object key: a declared property, else the additionalProperties schema. */
export function schemaForKey(s: JSONSchemaProps, key: string): JSONSchemaProps | undefined {
  const p = s.properties?.[key];
  if (p) return p;
  return typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
}

/** Structural schemas have a single items schema (an items array is refused at CRD create). */
export function itemsSchema(s: JSONSchemaProps): JSONSchemaProps | undefined {
  return s.items && !Array.isArray(s.items) ? s.items : undefined;
}

export function preservesUnknown(s: JSONSchemaProps): boolean {
  return s['x-kubernetes-preserve-unknown-fields'] === true || s.additionalProperties === true;
}

/** The JSON type name kube-openapi reports for a value (`must be of type integer: "string"`). */
export function jsonTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return 'string';
  return 'object';
}

/** The schema type as CEL validation reports it in `Invalid value: "object": ...`. */
export function schemaTypeName(s: JSONSchemaProps): string {
  if (s['x-kubernetes-int-or-string']) return 'integer-or-string';
  return s.type ?? '';
}

/**
 * Whether a schema node or anything beneath it satisfies `test`, remembered per node, so that
 * walkers (defaulting, list types, embedded resources) skip subtrees where they have nothing to do.
 */
export function subtreeCache(test: (s: JSONSchemaProps) => boolean): (s: JSONSchemaProps | undefined) => boolean {
  const memo = new WeakMap<JSONSchemaProps, boolean>();
  const has = (s: JSONSchemaProps | undefined): boolean => {
    if (!s) return false;
    const hit = memo.get(s);
    if (hit !== undefined) return hit;
    memo.set(s, false); // guards against cycles in hand-built schemas
    const extra = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
    const result = test(s) || Object.values(s.properties ?? {}).some(has) || has(extra) || has(itemsSchema(s));
    memo.set(s, result);
    return result;
  };
  return has;
}
