// What the cluster serves, from its discovery documents: every top-level resource (CRDs'
// custom resources included) with its group/version, kind, scope and verbs, so that one
// generic list and detail cover all of them. Aggregated discovery (apidiscovery.k8s.io/v2,
// two requests) first; a server without it is asked the legacy way (/api/v1, /apis, then each
// group's preferred version).
import { get, headers } from './api.ts';

export interface ApiResource {
  group: string;
  version: string;
  /** "v1", "apps/v1" */
  apiVersion: string;
  /** plural, as in the URL */
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';

const apiVersionOf = (group: string, version: string) => (group ? `${group}/${version}` : version);

/** "configmaps", "deployments.apps": kubectl api-resources' fully qualified names. */
export const qualifiedName = (r: ApiResource) => (r.group ? `${r.resource}.${r.group}` : r.resource);

async function aggregated(path: string): Promise<any | undefined> {
  const res = await fetch(path, { headers: headers({ Accept: AGGREGATED }) });
  if (!res.ok) return undefined;
  const body = await res.json();
  return body.kind === 'APIGroupDiscoveryList' ? body : undefined;
}

function fromAggregated(list: any): ApiResource[] {
  const out: ApiResource[] = [];
  for (const g of list.items ?? []) {
    const group: string = g.metadata?.name ?? '';
    const preferred = g.versions?.[0]; // versions are listed most preferred first
    if (!preferred) continue;
    for (const r of preferred.resources ?? []) {
      out.push({
        group,
        version: preferred.version,
        apiVersion: apiVersionOf(group, preferred.version),
        resource: r.resource,
        kind: r.responseKind?.kind ?? '',
        namespaced: r.scope === 'Namespaced',
        verbs: r.verbs ?? [],
      });
    }
  }
  return out;
}

function fromResourceList(group: string, version: string, list: any): ApiResource[] {
  return (list.resources ?? [])
    .filter((r: any) => !r.name.includes('/')) // subresources (pods/log) are not listed on their own
    .map((r: any) => ({
      group,
      version,
      apiVersion: apiVersionOf(group, version),
      resource: r.name,
      kind: r.kind,
      namespaced: r.namespaced === true,
      verbs: r.verbs ?? [],
    }));
}

async function legacy(): Promise<ApiResource[]> {
  const core = fromResourceList('', 'v1', await get('/api/v1'));
  const groups = await get('/apis');
  const rest = await Promise.all(
    (groups.groups ?? []).map(async (g: any) => {
      const v = g.preferredVersion?.version ?? g.versions?.[0]?.version;
      try {
        return fromResourceList(g.name, v, await get(`/apis/${g.name}/${v}`));
      } catch {
        return []; // an aggregated API that is down: its group is left out, not the whole list
      }
    }),
  );
  return [...core, ...rest.flat()];
}

/** Every resource the cluster serves, core first, then by group and name. */
export async function discoverResources(): Promise<ApiResource[]> {
  const [core, groups] = await Promise.all([aggregated('/api'), aggregated('/apis')]);
  const all = core && groups ? [...fromAggregated(core), ...fromAggregated(groups)] : await legacy();
  return all.sort((a, b) =>
    a.group === b.group ? a.resource.localeCompare(b.resource) : a.group === '' ? -1 : b.group === '' ? 1 : a.group.localeCompare(b.group),
  );
}

/** The resource serving `kind` in `apiVersion` (for an object pasted as YAML). */
export function resourceFor(resources: ApiResource[], apiVersion: string, kind: string): ApiResource | undefined {
  return resources.find((r) => r.apiVersion === apiVersion && r.kind === kind);
}

// a kind served in a version that is not its group's preferred one still needs its plural
export async function resourceInVersion(apiVersion: string, kind: string): Promise<ApiResource | undefined> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  try {
    const list = await get(group ? `/apis/${group}/${version}` : `/api/${version}`);
    return fromResourceList(group!, version!, list).find((r) => r.kind === kind);
  } catch {
    return undefined;
  }
}
