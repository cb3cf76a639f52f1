// Validation ratcheting (CRDValidationRatcheting, on by default since Kubernetes 1.30): on update,
// a schema error about a value that did not change is dropped, so that tightening a CRD's schema
// does not lock existing objects. A value is compared with its correlated old value: object fields
// by name, list-type=map items by key; items of other lists have no counterpart, so their nearest
// correlatable ancestor (the list) must be unchanged.
import { isDeepStrictEqual } from 'node:util';
import type { JSONSchemaProps } from './index.ts';
import { isObject, itemsSchema, schemaForKey } from './node.ts';

/** The old list-type=map item with the same key values as `item`. */
export function correlateMapItem(item: unknown, oldList: unknown[], keys: string[]): unknown {
  if (!isObject(item)) return undefined;
  return oldList.find((o) => isObject(o) && keys.every((k) => isDeepStrictEqual(o[k], item[k])));
}

/** Whether the value at a JSON pointer of `obj` equals its correlated value in `old`. */
export function unchangedAt(pointer: string, obj: unknown, old: unknown, schema: JSONSchemaProps | undefined): boolean {
  let cur = obj;
  let prev = old;
  let s = schema;
  if (pointer !== '') {
    for (const raw of pointer.slice(1).split('/')) {
      const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      if (Array.isArray(cur)) {
        const keys = s?.['x-kubernetes-list-type'] === 'map' ? s['x-kubernetes-list-map-keys'] : undefined;
        // an item that cannot be correlated ratchets only if its whole list is unchanged
        if (!keys || !Array.isArray(prev)) return isDeepStrictEqual(cur, prev);
        cur = cur[Number(seg)];
        prev = correlateMapItem(cur, prev, keys);
        s = s ? itemsSchema(s) : undefined;
      } else {
        if (!isObject(cur) || !isObject(prev) || !(seg in prev)) return false;
        cur = cur[seg];
        prev = prev[seg];
        s = s ? schemaForKey(s, seg) : undefined;
      }
      if (prev === undefined) return false;
    }
  }
  return isDeepStrictEqual(cur, prev);
}
