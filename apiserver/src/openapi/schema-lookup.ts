// Schema look-ups the request path needs: the schema of a kind (the typed decoder in
// registry/typed/ compiles it), and the merge semantics of a field (strategic merge patch and
// server-side apply).
import { DefinitionCatalog, refPrefixV2 } from './definitions.ts';
import type { Schema } from './definitions.ts';

let shared: DefinitionCatalog | undefined;
function catalog(): DefinitionCatalog {
  shared ??= new DefinitionCatalog();
  return shared;
}

function definitionName(group: string, version: string, kind: string): string | undefined {
  const c = catalog();
  const name = c.kind(group, version, kind);
  if (name) c.markKind(name, { group, version, kind });
  return name;
}

/** The OpenAPI v2 definition of a kind ($refs point into `#/definitions/`), or undefined if unknown. */
export function schemaFor(group: string, version: string, kind: string): Schema | undefined {
  const name = definitionName(group, version, kind);
  return name ? catalog().definitions.get(name) : undefined;
}

/** Follows `$ref` (also a lone `allOf: [{$ref}]`) to the definition it names. */
function resolve(s: Schema | undefined): Schema | undefined {
  let cur = s;
  for (let i = 0; cur && i < 16; i++) {
    const ref: string | undefined = cur.$ref ?? (cur.allOf?.length === 1 ? cur.allOf[0].$ref : undefined);
    if (!ref) return cur;
    cur = catalog().definitions.get(ref.slice(refPrefixV2.length));
  }
  return cur;
}

/** The definition a `$ref` names, for walkers that need the definition's name (Go type names). */
export function definitionAt(ref: string): { name: string; schema: Schema } | undefined {
  if (!ref.startsWith(refPrefixV2)) return undefined;
  const name = ref.slice(refPrefixV2.length);
  const schema = catalog().definitions.get(name);
  return schema ? { name, schema } : undefined;
}

/** The definition name and schema of a served kind, or undefined if the catalog has none. */
export function kindDefinition(group: string, version: string, kind: string): { name: string; schema: Schema } | undefined {
  const name = definitionName(group, version, kind);
  const schema = name ? catalog().definitions.get(name) : undefined;
  return name && schema ? { name, schema } : undefined;
}

export interface PatchMetaAt {
  patchStrategy?: string;
  patchMergeKey?: string;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  mapType?: 'atomic' | 'granular';
  /** OpenAPI type of the field: 'object', 'array', 'string', 'integer', ... */
  type?: string;
  isList?: boolean;
  /** a map with arbitrary keys (additionalProperties), as opposed to a struct */
  isMap?: boolean;
  /** the field's schema with its $ref resolved */
  schema?: Schema;
}

export interface PatchMeta {
  /**
   * Merge semantics of the field at `path` (field names; a list's items are reached through the
   * list field's name, a map's values through any key). `{}` when the schema has no such field.
   */
  at(path: string[]): PatchMetaAt;
}

/**
 * Merge semantics of the fields of a kind; undefined when the kind has no schema. A kind that
 * brings its own schema (a custom resource) passes it as `own`; its $refs (ObjectMeta) resolve
 * in the shared catalog.
 */
export function patchMetaFor(group: string, version: string, kind: string, own?: Schema): PatchMeta | undefined {
  const root = own ?? schemaFor(group, version, kind);
  if (!root) return undefined;
  return { at: (path) => metaAt(root, path) };
}

/** The answer for a path the schema does not have, and so for every path below it. */
export const outsideSchema: PatchMetaAt = Object.freeze({});

function metaAt(root: Schema, path: string[]): PatchMetaAt {
  let field: Schema = root;
  for (const segment of path) {
    let s = resolve(field);
    // A list's items (and a list of lists' items) are traversed by the list's own name.
    while (s && s.type === 'array' && s.items) s = resolve(s.items);
    if (!s) return outsideSchema;
    const prop = s.properties?.[segment];
    if (prop) field = prop;
    else if (s.additionalProperties && typeof s.additionalProperties === 'object') field = s.additionalProperties;
    else return outsideSchema;
  }
  const resolved = resolve(field) ?? {};
  const ext = (k: string) => field[k] ?? resolved[k];
  const type: string | undefined = resolved.type ?? field.type;
  const out: PatchMetaAt = { type, schema: resolved };
  if (ext('x-kubernetes-patch-strategy')) out.patchStrategy = ext('x-kubernetes-patch-strategy');
  if (ext('x-kubernetes-patch-merge-key')) out.patchMergeKey = ext('x-kubernetes-patch-merge-key');
  if (ext('x-kubernetes-list-type')) out.listType = ext('x-kubernetes-list-type');
  if (ext('x-kubernetes-list-map-keys')) out.listMapKeys = ext('x-kubernetes-list-map-keys');
  if (ext('x-kubernetes-map-type')) out.mapType = ext('x-kubernetes-map-type');
  if (type === 'array') out.isList = true;
  if (type === 'object' && !resolved.properties && resolved.additionalProperties !== undefined) out.isMap = true;
  return out;
}
