// Structural defaulting (apiextensions pkg/apiserver/schema/defaulting): a property that is absent,
// or null where the schema does not allow null, takes a deep copy of its `default`; the same for
// null items of arrays and null values of maps. Runs on create/update and on every read from
// storage, so that a default added to a CRD later shows up in old objects.
import type { JSONSchemaProps } from './index.ts';
import { itemsSchema, subtreeCache } from './node.ts';

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

/** What the walks need of one schema node, computed once: the schema is walked per object otherwise. */
interface Plan {
  /** properties with a default of their own */
  defaulted: [string, JSONSchemaProps][];
  /** properties with defaults somewhere below */
  deeper: [string, JSONSchemaProps][];
  props: Map<string, JSONSchemaProps>;
  extra?: JSONSchemaProps;
  items?: JSONSchemaProps;
}

const plans = new WeakMap<JSONSchemaProps, Plan>();

function plan(s: JSONSchemaProps): Plan {
  let p = plans.get(s);
  if (!p) {
    const entries = Object.entries(s.properties ?? {});
    p = {
      defaulted: entries.filter(([, v]) => v.default !== undefined),
      deeper: entries.filter(([, v]) => hasDefaults(v)),
      props: new Map(entries),
      extra: typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined,
      items: itemsSchema(s),
    };
    plans.set(s, p);
  }
  return p;
}

export function applyDefaults(x: unknown, s: JSONSchemaProps | undefined): void {
  if (!s || x === null || typeof x !== 'object' || !hasDefaults(s)) return;
  const p = plan(s);
  if (Array.isArray(x)) {
    const items = p.items;
    if (!items) return;
    for (let i = 0; i < x.length; i++) {
      if (x[i] === null && items.default !== undefined && !items.nullable) x[i] = copy(items.default);
      applyDefaults(x[i], items);
    }
    return;
  }
  const obj = x as Record<string, unknown>;
  for (const [k, prop] of p.defaulted) {
    const v = obj[k];
    if (v === undefined || (v === null && !prop.nullable)) obj[k] = copy(prop.default);
  }
  for (const [k, prop] of p.deeper) {
    const v = obj[k];
    if (v !== undefined) applyDefaults(v, prop);
  }
  const extra = p.extra;
  if (extra && hasDefaults(extra)) {
    for (const k in obj) {
      if (p.props.has(k)) continue;
      if (obj[k] === null && extra.default !== undefined && !extra.nullable) obj[k] = copy(extra.default);
      applyDefaults(obj[k], extra);
    }
  }
}

/**
 * PruneNonNullableNullsWithoutDefaults: a null where the schema neither allows null nor has a
 * default is dropped (from objects; list items stay so that indices keep their meaning).
 */
export function dropNonNullableNulls(x: unknown, s: JSONSchemaProps | undefined): void {
  if (!s || x === null || typeof x !== 'object') return;
  const p = plan(s);
  if (Array.isArray(x)) {
    if (p.items) for (const v of x) dropNonNullableNulls(v, p.items);
    return;
  }
  const obj = x as Record<string, unknown>;
  for (const k in obj) {
    const v = obj[k];
    if (v === null) {
      const prop = p.props.get(k) ?? p.extra;
      if (prop && !prop.nullable && prop.default === undefined) delete obj[k];
    } else if (typeof v === 'object') {
      dropNonNullableNulls(v, p.props.get(k) ?? p.extra);
    }
  }
}
