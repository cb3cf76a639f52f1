// Structural pruning (apiextensions pkg/apiserver/schema/pruning): fields the schema does not
// declare are removed, unless x-kubernetes-preserve-unknown-fields keeps them; apiVersion, kind and
// metadata survive at the root and in x-kubernetes-embedded-resource objects. The removed paths are
// returned for field validation (Strict: 422, Warn: warning headers).
import type { JSONSchemaProps } from './index.ts';
import { isObject, itemsSchema } from './node.ts';

const typeMetaAndMeta = new Set(['apiVersion', 'kind', 'metadata']);

/** JSON-path style used in pruning reports: `.spec.foo`, `.spec.list[0].bar`. */
function child(path: string, key: string): string {
  return `${path}.${key}`;
}

export function pruneUnknown(x: unknown, s: JSONSchemaProps | undefined, opts: { root: boolean; preserveAtRoot: boolean }): string[] {
  const pruned: string[] = [];
  if (opts.root && isObject(x)) {
    for (const [k, v] of Object.entries(x)) {
      if (typeMetaAndMeta.has(k)) continue; // ObjectMeta is pruned by its own codec, not by the schema
      const prop = s?.properties?.[k];
      if (prop) walk(v, prop, `.${k}`, pruned);
      else if (!opts.preserveAtRoot && !keepsUnknown(s)) {
        delete x[k];
        pruned.push(`.${k}`);
      } else walk(v, additional(s), `.${k}`, pruned);
    }
    return pruned;
  }
  walk(x, s, '', pruned);
  return pruned;
}

function keepsUnknown(s: JSONSchemaProps | undefined): boolean {
  return s?.['x-kubernetes-preserve-unknown-fields'] === true || s?.additionalProperties === true;
}

function additional(s: JSONSchemaProps | undefined): JSONSchemaProps | undefined {
  return s && typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
}

function walk(x: unknown, s: JSONSchemaProps | undefined, path: string, pruned: string[]): void {
  // No schema here means "anything" (inside preserve-unknown-fields): nothing to prune below.
  if (!s) return;
  if (isObject(x)) {
    const extra = additional(s);
    const embedded = s['x-kubernetes-embedded-resource'] === true;
    for (const [k, v] of Object.entries(x)) {
      const prop = s.properties?.[k];
      if (prop) walk(v, prop, child(path, k), pruned);
      else if (extra) walk(v, extra, child(path, k), pruned);
      else if (embedded && typeMetaAndMeta.has(k)) continue;
      else if (!keepsUnknown(s)) {
        delete x[k];
        pruned.push(child(path, k));
      }
    }
    return;
  }
  if (Array.isArray(x)) {
    const items = itemsSchema(s);
    for (let i = 0; i < x.length; i++) walk(x[i], items, `${path}[${i}]`, pruned);
  }
}
