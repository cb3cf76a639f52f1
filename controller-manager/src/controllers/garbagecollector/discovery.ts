// The served resources, read from the API's discovery documents (/api/v1, /apis/G/V):
// the garbage collector watches those it can list, watch and delete; the namespace
// controller empties a namespace of every namespaced one.
import type { RestClient } from './rest.ts';

export interface ApiResource {
  group: string;
  version: string;
  /** plural, e.g. replicasets */
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

export const apiVersionOf = (r: { group: string; version: string }): string => (r.group ? `${r.group}/${r.version}` : r.version);

export async function discoverResources(rest: RestClient): Promise<ApiResource[]> {
  const out: ApiResource[] = [];
  const core = await rest.get<{ versions?: string[] }>('/api');
  for (const version of core.versions ?? ['v1']) out.push(...parseResourceList(await rest.get(`/api/${version}`), '', version));
  const groups = await rest.get<{ groups?: { name: string; preferredVersion?: { version: string }; versions?: { version: string }[] }[] }>('/apis');
  for (const g of groups.groups ?? []) {
    const version = g.preferredVersion?.version ?? g.versions?.[0]?.version;
    if (!version) continue;
    out.push(...parseResourceList(await rest.get(`/apis/${g.name}/${version}`), g.name, version));
  }
  return out;
}

/** An APIResourceList without its subresources (names with a slash). */
export function parseResourceList(list: { resources?: any[] }, group: string, version: string): ApiResource[] {
  return (list.resources ?? [])
    .filter((r) => typeof r.name === 'string' && !r.name.includes('/'))
    .map((r) => ({ group: r.group || group, version: r.version || version, resource: r.name, kind: r.kind, namespaced: !!r.namespaced, verbs: r.verbs ?? [] }));
}

export function hasVerbs(r: ApiResource, ...verbs: string[]): boolean {
  return verbs.every((v) => r.verbs.includes(v));
}

/** Finds the resource of an ownerReference's apiVersion+kind (any version of the same group). */
export function resourceForKind(resources: readonly ApiResource[], apiVersion: string, kind: string): ApiResource | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const sameGroup = resources.filter((r) => r.group === group && r.kind === kind);
  return sameGroup.find((r) => r.version === version) ?? sameGroup[0];
}
