// Where strategic merge patches need to know a list's merge key: the patch extensions
// (x-kubernetes-patch-merge-key / -strategy) of the server's OpenAPI v2 document, walked
// along the object's path from its kind's definition.
import type { ApiClient } from './client.ts';

interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  allOf?: Schema[];
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
}

export interface ListPatchInfo {
  mergeKey?: string;
  merge: boolean;
}

/** A position in a kind's schema; undefined children mean "no schema known below here". */
export class SchemaNode {
  private doc: OpenApiDoc;
  private schema: Schema;

  constructor(doc: OpenApiDoc, schema: Schema) {
    this.doc = doc;
    this.schema = doc.deref(schema);
  }

  /** the property's own schema (with the list extensions), before dereferencing */
  private property(key: string): Schema | undefined {
    const p = this.schema.properties?.[key];
    if (p) return p;
    const ap = this.schema.additionalProperties;
    return typeof ap === 'object' ? ap : undefined;
  }

  child(key: string): SchemaNode | undefined {
    const p = this.property(key);
    return p ? new SchemaNode(this.doc, p) : undefined;
  }

  list(key: string): ListPatchInfo {
    const p = this.property(key);
    const strategy = p?.['x-kubernetes-patch-strategy'] ?? '';
    return { mergeKey: p?.['x-kubernetes-patch-merge-key'], merge: strategy.split(',').includes('merge') };
  }

  items(key: string): SchemaNode | undefined {
    const p = this.property(key);
    const items = p ? this.doc.deref(p).items : undefined;
    return items ? new SchemaNode(this.doc, items) : undefined;
  }
}

export class OpenApiDoc {
  private definitions: Record<string, Schema>;

  constructor(definitions: Record<string, Schema>) {
    this.definitions = definitions;
  }

  deref(s: Schema): Schema {
    let cur = s;
    for (let i = 0; i < 20 && (cur.$ref || (cur.allOf?.length === 1 && !cur.properties)); i++) {
      if (cur.$ref) cur = this.definitions[cur.$ref.replace('#/definitions/', '')] ?? {};
      else cur = cur.allOf![0]!;
    }
    return cur;
  }

  forKind(apiVersion: string, kind: string): SchemaNode | undefined {
    const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/', 2) as [string, string]) : ['', apiVersion];
    for (const def of Object.values(this.definitions)) {
      const gvk = def['x-kubernetes-group-version-kind'];
      if (gvk?.some((g) => g.group === group && g.version === version && g.kind === kind)) return new SchemaNode(this, def);
    }
    return undefined;
  }
}

const cache = new WeakMap<ApiClient, Promise<OpenApiDoc>>();

export function loadOpenApi(client: ApiClient): Promise<OpenApiDoc> {
  let doc = cache.get(client);
  if (!doc) {
    doc = client.get<{ definitions?: Record<string, Schema> }>('/openapi/v2').then((d) => new OpenApiDoc(d.definitions ?? {}));
    cache.set(client, doc);
  }
  return doc;
}
