// What exists from the start: the system namespaces, the `kubernetes` Service in `default`
// (its endpoints are the endpoint reconciler's) and built-in objects the resources declare.
import type { Logger } from '@skiff/common';
import { ApiError } from './errors.ts';
import type { ApiRegistry } from './registry/api-registry.ts';
import type { UserInfo } from './registry/store.ts';
import type { KObject } from './registry/types.ts';

const system: UserInfo = { name: 'system:apiserver', groups: ['system:masters'] };
export const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

async function ensure(registry: ApiRegistry, group: string, version: string, resource: string, obj: KObject): Promise<void> {
  const store = registry.store(group, version, resource);
  if (!store) return;
  // look first: creating would allocate (a ClusterIP, say) before finding the name taken
  try {
    await store.get(obj.metadata.namespace, obj.metadata.name!);
    return;
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 404)) throw e;
  }
  try {
    await store.create(obj.metadata.namespace, obj, { user: system, fieldManager: 'kube-apiserver' });
  } catch (e) {
    if (e instanceof ApiError && e.reason === 'AlreadyExists') return;
    // Several apiservers starting at once all find it missing; the first create wins and the
    // others fail, for the kubernetes Service before the name check (its ClusterIP is taken:
    // 422), possibly before the winner has written the Service itself. The object being there
    // within a few seconds is all that was asked.
    for (let attempt = 0; attempt < 25; attempt++) {
      await new Promise((r) => setTimeout(r, 200));
      try {
        await store.get(obj.metadata.namespace, obj.metadata.name!);
        return;
      } catch {
        /* not yet */
      }
    }
    throw e;
  }
}

/** Creates whichever system namespaces are missing (at start-up, and again by the system-namespaces loop). */
export async function ensureSystemNamespaces(registry: ApiRegistry): Promise<void> {
  for (const name of systemNamespaces) {
    await ensure(registry, '', 'v1', 'namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
}

export async function bootstrapCluster(
  registry: ApiRegistry,
  o: { securePort: number; builtins: { group: string; version: string; resource: string; object: KObject }[]; log: Logger },
): Promise<void> {
  await ensureSystemNamespaces(registry);
  await ensure(registry, '', 'v1', 'services', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: o.securePort }], sessionAffinity: 'None' },
  });
  for (const b of o.builtins) await ensure(registry, b.group, b.version, b.resource, b.object);
  o.log.info('bootstrap objects in place', { namespaces: systemNamespaces });
}
