// API discovery: /api, /apis, /apis/<group>, /api/v1, /apis/<group>/<version>, and the
// aggregated documents (apidiscovery.k8s.io v2 / v2beta1) kubectl prefers since 1.27.
// Everything is derived once from the ResourceDefs the server starts with.
import type { ResourceDef } from '../registry/types.ts';
import { compareGroups, compareVersions, storageVersionHash } from './catalog.ts';
import { aggregatedResource, legacyResourceList } from './documents.ts';
import { aggregatedContentType, negotiateAggregated } from './media.ts';

export { negotiateAggregated, aggregatedContentType } from './media.ts';
export type { AggregatedVersion } from './media.ts';
export { compareVersions, storageVersionHash } from './catalog.ts';

interface GroupVersionRef {
  groupVersion: string;
  version: string;
}

function checkDef(def: ResourceDef): void {
  for (const key of ['version', 'kind', 'resource', 'singular'] as const) {
    if (typeof def[key] !== 'string' || def[key] === '') throw new Error(`discovery: ResourceDef ${JSON.stringify(def.resource ?? def.kind)} has no ${key}`);
  }
  if (typeof def.group !== 'string') throw new Error(`discovery: ResourceDef ${def.resource} has no group`);
}

/**
 * Groups served by other servers (API aggregation), asked on every discovery request and
 * listed after ours; a group we serve ourselves is never taken from here.
 */
export interface ExtraGroupSource {
  /** metav1.APIGroup entries: name, versions, preferredVersion */
  apiGroups(): Record<string, unknown>[];
  /** apidiscovery.k8s.io APIGroupDiscovery items */
  aggregatedGroups(): Record<string, unknown>[];
}

export class Discovery {
  /** group → version → resources, groups and versions in serving order */
  private readonly groups = new Map<string, Map<string, ResourceDef[]>>();
  private readonly hashes = new Map<ResourceDef, string>();
  private readonly extraSources: ExtraGroupSource[] = [];

  addGroupSource(source: ExtraGroupSource): void {
    this.extraSources.push(source);
  }

  private extraApiGroups(): Record<string, unknown>[] {
    return this.extraSources.flatMap((s) => s.apiGroups()).filter((g) => !this.groups.has(g.name as string));
  }

  private extraAggregatedGroups(): Record<string, unknown>[] {
    return this.extraSources.flatMap((s) => s.aggregatedGroups()).filter((g) => !this.groups.has((g.metadata as { name: string }).name));
  }

  constructor(defs: ResourceDef[]) {
    const seen = new Set<string>();
    const byGroup = new Map<string, Map<string, ResourceDef[]>>();
    for (const def of defs) {
      checkDef(def);
      const id = `${def.group}/${def.version}/${def.resource}`;
      if (seen.has(id)) throw new Error(`discovery: resource ${id} is defined twice`);
      seen.add(id);
      const versions = byGroup.get(def.group) ?? new Map<string, ResourceDef[]>();
      byGroup.set(def.group, versions);
      versions.set(def.version, [...(versions.get(def.version) ?? []), def]);
    }
    for (const group of [...byGroup.keys()].sort(compareGroups)) {
      const versions = byGroup.get(group)!;
      const ordered = new Map<string, ResourceDef[]>();
      for (const v of [...versions.keys()].sort(compareVersions)) {
        ordered.set(
          v,
          [...versions.get(v)!].sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0)),
        );
      }
      this.groups.set(group, ordered);
    }
    this.computeHashes(defs);
  }

  /**
   * The hash names the version an object is stored as. Resources that share storage with another
   * (events.k8s.io Events are stored as core Events) take the hash of the one that stores natively.
   */
  private computeHashes(defs: ResourceDef[]): void {
    const storageKey = (d: ResourceDef) => d.storageResource ?? d.resource;
    for (const def of defs) {
      let owner = def;
      if (def.toStorage) {
        const native = defs.find((d) => d !== def && !d.toStorage && storageKey(d) === storageKey(def));
        if (native) owner = native;
      }
      this.hashes.set(def, storageVersionHash({ group: owner.group, version: owner.version, kind: owner.kind }));
    }
  }

  private namedGroups(): [string, Map<string, ResourceDef[]>][] {
    return [...this.groups.entries()].filter(([g]) => g !== '');
  }

  private static versionRefs(group: string, versions: Map<string, ResourceDef[]>): GroupVersionRef[] {
    return [...versions.keys()].map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  }

  private static apiGroupOf(group: string, versions: Map<string, ResourceDef[]>): Record<string, unknown> {
    const refs = Discovery.versionRefs(group, versions);
    return { name: group, versions: refs, preferredVersion: refs[0] };
  }

  /** GET /api: APIVersions. */
  apiVersions(serverAddress: string): object {
    const core = this.groups.get('');
    return {
      kind: 'APIVersions',
      versions: core ? [...core.keys()] : [],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    };
  }

  /** GET /apis: APIGroupList, the preferred version of each group first. */
  apiGroupList(): object {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...this.namedGroups().map(([g, versions]) => Discovery.apiGroupOf(g, versions)), ...this.extraApiGroups()],
    };
  }

  /** GET /apis/<group>: APIGroup, or undefined for a group we do not serve. */
  apiGroup(group: string): object | undefined {
    const versions = group === '' ? undefined : this.groups.get(group);
    if (!versions) {
      const extra = group === '' ? undefined : this.extraApiGroups().find((g) => g.name === group);
      return extra && { kind: 'APIGroup', apiVersion: 'v1', ...extra };
    }
    return { kind: 'APIGroup', apiVersion: 'v1', ...Discovery.apiGroupOf(group, versions) };
  }

  /** GET /api/v1, /apis/<group>/<version>: APIResourceList, or undefined when not served. */
  resourceList(group: string, version: string): object | undefined {
    const defs = this.groups.get(group)?.get(version);
    if (!defs) return undefined;
    return legacyResourceList(group ? `${group}/${version}` : version, defs, (d) => this.hashes.get(d));
  }

  /**
   * Aggregated discovery for GET /api (prefix 'api': the core group) or /apis (every named group)
   * when the Accept header prefers it; undefined means: serve the legacy document instead.
   */
  aggregated(accept: string, prefix: 'api' | 'apis' = 'apis'): { contentType: string; body: object } | undefined {
    const version = negotiateAggregated(accept);
    if (!version) return undefined;
    const groups = prefix === 'api' ? [...this.groups.entries()].filter(([g]) => g === '') : this.namedGroups();
    const items: Record<string, unknown>[] = groups.map(([group, versions]) => ({
      metadata: { name: group, creationTimestamp: null },
      versions: [...versions.entries()].map(([v, defs]) => ({ version: v, resources: defs.map(aggregatedResource), freshness: 'Current' })),
    }));
    if (prefix === 'apis') items.push(...this.extraAggregatedGroups());
    return {
      contentType: aggregatedContentType[version],
      body: { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items },
    };
  }
}
