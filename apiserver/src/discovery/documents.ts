// The discovery documents, built from the ResourceDefs of one group version: legacy
// APIResourceList entries and aggregated (apidiscovery.k8s.io) APIResourceDiscovery entries.
import type { ResourceDef } from '../registry/types.ts';
import { categoriesOf, isStored, shortNamesOf, subresourceShape, verbsOf, type GroupVersionKind } from './catalog.ts';

/** metav1.APIResource for the resource itself, field order as kube-apiserver writes it. */
export function legacyResource(def: ResourceDef, storageHash: string | undefined): Record<string, unknown> {
  const r: Record<string, unknown> = { name: def.resource, singularName: def.singular, namespaced: def.namespaced, kind: def.kind, verbs: verbsOf(def) };
  const shortNames = shortNamesOf(def);
  const categories = categoriesOf(def);
  if (shortNames.length > 0) r.shortNames = shortNames;
  if (categories.length > 0) r.categories = categories;
  if (storageHash && isStored(def)) r.storageVersionHash = storageHash;
  return r;
}

/** metav1.APIResource for `resource/sub`; group and version only when they differ from the parent's. */
export function legacySubresource(def: ResourceDef, sub: string): Record<string, unknown> {
  const { kind, verbs } = subresourceShape(def, sub);
  const r: Record<string, unknown> = { name: `${def.resource}/${sub}`, singularName: '', namespaced: def.namespaced };
  if (kind.group !== def.group || kind.version !== def.version) {
    r.group = kind.group;
    r.version = kind.version;
  }
  r.kind = kind.kind;
  r.verbs = [...verbs];
  return r;
}

/** The APIResourceList of one group version: resources and their subresources, by name. */
export function legacyResourceList(groupVersion: string, defs: ResourceDef[], hashOf: (d: ResourceDef) => string | undefined): Record<string, unknown> {
  const resources: Record<string, unknown>[] = [];
  for (const def of defs) {
    resources.push(legacyResource(def, hashOf(def)));
    for (const sub of def.subresources ?? []) resources.push(legacySubresource(def, sub));
  }
  resources.sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : (a.name as string) > (b.name as string) ? 1 : 0));
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

const responseKind = (k: GroupVersionKind) => ({ group: k.group, version: k.version, kind: k.kind });

/** apidiscovery.k8s.io APIResourceDiscovery. */
export function aggregatedResource(def: ResourceDef): Record<string, unknown> {
  const r: Record<string, unknown> = {
    resource: def.resource,
    responseKind: responseKind({ group: def.group, version: def.version, kind: def.kind }),
    scope: def.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: def.singular,
    verbs: verbsOf(def),
  };
  const shortNames = shortNamesOf(def);
  const categories = categoriesOf(def);
  if (shortNames.length > 0) r.shortNames = shortNames;
  if (categories.length > 0) r.categories = categories;
  const subs = [...(def.subresources ?? [])].sort();
  if (subs.length > 0) {
    r.subresources = subs.map((sub) => {
      const { kind, verbs } = subresourceShape(def, sub);
      return { subresource: sub, responseKind: responseKind(kind), verbs: [...verbs] };
    });
  }
  return r;
}
