// Names of resources as users type them (`deploy`, `deployments.apps`, `Deployment`, `po`)
// and kinds found in manifests (apps/v1 Deployment), resolved through the server's
// discovery documents: /api/v1, /apis and each group's preferred version.
import type { ApiClient } from './client.ts';
import { CliError } from './errors.ts';

export interface ResourceInfo {
  group: string;
  version: string;
  /** plural resource name, e.g. deployments */
  resource: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  singular: string;
  verbs: string[];
}

interface ApiResource {
  name: string;
  singularName?: string;
  namespaced: boolean;
  kind: string;
  verbs?: string[];
  shortNames?: string[];
}

interface ApiGroup {
  name: string;
  preferredVersion?: { groupVersion: string; version: string };
  versions: { groupVersion: string; version: string }[];
}

function toInfo(group: string, version: string, r: ApiResource): ResourceInfo {
  return {
    group,
    version,
    resource: r.name,
    kind: r.kind,
    namespaced: r.namespaced,
    shortNames: r.shortNames ?? [],
    singular: r.singularName || r.kind.toLowerCase(),
    verbs: r.verbs ?? [],
  };
}

/** `deployment.apps` or `service`: how kubectl names a resource type in its messages. */
export function kindLabel(info: ResourceInfo): string {
  return info.group ? `${info.kind.toLowerCase()}.${info.group}` : info.kind.toLowerCase();
}

/** `deployments.apps` or `services`: how the server names it in errors. */
export function resourceLabel(info: ResourceInfo): string {
  return info.group ? `${info.resource}.${info.group}` : info.resource;
}

export function apiVersionOf(info: ResourceInfo): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

/** The REST path of a collection or an object (and optionally a subresource). */
export function resourcePath(info: ResourceInfo, namespace: string | undefined, name?: string, subresource?: string): string {
  let path = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  if (info.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${info.resource}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

export class Discovery {
  private client: ApiClient;
  private all: Promise<ResourceInfo[]> | undefined;
  private byGroupVersion = new Map<string, Promise<ResourceInfo[]>>();

  constructor(client: ApiClient) {
    this.client = client;
  }

  private groupVersion(groupVersion: string): Promise<ResourceInfo[]> {
    let found = this.byGroupVersion.get(groupVersion);
    if (!found) {
      const [group, version] = groupVersion.includes('/') ? (groupVersion.split('/', 2) as [string, string]) : ['', groupVersion];
      const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
      found = this.client
        .get<{ resources: ApiResource[] }>(path)
        .then((list) => list.resources.filter((r) => !r.name.includes('/')).map((r) => toInfo(group, version, r)));
      this.byGroupVersion.set(groupVersion, found);
      found.catch(() => this.byGroupVersion.delete(groupVersion));
    }
    return found;
  }

  /** Every top-level resource in the preferred version of each group, core first. */
  resources(): Promise<ResourceInfo[]> {
    this.all ??= (async () => {
      const groups = await this.client.get<{ groups: ApiGroup[] }>('/apis');
      const versions = ['v1', ...groups.groups.map((g) => g.preferredVersion?.groupVersion ?? g.versions[0]!.groupVersion)];
      const lists = await Promise.all(versions.map((gv) => this.groupVersion(gv)));
      return lists.flat();
    })();
    return this.all;
  }

  /** Resolves what a user typed: plural, singular, short name or kind, optionally `.group`. */
  async resolve(typed: string): Promise<ResourceInfo> {
    const lower = typed.toLowerCase();
    const all = await this.resources();
    const matches = (r: ResourceInfo, name: string) =>
      r.resource === name || r.singular === name || r.shortNames.includes(name) || r.kind.toLowerCase() === name;
    const exact = all.filter((r) => matches(r, lower));
    if (exact.length > 0) return exact[0]!;
    // `deployments.apps`, `deploy.apps`, `hpa.autoscaling`
    const dot = lower.indexOf('.');
    if (dot > 0) {
      const name = lower.slice(0, dot);
      const group = lower.slice(dot + 1);
      const inGroup = all.filter((r) => matches(r, name) && (r.group === group || r.group.startsWith(`${group}.`)));
      if (inGroup.length > 0) return inGroup[0]!;
    }
    throw new CliError(`the server doesn't have a resource type "${typed}"`);
  }

  /** The resource serving `kind` in `apiVersion`, as a manifest names it. */
  async forKind(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let list: ResourceInfo[];
    try {
      list = await this.groupVersion(apiVersion);
    } catch {
      throw new CliError(`resource mapping not found for kind "${kind}" in version "${apiVersion}": ensure the API is served`);
    }
    const found = list.find((r) => r.kind === kind);
    if (!found) throw new CliError(`resource mapping not found for kind "${kind}" in version "${apiVersion}": ensure CRDs are installed first`);
    return found;
  }
}
