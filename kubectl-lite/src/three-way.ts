// The patch `kubectl apply` sends: from the last applied configuration (original), the
// manifest (modified) and the live object (current). Fields in the manifest that differ
// from live are set, fields dropped since the last apply are deleted, and fields nobody
// applied (server defaults, other writers) are left alone. Lists with a merge key are
// patched item by item; other lists are replaced. Without a schema, maps still merge and
// every list is replaced (the JSON merge patch rules).
import { isDeepStrictEqual } from 'node:util';
import type { SchemaNode } from './patch-schema.ts';

type Json = any;

function isObject(v: unknown): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function threeWayPatch(original: Json, modified: Json, current: Json, node: SchemaNode | undefined): Record<string, Json> {
  const out: Record<string, Json> = {};
  const orig = isObject(original) ? original : {};
  const cur = isObject(current) ? current : {};
  for (const [k, m] of Object.entries(modified ?? {})) {
    const c = cur[k];
    if (isObject(m) && isObject(c)) {
      const sub = threeWayPatch(orig[k], m, c, node?.child(k));
      if (Object.keys(sub).length > 0) out[k] = sub;
    } else if (Array.isArray(m) && Array.isArray(c)) {
      const list = node?.list(k);
      if (list?.merge && list.mergeKey && m.every(isObject)) {
        const sub = mergeList(Array.isArray(orig[k]) ? orig[k] : [], m, c, list.mergeKey, node?.items(k));
        if (sub) out[k] = sub;
      } else if (list?.merge && m.every((x) => !isObject(x))) {
        const added = m.filter((x) => !c.some((y) => isDeepStrictEqual(x, y)));
        const removed = (Array.isArray(orig[k]) ? orig[k] : []).filter((x: Json) => !m.includes(x) && c.includes(x));
        if (added.length) out[k] = added;
        if (removed.length) out[`$deleteFromPrimitiveList/${k}`] = removed;
      } else if (!isDeepStrictEqual(m, c) && !(Array.isArray(orig[k]) && isDeepStrictEqual(m, orig[k]) && sameLength(m, c))) {
        out[k] = m;
      }
    } else if (!isDeepStrictEqual(m, c)) {
      out[k] = m;
    }
  }
  for (const k of Object.keys(orig)) {
    if (!(k in (modified ?? {})) && k in cur) out[k] = null;
  }
  return out;
}

/** Lists of objects the server keeps defaults in: unchanged since the last apply means leave alone. */
function sameLength(a: Json[], b: Json[]): boolean {
  return a.length === b.length;
}

function mergeList(original: Json[], modified: Json[], current: Json[], key: string, items: SchemaNode | undefined): Json[] | undefined {
  const find = (list: Json[], v: Json) => list.find((x) => isObject(x) && isDeepStrictEqual(x[key], v));
  const out: Json[] = [];
  for (const m of modified) {
    const c = find(current, m[key]);
    if (!c) {
      out.push(m);
      continue;
    }
    const sub = threeWayPatch(find(original, m[key]), m, c, items);
    if (Object.keys(sub).length > 0) out.push({ [key]: m[key], ...sub });
  }
  for (const o of original) {
    if (!isObject(o) || find(modified, o[key])) continue;
    if (find(current, o[key])) out.push({ [key]: o[key], $patch: 'delete' });
  }
  return out.length > 0 ? out : undefined;
}
