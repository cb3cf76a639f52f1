// OpenAPI of the served resources: /openapi/v2 (JSON and gnostic protobuf) and /openapi/v3
// (an index plus one document per group-version). Built once at start-up from the official
// client's models (see definitions.ts); every serialized form is cached with its hash.
import { createHash } from 'node:crypto';
import { createLogger } from '@skiff/common/log';
import type { ResourceDef } from '../registry/types.ts';
import { DefinitionCatalog, referencedDefinitions } from './definitions.ts';
import type { Schema } from './definitions.ts';
import { metaV1Prefix } from './naming.ts';
import { resourcePaths } from './paths.ts';
import type { KindDefinitions, PathItem } from './paths.ts';
import { v3Document } from './v3.ts';
import { encodeV2Protobuf } from './v2-protobuf.ts';

export { schemaFor, kindDefinition, definitionAt, patchMetaFor } from './schema-lookup.ts';
export type { PatchMeta, PatchMetaAt } from './schema-lookup.ts';
export { openApiV2ProtobufMediaType, openApiV2ProtobufResponseType, decodeV2Protobuf } from './v2-protobuf.ts';
export type { Schema } from './definitions.ts';

const log = createLogger('openapi');

export interface OpenApiOptions {
  /** info.version of the documents, the server's gitVersion */
  version?: string;
}

interface Serialized {
  bytes: Buffer;
  hash: string;
}

export class OpenApi {
  private readonly v2: Schema;
  private readonly pathsByGroupVersion = new Map<string, Record<string, PathItem>>();
  private readonly definitions: Map<string, Schema>;
  private readonly version: string;
  private v2JsonCache?: Serialized;
  private v2ProtobufCache?: Buffer;
  private readonly v3Cache = new Map<string, Serialized>();
  /** definitions /openapi/v3 publishes in their own v3 form (custom resources keep nullable, anyOf...) */
  private readonly v3Definitions = new Map<string, Schema>();

  constructor(resources: ResourceDef[], options: OpenApiOptions = {}) {
    const started = performance.now();
    this.version = options.version ?? 'v1.33.0';
    const catalog = new DefinitionCatalog();
    const common = {
      status: mustKind(catalog, '', 'v1', 'Status'),
      deleteOptions: mustKind(catalog, '', 'v1', 'DeleteOptions'),
      watchEvent: mustKind(catalog, '', 'v1', 'WatchEvent'),
      patch: catalog.wellKnown(`${metaV1Prefix}.Patch`),
    };
    catalog.markKind(common.status, { group: '', version: 'v1', kind: 'Status' });
    const subKinds = {
      scale: ['autoscaling', 'v1', 'Scale'],
      eviction: ['policy', 'v1', 'Eviction'],
      binding: ['', 'v1', 'Binding'],
    } as const;
    const paths: Record<string, PathItem> = {};
    for (const def of resources) {
      const custom = def.openAPISchema ? customKind(catalog, def, def.openAPISchema.v2) : undefined;
      if (custom && def.openAPISchema) this.v3Definitions.set(custom.object, def.openAPISchema.v3);
      const object = custom?.object ?? catalog.kind(def.group, def.version, def.kind) ?? freeFormKind(catalog, def);
      const list = custom?.list ?? catalog.kind(def.group, def.version, def.listKind ?? `${def.kind}List`);
      catalog.markKind(object, { group: def.group, version: def.version, kind: def.kind });
      if (list) catalog.markKind(list, { group: def.group, version: def.version, kind: def.listKind ?? `${def.kind}List` });
      for (const shared of [common.deleteOptions, common.watchEvent]) {
        catalog.markKind(shared, { group: def.group, version: def.version, kind: shared === common.deleteOptions ? 'DeleteOptions' : 'WatchEvent' });
      }
      const kinds: KindDefinitions = { object, list, ...common };
      for (const [sub, [g, v, k]] of Object.entries(subKinds)) {
        if (!def.subresources?.includes(sub)) continue;
        const name = mustKind(catalog, g, v, k);
        catalog.markKind(name, { group: g, version: v, kind: k });
        kinds[sub as keyof typeof subKinds] = name;
      }
      const own = resourcePaths(def, kinds);
      Object.assign(paths, own);
      const gvPath = groupVersionPath(def.group, def.version);
      this.pathsByGroupVersion.set(gvPath, { ...this.pathsByGroupVersion.get(gvPath), ...own });
    }
    this.definitions = catalog.definitions;
    this.v2 = {
      swagger: '2.0',
      info: { title: 'Kubernetes', version: this.version },
      paths: sortedObject(paths),
      definitions: sortedObject(Object.fromEntries(catalog.definitions)),
      securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
      security: [{ BearerToken: [] }],
    };
    log.info('openapi built', { resources: resources.length, definitions: catalog.definitions.size, ms: Math.round(performance.now() - started) });
  }

  /** The whole v2 document as a JS object (not a copy: do not mutate). */
  v2Document(): Schema {
    return this.v2;
  }

  v2Json(): Buffer {
    return this.v2Serialized().bytes;
  }

  v2Etag(): string {
    return `"${this.v2Serialized().hash}"`;
  }

  v2Protobuf(): Buffer {
    this.v2ProtobufCache ??= encodeV2Protobuf(this.v2);
    return this.v2ProtobufCache;
  }

  /** Group-versions served, as /openapi/v3 names them: 'api/v1', 'apis/apps/v1', ... */
  v3GroupVersions(): string[] {
    return [...this.pathsByGroupVersion.keys()].sort();
  }

  v3Index(): { paths: Record<string, { serverRelativeURL: string }> } {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const gv of this.v3GroupVersions()) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${this.v3Hash(gv)}` };
    return { paths };
  }

  v3Document(gvPath: string): Buffer | undefined {
    return this.v3Serialized(gvPath)?.bytes;
  }

  /** The content hash of a v3 document ('' for an unknown group-version); also its ETag body. */
  v3Hash(gvPath: string): string {
    return this.v3Serialized(gvPath)?.hash ?? '';
  }

  /** Definition names a document needs, for tests and debugging. */
  referencedBy(gvPath: string): string[] {
    const paths = this.pathsByGroupVersion.get(gvPath);
    return paths ? [...referencedDefinitions(Object.values(paths), this.definitions)].sort() : [];
  }

  private v2Serialized(): Serialized {
    this.v2JsonCache ??= serialize(this.v2);
    return this.v2JsonCache;
  }

  private v3Serialized(gvPath: string): Serialized | undefined {
    const normalized = gvPath.replace(/^\/+|\/+$/g, '');
    const cached = this.v3Cache.get(normalized);
    if (cached) return cached;
    const paths = this.pathsByGroupVersion.get(normalized);
    if (!paths) return undefined;
    const out = serialize(v3Document(sortedObject(paths), this.definitions, this.version, this.v3Definitions));
    this.v3Cache.set(normalized, out);
    return out;
  }
}

export function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function serialize(doc: Schema): Serialized {
  const bytes = Buffer.from(JSON.stringify(doc));
  return { bytes, hash: createHash('sha512').update(bytes).digest('hex').toUpperCase() };
}

function mustKind(catalog: DefinitionCatalog, group: string, version: string, kind: string): string {
  const name = catalog.kind(group, version, kind);
  if (!name) throw new Error(`no schema for ${group || 'core'}/${version} ${kind} in @kubernetes/client-node`);
  return name;
}

/**
 * A kind that brings its own schema (a CRD version), named as apiextensions-apiserver names it:
 * the group reversed, then version and kind (`com.example.stable.v1.CronTab`), with its list.
 */
function customKind(catalog: DefinitionCatalog, def: ResourceDef, schema: Schema): { object: string; list: string } {
  const prefix = `${def.group.split('.').reverse().join('.')}.${def.version}`;
  const object = `${prefix}.${def.kind}`;
  const listKind = def.listKind ?? `${def.kind}List`;
  const list = `${prefix}.${listKind}`;
  const listMeta = mustKind(catalog, '', 'v1', 'ListMeta');
  catalog.definitions.set(object, structuredClone(schema));
  catalog.definitions.set(list, {
    description: `${listKind} is a list of ${def.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      items: {
        type: 'array',
        description: `List of ${def.resource}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
        items: { $ref: `#/definitions/${object}` },
      },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: { $ref: `#/definitions/${listMeta}`, description: 'Standard list metadata.' },
    },
  });
  return { object, list };
}

/** A kind the client does not know (a resource of our own): any fields, with standard metadata. */
function freeFormKind(catalog: DefinitionCatalog, def: ResourceDef): string {
  const name = `io.skiff.${def.group || 'core'}.${def.version}.${def.kind}`;
  catalog.definitions.set(name, {
    type: 'object',
    description: `${def.kind} of ${def.group || 'core'}/${def.version}.`,
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: { $ref: `#/definitions/${metaV1Prefix}.ObjectMeta`, description: "Standard object's metadata." },
    },
    'x-kubernetes-preserve-unknown-fields': true,
  });
  return name;
}

function sortedObject<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
