// Schema-aware walks over JSON objects, as structured-merge-diff does them on typed values:
// the set of fields an object sets, the comparison of two objects, the apply merge, and
// the removal of a set of fields. Lists are atomic unless the schema says `map` or `set`.
import { errors } from '../errors.ts';
import { clone, deepEqual, isObject, type JsonObject } from './json-util.ts';
import { fieldElement, FieldSet, keyElement, pathString, valueElement, type FieldPath, type PathElement } from './fieldpath.ts';
import type { PatchMeta } from './meta.ts';

type Shape = { kind: 'leaf' } | { kind: 'struct'; freeMap: boolean } | { kind: 'assoc'; keys: string[]; defaults: Record<string, unknown> } | { kind: 'set' };

/**
 * `strict` is for what a client applies: malformed associative lists are an error there,
 * while in stored objects they are simply treated as atomic.
 */
export interface WalkContext {
  meta: PatchMeta;
  strict: boolean;
}

function shapeOf(v: unknown, names: string[], ctx: WalkContext): Shape {
  if (isObject(v)) {
    const m = names.length ? ctx.meta.at(names) : {};
    return m.mapType === 'atomic' ? { kind: 'leaf' } : { kind: 'struct', freeMap: !!m.isMap };
  }
  if (!Array.isArray(v)) return { kind: 'leaf' };
  const m = ctx.meta.at(names);
  const mergeStrategy = (m.patchStrategy ?? '').split(',').includes('merge');
  const listType = m.listType ?? (mergeStrategy ? (m.patchMergeKey ? 'map' : 'set') : 'atomic');
  if (listType === 'map') {
    const keys = m.listMapKeys?.length ? m.listMapKeys : m.patchMergeKey ? [m.patchMergeKey] : [];
    if (keys.length) return { kind: 'assoc', keys, defaults: m.listMapKeyDefaults ?? {} };
  }
  if (listType === 'set') return { kind: 'set' };
  return { kind: 'leaf' };
}

/** Path elements of a list's items, or undefined when the list cannot be keyed (then: atomic). */
function itemElements(list: unknown[], shape: Shape, path: FieldPath, ctx: WalkContext): PathElement[] | undefined {
  const out: PathElement[] = [];
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    let pe: PathElement;
    if (shape.kind === 'assoc') {
      if (!isObject(item)) return fail(`${pathString(path)}: element ${i}: associative list with keys may only contain objects`);
      const key: Record<string, unknown> = {};
      for (const k of shape.keys) {
        const kv = item[k] ?? shape.defaults[k];
        if (kv === undefined) {
          if (shape.keys.length > 1 && k !== shape.keys[0]) continue; // secondary keys may be absent
          return fail(
            `${pathString(path)}: element ${i}: associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`,
          );
        }
        key[k] = kv;
      }
      pe = keyElement(key);
    } else {
      if (isObject(item) || Array.isArray(item))
        return fail(`${pathString(path)}: element ${i}: associative list without keys has an element that's a map type`);
      pe = valueElement(item);
    }
    if (out.includes(pe)) return fail(`${pathString(path)}: duplicate entries for key ${pathString([pe])}`);
    out.push(pe);
  }
  return out;

  function fail(message: string): undefined {
    if (ctx.strict) throw errors.badRequest(`failed to create typed patch object: ${message}`);
    return undefined;
  }
}

/** Every field, list item and set value the object sets (structured-merge-diff's ToFieldSet). */
export function fieldSetOf(obj: JsonObject, ctx: WalkContext): FieldSet {
  const set = new FieldSet();
  const walk = (v: unknown, names: string[], path: FieldPath): void => {
    const shape = shapeOf(v, names, ctx);
    if (shape.kind === 'struct') {
      const o = v as JsonObject;
      if (path.length > 0 && Object.keys(o).length === 0) {
        set.add(path);
        return;
      }
      for (const [k, child] of Object.entries(o)) {
        const childPath = [...path, fieldElement(k)];
        walk(child, [...names, k], childPath);
        if (child === null || (isObject(child) && Object.keys(child).length === 0) || (shape.freeMap && isObject(child))) set.add(childPath);
      }
      return;
    }
    if (shape.kind === 'assoc' || shape.kind === 'set') {
      const list = v as unknown[];
      const pes = itemElements(list, shape, path, ctx);
      if (!pes) {
        set.add(path);
        return;
      }
      list.forEach((item, i) => {
        const itemPath = [...path, pes[i]];
        if (shape.kind === 'assoc') walk(item, names, itemPath);
        set.add(itemPath);
      });
      return;
    }
    if (path.length > 0) set.add(path);
  };
  walk(obj, [], []);
  return set;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/**
 * What changed from `lhs` to `rhs`: leaves that changed are modified; nodes present on one
 * side only are added or removed together with everything below them.
 */
export function compare(lhs: JsonObject, rhs: JsonObject, ctx: WalkContext): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const addAll = (v: unknown, names: string[], path: FieldPath, into: FieldSet): void => {
    const shape = shapeOf(v, names, ctx);
    // a struct is recorded through its fields (kube-apiserver's typed objects always carry
    // the non-pointer structs, so they never show up as added or removed themselves)
    const isFilledStruct = shape.kind === 'struct' && !shape.freeMap && Object.keys(v as JsonObject).length > 0;
    if (!isFilledStruct) into.add(path);
    if (shape.kind === 'struct') {
      for (const [k, child] of Object.entries(v as JsonObject)) addAll(child, [...names, k], [...path, fieldElement(k)], into);
    } else if (shape.kind === 'assoc' || shape.kind === 'set') {
      const pes = itemElements(v as unknown[], shape, path, ctx);
      if (pes) (v as unknown[]).forEach((item, i) => addAll(item, names, [...path, pes[i]], into));
    }
  };
  const walk = (l: unknown, r: unknown, names: string[], path: FieldPath): void => {
    if (l === undefined && r === undefined) return;
    if (l === undefined) {
      addAll(r, names, path, c.added);
      return;
    }
    if (r === undefined) {
      addAll(l, names, path, c.removed);
      return;
    }
    const ls = shapeOf(l, names, ctx);
    const rs = shapeOf(r, names, ctx);
    if (ls.kind === 'struct' && rs.kind === 'struct') {
      const lo = l as JsonObject;
      const ro = r as JsonObject;
      for (const k of new Set([...Object.keys(lo), ...Object.keys(ro)])) walk(lo[k], ro[k], [...names, k], [...path, fieldElement(k)]);
      return;
    }
    if ((ls.kind === 'assoc' || ls.kind === 'set') && ls.kind === rs.kind) {
      const lp = itemElements(l as unknown[], ls, path, ctx);
      const rp = itemElements(r as unknown[], rs, path, ctx);
      if (lp && rp) {
        const li = new Map(lp.map((pe, i) => [pe, (l as unknown[])[i]]));
        const ri = new Map(rp.map((pe, i) => [pe, (r as unknown[])[i]]));
        for (const pe of new Set([...lp, ...rp])) walk(li.get(pe), ri.get(pe), names, [...path, pe]);
        return;
      }
    }
    if (!deepEqual(l, r)) c.modified.add(path);
  };
  walk(lhs, rhs, [], []);
  return c;
}

/** The apply merge: the config wins on leaves, maps and keyed lists merge, nulls are dropped. */
export function mergeApplied(live: JsonObject, config: JsonObject, ctx: WalkContext): JsonObject {
  const merge = (l: unknown, r: unknown, names: string[], path: FieldPath): unknown => {
    if (r === undefined) return clone(l);
    if (l === undefined || l === null) return withoutNulls(clone(r), names, ctx);
    const ls = shapeOf(l, names, ctx);
    const rs = shapeOf(r, names, ctx);
    if (ls.kind === 'struct' && rs.kind === 'struct') {
      const lo = l as JsonObject;
      const ro = r as JsonObject;
      const out: JsonObject = {};
      for (const k of new Set([...Object.keys(lo), ...Object.keys(ro)])) {
        if (ro[k] === null) continue;
        out[k] = merge(lo[k], ro[k], [...names, k], [...path, fieldElement(k)]);
      }
      return out;
    }
    if ((ls.kind === 'assoc' || ls.kind === 'set') && ls.kind === rs.kind) {
      const lp = itemElements(l as unknown[], ls, path, { ...ctx, strict: false });
      const rp = itemElements(r as unknown[], rs, path, ctx);
      if (lp && rp) return mergeLists(l as unknown[], lp, r as unknown[], rp, (a, b) => merge(a, b, names, path));
    }
    return withoutNulls(clone(r), names, ctx);
  };
  return merge(live, config, [], []) as JsonObject;
}

/**
 * Keyed-list merge order of structured-merge-diff: items both sides have come in the
 * config's order; live-only items stay next to the shared item they preceded.
 */
function mergeLists(l: unknown[], lp: PathElement[], r: unknown[], rp: PathElement[], mergeItem: (a: unknown, b: unknown) => unknown): unknown[] {
  const li = new Map<PathElement, unknown>();
  lp.forEach((pe, i) => {
    if (!li.has(pe)) li.set(pe, l[i]);
  });
  const ri = new Map(rp.map((pe, i) => [pe, r[i]]));
  const shared = rp.filter((pe) => li.has(pe));
  let sharedAt = 0;
  const mergedR = new Set<PathElement>();
  const out: unknown[] = [];
  let a = 0;
  let b = 0;
  const nextShared = () => shared[sharedAt];
  while (a < lp.length || b < rp.length) {
    if (a < lp.length && b < rp.length) {
      const pe = lp[a];
      if (pe === rp[b]) {
        mergedR.add(pe);
        out.push(mergeItem(li.get(pe), ri.get(pe)));
        a++;
        b++;
        sharedAt++;
        continue;
      }
      if (ri.has(pe) && nextShared() !== undefined && nextShared() !== pe) {
        a++;
        continue;
      }
    }
    if (a < lp.length) {
      const pe = lp[a];
      if (!ri.has(pe)) {
        out.push(clone(l[a]));
        a++;
        continue;
      }
      if (mergedR.has(pe)) a++;
    }
    if (b < rp.length) {
      const pe = rp[b];
      mergedR.add(pe);
      out.push(mergeItem(li.get(pe), ri.get(pe)));
      b++;
      if (nextShared() === pe) sharedAt++;
    }
  }
  return out;
}

function withoutNulls(v: unknown, names: string[], ctx: WalkContext): unknown {
  const shape = shapeOf(v, names, ctx);
  if (shape.kind === 'struct') {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v as JsonObject)) if (x !== null) out[k] = withoutNulls(x, [...names, k], ctx);
    return out;
  }
  if (shape.kind === 'assoc') return (v as unknown[]).map((x) => withoutNulls(x, names, ctx));
  return v;
}

/**
 * Removes the given fields and items (with all below them). Maps and lists that become
 * empty through the removal go too, as the typed conversion drops their null.
 */
export function removeFields(obj: JsonObject, toRemove: FieldSet, ctx: WalkContext): JsonObject {
  const rm = (v: unknown, names: string[], path: FieldPath): unknown => {
    const shape = shapeOf(v, names, ctx);
    if (shape.kind === 'struct') {
      const out: JsonObject = {};
      for (const [k, child] of Object.entries(v as JsonObject)) {
        const cp = [...path, fieldElement(k)];
        if (toRemove.has(cp)) continue;
        if (!toRemove.hasDescendantOf(cp)) {
          out[k] = child;
          continue;
        }
        const nv = rm(child, [...names, k], cp);
        if (nv !== undefined) out[k] = nv;
      }
      return Object.keys(out).length === 0 && path.length > 0 ? undefined : out;
    }
    if (shape.kind === 'assoc' || shape.kind === 'set') {
      const list = v as unknown[];
      const pes = itemElements(list, shape, path, { ...ctx, strict: false });
      if (!pes) return v;
      const out: unknown[] = [];
      list.forEach((item, i) => {
        const ip = [...path, pes[i]];
        if (toRemove.has(ip)) return;
        out.push(toRemove.hasDescendantOf(ip) ? (rm(item, names, ip) ?? {}) : item);
      });
      return out.length === 0 ? undefined : out;
    }
    return v;
  };
  return (rm(obj, [], []) ?? {}) as JsonObject;
}
