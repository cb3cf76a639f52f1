// The aggregated groups discovery adds to ours. Legacy /apis lists every APIService with a
// Service (as kube's apisHandler does, available or not); aggregated discovery lists the
// resources each backend last reported at /apis/<group>/<version> (the availability check
// fetches that document), marked Stale while the backend fails, and leaves out versions that
// never answered, as kube's discovery manager does.
import { compareVersions } from '../discovery/catalog.ts';
import type { KObject } from '../registry/types.ts';

interface VersionEntry {
  group: string;
  version: string;
  groupPriorityMinimum: number;
  versionPriority: number;
  /** the backend's APIResourceList.resources, once it answered */
  resources?: any[];
  stale: boolean;
}

export class AggregatedGroups {
  /** APIService name → what it serves (APIServices with a Service only) */
  private readonly versions = new Map<string, VersionEntry>();

  /** An APIService was seen; a Local one (no spec.service) is ours and not listed here. */
  setApiService(obj: KObject): void {
    const name = obj.metadata.name ?? '';
    if (!obj.spec?.service) {
      this.versions.delete(name);
      return;
    }
    const prev = this.versions.get(name);
    const entry: VersionEntry = {
      group: obj.spec.group,
      version: obj.spec.version,
      groupPriorityMinimum: obj.spec.groupPriorityMinimum ?? 0,
      versionPriority: obj.spec.versionPriority ?? 0,
      stale: prev?.stale ?? false,
    };
    if (prev?.resources) entry.resources = prev.resources;
    this.versions.set(name, entry);
  }

  removeApiService(name: string): void {
    this.versions.delete(name);
  }

  /** The backend answered its discovery document. */
  fresh(name: string, resourceList: { resources?: any[] }): void {
    const e = this.versions.get(name);
    if (!e) return;
    e.resources = Array.isArray(resourceList.resources) ? resourceList.resources : [];
    e.stale = false;
  }

  /** The backend failed its check: what it said last is kept, marked Stale. */
  stale(name: string): void {
    const e = this.versions.get(name);
    if (e) e.stale = true;
  }

  /** group → its versions, most preferred first (versionPriority, then kube's version order) */
  private byGroup(): Map<string, VersionEntry[]> {
    const groups = new Map<string, VersionEntry[]>();
    for (const e of this.versions.values()) groups.set(e.group, [...(groups.get(e.group) ?? []), e]);
    for (const list of groups.values()) list.sort((a, b) => b.versionPriority - a.versionPriority || compareVersions(a.version, b.version));
    const priority = (list: VersionEntry[]) => Math.max(...list.map((e) => e.groupPriorityMinimum));
    // groupPriorityMinimum, highest first, then by name
    return new Map([...groups.entries()].sort(([ga, a], [gb, b]) => priority(b) - priority(a) || (ga < gb ? -1 : ga > gb ? 1 : 0)));
  }

  /** metav1.APIGroup entries (name, versions, preferredVersion) for /apis and /apis/<group>. */
  apiGroups(): Record<string, unknown>[] {
    return [...this.byGroup().entries()].map(([group, list]) => {
      const refs = list.map((e) => ({ groupVersion: `${group}/${e.version}`, version: e.version }));
      return { name: group, versions: refs, preferredVersion: refs[0] };
    });
  }

  /** apidiscovery.k8s.io APIGroupDiscovery items of the versions that answered at least once. */
  aggregatedGroups(): Record<string, unknown>[] {
    const items: Record<string, unknown>[] = [];
    for (const [group, list] of this.byGroup()) {
      const versions = list
        .filter((e) => e.resources)
        .map((e) => ({ version: e.version, resources: toDiscoveryResources(group, e.version, e.resources!), freshness: e.stale ? 'Stale' : 'Current' }));
      if (versions.length) items.push({ metadata: { name: group, creationTimestamp: null }, versions });
    }
    return items;
  }
}

/** A legacy APIResourceList's entries as APIResourceDiscovery, subresources under their resource. */
export function toDiscoveryResources(group: string, version: string, list: any[]): Record<string, unknown>[] {
  const byName = new Map<string, Record<string, unknown> & { subresources?: Record<string, unknown>[] }>();
  for (const r of list) {
    if (typeof r?.name !== 'string' || r.name.includes('/')) continue;
    const out: Record<string, unknown> = {
      resource: r.name,
      responseKind: { group: r.group ?? group, version: r.version ?? version, kind: r.kind ?? '' },
      scope: r.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: r.singularName || String(r.kind ?? '').toLowerCase(),
      verbs: Array.isArray(r.verbs) ? r.verbs : [],
    };
    if (Array.isArray(r.shortNames) && r.shortNames.length) out.shortNames = r.shortNames;
    if (Array.isArray(r.categories) && r.categories.length) out.categories = r.categories;
    byName.set(r.name, out);
  }
  for (const r of list) {
    if (typeof r?.name !== 'string' || !r.name.includes('/')) continue;
    const [parent, sub] = r.name.split('/', 2);
    const p = byName.get(parent);
    if (!p) continue;
    p.subresources = [
      ...(p.subresources ?? []),
      {
        subresource: sub,
        responseKind: { group: r.group ?? group, version: r.version ?? version, kind: r.kind ?? '' },
        verbs: Array.isArray(r.verbs) ? r.verbs : [],
      },
    ];
  }
  return [...byName.values()].sort((a, b) => ((a.resource as string) < (b.resource as string) ? -1 : 1));
}
