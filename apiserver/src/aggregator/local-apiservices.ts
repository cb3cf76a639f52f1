// kube's autoregister controller, at start-up: one Local APIService (no spec.service) for
// every group/version this apiserver serves, with kube-apiserver's priorities, labelled
// kube-aggregator.kubernetes.io/automanaged=onstart. An existing one whose spec differs is put
// back; Local APIServices of versions no longer served are removed.
import type { Logger } from '@skiff/common';
import { ApiError } from '../errors.ts';
import type { ApiRegistry } from '../registry/api-registry.ts';
import type { UserInfo } from '../registry/store.ts';
import type { KObject } from '../registry/types.ts';
import { apiServiceName } from '../registry/resources/apiservices.ts';

const system: UserInfo = { name: 'system:apiserver', groups: ['system:masters'] };
const automanagedLabel = 'kube-aggregator.kubernetes.io/automanaged';

/** kube-apiserver's apiVersionPriorities (group priority, version priority within it). */
const priorities: Record<string, [number, number]> = {
  '/v1': [18000, 1],
  'apiregistration.k8s.io/v1': [18000, 15],
  'apps/v1': [17800, 15],
  'events.k8s.io/v1': [17750, 15],
  'authentication.k8s.io/v1': [17700, 15],
  'authorization.k8s.io/v1': [17600, 15],
  'autoscaling/v1': [17500, 15],
  'autoscaling/v2': [17500, 30],
  'batch/v1': [17400, 15],
  'certificates.k8s.io/v1': [17300, 15],
  'networking.k8s.io/v1': [17200, 15],
  'policy/v1': [17100, 15],
  'rbac.authorization.k8s.io/v1': [17000, 15],
  'storage.k8s.io/v1': [16800, 15],
  'apiextensions.k8s.io/v1': [16700, 15],
  'admissionregistration.k8s.io/v1': [16700, 15],
  'scheduling.k8s.io/v1': [16600, 15],
  'coordination.k8s.io/v1': [16500, 15],
  'node.k8s.io/v1': [16300, 15],
  'discovery.k8s.io/v1': [16200, 15],
  'flowcontrol.apiserver.k8s.io/v1': [16100, 21],
};

export function localApiService(group: string, version: string): KObject {
  const [groupPriorityMinimum, versionPriority] = priorities[`${group}/${version}`] ?? [1000, 15];
  return {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: apiServiceName(group, version), labels: { [automanagedLabel]: 'onstart' } },
    spec: { group, version, groupPriorityMinimum, versionPriority },
  };
}

export async function registerLocalApiServices(registry: ApiRegistry, log: Logger): Promise<void> {
  const store = registry.store('apiregistration.k8s.io', 'v1', 'apiservices');
  if (!store) return;
  const wanted = new Map(registry.groupVersions().map(({ group, version }) => [apiServiceName(group, version), localApiService(group, version)]));
  const { items } = await store.list(undefined, {});
  const existing = new Map(items.map((o) => [o.metadata.name ?? '', o]));
  for (const [name, obj] of wanted) {
    const cur = existing.get(name);
    try {
      if (!cur) {
        await store.create(undefined, obj, { user: system, fieldManager: 'kube-apiserver' });
      } else if (JSON.stringify(cur.spec) !== JSON.stringify(obj.spec) || cur.metadata.labels?.[automanagedLabel] !== 'onstart') {
        await store.update(
          undefined,
          name,
          { ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, [automanagedLabel]: 'onstart' } }, spec: obj.spec },
          { user: system, fieldManager: 'kube-apiserver' },
        );
      }
    } catch (e) {
      if (!(e instanceof ApiError && (e.reason === 'AlreadyExists' || e.reason === 'Conflict'))) throw e;
    }
  }
  // versions this build no longer serves: their automanaged Local APIServices go
  for (const [name, cur] of existing) {
    if (wanted.has(name) || cur.spec?.service || cur.metadata.labels?.[automanagedLabel] !== 'onstart') continue;
    await store.delete(undefined, name, {}, { user: system }).catch((e: unknown) => {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    });
  }
  log.info('local APIServices registered', { count: wanted.size });
}
