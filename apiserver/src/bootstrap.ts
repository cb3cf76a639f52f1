// What exists from the start: the system namespaces, the `kubernetes` Service in `default`
// pointing at this apiserver, and built-in objects the resources declare.
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
    if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
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
  o: { advertiseAddress: string; securePort: number; builtins: { group: string; version: string; resource: string; object: KObject }[]; log: Logger },
): Promise<void> {
  await ensureSystemNamespaces(registry);
  await ensure(registry, '', 'v1', 'services', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: o.securePort }], sessionAffinity: 'None' },
  });
  await reconcileKubernetesEndpoints(registry, o.advertiseAddress, o.securePort);
  for (const b of o.builtins) await ensure(registry, b.group, b.version, b.resource, b.object);
  o.log.info('bootstrap objects in place', { namespaces: systemNamespaces });
}

/** The apiserver keeps the `kubernetes` Endpoints and EndpointSlice pointing at itself. */
async function reconcileKubernetesEndpoints(registry: ApiRegistry, ip: string, port: number): Promise<void> {
  if (!ip) return;
  const subsets = [{ addresses: [{ ip }], ports: [{ name: 'https', port, protocol: 'TCP' }] }];
  const eps = registry.store('', 'v1', 'endpoints');
  if (eps) {
    try {
      const cur = await eps.get('default', 'kubernetes');
      if (JSON.stringify(cur.subsets) !== JSON.stringify(subsets)) {
        await eps.update('default', 'kubernetes', { ...cur, subsets }, { user: system, fieldManager: 'kube-apiserver' });
      }
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
      await ensure(registry, '', 'v1', 'endpoints', {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
        subsets,
      });
    }
  }
  await ensure(registry, 'discovery.k8s.io', 'v1', 'endpointslices', {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [ip], conditions: { ready: true } }],
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  });
}
