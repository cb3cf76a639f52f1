// The schema's patch semantics, remembered per field path. Every write walks the object's fields
// through at() (managed fields, apply, strategic merge), so answers are kept in a tree of path
// segments: a lookup costs one map step per segment, with no key to build, and stops at the first
// segment the schema does not know, since nothing below an unknown field is known either. (A
// cache keyed by the joined path cost each lookup the path's length: a field nested a thousand
// levels deep cost its write a second.)
import type { FieldPatchMeta, PatchMeta } from '../patch/index.ts';
import { outsideSchema } from './schema-lookup.ts';

interface Node {
  meta?: FieldPatchMeta;
  children: Map<string, Node>;
}

/** Paths kept before the tree starts over: map keys (labels, ConfigMap data) are paths too. */
const maxNodes = 10_000;

/**
 * `fromSchema` answers from the OpenAPI schema; `builtin` adds what the schemas do not carry: the
 * defaults of list-map keys (a Service port's protocol is TCP when left out), which server-side
 * apply needs to match items.
 */
export function cachedPatchMeta(fromSchema: PatchMeta, builtin: PatchMeta): PatchMeta {
  let root: Node = { children: new Map() };
  let nodes = 0;
  const compute = (path: string[]): FieldPatchMeta => {
    const m = fromSchema.at(path);
    if (m.listMapKeyDefaults || !m.listMapKeys?.length) return m;
    const defaults = builtin.at(path).listMapKeyDefaults;
    return defaults ? { ...m, listMapKeyDefaults: defaults } : m;
  };
  return {
    at(path: string[]) {
      if (nodes > maxNodes) {
        root = { children: new Map() };
        nodes = 0;
      }
      let node = root;
      for (const segment of path) {
        if (node.meta === outsideSchema) return outsideSchema;
        let next = node.children.get(segment);
        if (!next) {
          next = { children: new Map() };
          node.children.set(segment, next);
          nodes++;
        }
        node = next;
      }
      node.meta ??= compute(path);
      return node.meta;
    },
  };
}
