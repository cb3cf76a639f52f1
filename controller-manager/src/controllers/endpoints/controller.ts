// Endpoints controller: keeps one Endpoints object per selector Service in step with the
// pods its selector matches. Level-triggered: every event just queues the service's key.
import type { CoreV1Api } from '@kubernetes/client-node';
import { WorkQueue, keyOf, splitKey, runController } from '@skiff/common';
import type { Informer } from '@skiff/common';
import { apisFor, InformerSet, loggerFor, runnerDeps } from '../garbagecollector/context.ts';
import type { ControllerDeps, Stop } from '../garbagecollector/context.ts';
import { isNotFound } from '../../lib/api-errors.ts';
import { computeSubsets, endpointsLabels, endpointsUpToDate, OVER_CAPACITY_ANNOTATION, TRIGGER_TIME_ANNOTATION } from './compute.ts';
import { isApiserverService, matchesSelector, selectsPods } from './pod-endpoints.ts';
import type { Obj } from './pod-endpoints.ts';

export interface EndpointsConfig {
  /** kube-controller-manager --concurrent-endpoint-syncs */
  concurrentEndpointSyncs: number;
}

export const name = 'endpoints';

export async function start(ctx: ControllerDeps<EndpointsConfig>): Promise<Stop> {
  const log = loggerFor(ctx, name);
  const { core } = apisFor(ctx);
  const informers = new InformerSet(ctx, log);
  const services = informers.on<Obj>('/api/v1/services', () => core.listServiceForAllNamespaces());
  const pods = informers.on<Obj>('/api/v1/pods', () => core.listPodForAllNamespaces());
  const endpoints = informers.on<Obj>('/api/v1/endpoints', () => core.listEndpointsForAllNamespaces());
  const queue = new WorkQueue<string>();

  services.on({ add: (s) => queue.add(keyOf(s)), update: (s) => queue.add(keyOf(s)), delete: (s) => queue.add(keyOf(s)) });
  endpoints.on({ update: (e) => queue.add(keyOf(e)), delete: (e) => queue.add(keyOf(e)) });
  const podChanged = (pod: Obj, old?: Obj) => {
    for (const key of servicesSelecting(services, pod, old)) queue.add(key);
  };
  pods.on({ add: (p) => podChanged(p), update: (p) => podChanged(p), delete: (p) => podChanged(p) });

  return runController({
    ...runnerDeps(ctx, informers),
    name,
    log,
    queue,
    workers: ctx.config?.concurrentEndpointSyncs ?? 5,
    reconcile: (key) => syncEndpoints(core, key, services, pods, endpoints),
  });
}

/** Keys of services whose selector matches the pod (its labels now, or before the change). */
function servicesSelecting(services: Informer<Obj>, pod: Obj, old?: Obj): string[] {
  return services
    .list(pod.metadata.namespace)
    .filter((s) => selectsPods(s) && (matchesSelector(s.spec.selector, pod.metadata.labels) || (old && matchesSelector(s.spec.selector, old.metadata.labels))))
    .map((s) => keyOf(s));
}

export async function syncEndpoints(core: CoreV1Api, key: string, services: Informer<Obj>, pods: Informer<Obj>, endpoints: Informer<Obj>): Promise<void> {
  const { namespace, name: svcName } = splitKey(key);
  if (isApiserverService({ metadata: { namespace, name: svcName } })) return;
  const service = services.get(svcName, namespace);
  if (!service) {
    if (endpoints.get(svcName, namespace))
      await core.deleteNamespacedEndpoints({ name: svcName, namespace: namespace! }).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
    return;
  }
  // A service without selector has hand-made endpoints; one being deleted will lose them anyway.
  if (!selectsPods(service) || service.metadata.deletionTimestamp) return;

  const { subsets, truncated } = computeSubsets(service, pods.list(namespace));
  const current = endpoints.get(svcName, namespace);
  if (endpointsUpToDate(current, service, subsets, truncated)) return;

  const annotations: Record<string, string> = {
    ...(current?.metadata.annotations ?? {}),
    [TRIGGER_TIME_ANNOTATION]: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
  else delete annotations[OVER_CAPACITY_ANNOTATION];
  const desired = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { ...(current?.metadata ?? {}), name: svcName, namespace, labels: endpointsLabels(service), annotations },
    subsets,
  };
  if (current) {
    // resourceVersion from the cache: a conflict means the cache is behind, and the retry sees more
    await core.replaceNamespacedEndpoints({ name: svcName, namespace: namespace!, body: desired });
  } else {
    await core.createNamespacedEndpoints({ namespace: namespace!, body: desired });
  }
}
