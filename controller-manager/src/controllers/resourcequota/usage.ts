// Which collections a quota's hard limits need counted, and the namespace's usage computed
// from them, with the same evaluators the ResourceQuota admission plugin charges with.
import { parseQuantity } from '@skiff/common/apimachinery/quantity';
import { type Usage, addUsage, maskUsage, quotaMatches, quotaResourceMatches, usageOf } from '@skiff/common/quota/usage';

export interface GroupResource {
  group: string;
  resource: string;
}

/** Core collections the legacy names (`pods`, `requests.cpu`, `services.nodeports`, ...) refer to. */
const coreCounted = ['pods', 'services', 'configmaps', 'secrets', 'persistentvolumeclaims', 'replicationcontrollers', 'resourcequotas'];

/** The collections whose objects a quota with these hard names charges. */
export function collectionsFor(hardNames: readonly string[]): GroupResource[] {
  const out = new Map<string, GroupResource>();
  for (const name of hardNames) {
    const core = coreCounted.find((r) => quotaResourceMatches('', r, name));
    if (core) out.set(`/${core}`, { group: '', resource: core });
    else if (name.startsWith('count/')) {
      const rest = name.slice('count/'.length);
      const dot = rest.indexOf('.');
      const gr = dot < 0 ? { group: '', resource: rest } : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
      out.set(`${gr.group}/${gr.resource}`, gr);
    }
  }
  return [...out.values()];
}

/** status.used for a quota: every hard name, 0 when nothing is charged to it. */
export function computeUsed(quota: any, objects: Map<string, any[]>): Record<string, string> {
  const hard: Record<string, unknown> = quota.spec?.hard ?? {};
  const names = Object.keys(hard);
  let total: Usage = new Map(names.map((n) => [n, parseQuantity(0)]));
  for (const { group, resource } of collectionsFor(names)) {
    for (const obj of objects.get(`${group}/${resource}`) ?? []) {
      if (!quotaMatches(quota, group, resource, obj, hard)) continue;
      total = addUsage(total, maskUsage(usageOf(group, resource, obj), names));
    }
  }
  return Object.fromEntries(names.sort().map((n) => [n, total.get(n)!.toString()]));
}
