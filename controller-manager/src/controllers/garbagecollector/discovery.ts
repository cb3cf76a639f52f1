// The served resources, read from the API's discovery documents (/api/v1, /apis/G/V):
// the garbage collector watches those it can list, watch and delete; the namespace
// controller empties a namespace of every namespaced one.
import type { Apis } from './context.ts';

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

/** The collection path to watch, e.g. /apis/apps/v1/replicasets or /api/v1/namespaces/NS/pods. */
export function collectionPath(r: { group: string; version: string; resource: string }, namespace?: string): string {
  const root = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return `${root}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${r.resource}`;
}

/**
 * The core group (/api, which only ever serves v1) and every group's preferred version. A group
 * whose document cannot be read (an aggregated API whose server is down answers 503) is passed
 * to `onGroupFailed` and left out, as client-go's partial discovery; without it, the error is thrown.
 */
export async function discoverResources(
  apis: Pick<Apis, 'core' | 'groups' | 'customObjects'>,
  onGroupFailed?: (groupVersion: string, err: unknown) => void,
): Promise<ApiResource[]> {
  const out: ApiResource[] = [...parseResourceList(await apis.core.getAPIResources(), '', 'v1')];
  const groups = await apis.groups.getAPIVersions();
  for (const g of groups.groups ?? []) {
    const version = g.preferredVersion?.version ?? g.versions?.[0]?.version;
    if (!version) continue;
    try {
      out.push(...parseResourceList(await apis.customObjects.getAPIResources({ group: g.name, version }), g.name, version));
    } catch (e) {
      if (!onGroupFailed) throw e;
      onGroupFailed(`${g.name}/${version}`, e);
    }
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
