// EndpointSlice controller: discovery.k8s.io/v1 slices (at most 100 endpoints each) for
// every selector Service, owned by the Service so the garbage collector removes them.
import type { DiscoveryV1Api, V1EndpointSlice } from '@kubernetes/client-node';
import { WorkQueue, keyOf, splitKey, runController } from '@skiff/common';
import type { Informer } from '@skiff/common';
import { apisFor, InformerSet, loggerFor, runnerDeps } from '../garbagecollector/context.ts';
import type { ControllerDeps, Stop } from '../garbagecollector/context.ts';
import { isNotFound } from '../../lib/api-errors.ts';
import { isApiserverService, matchesSelector, selectsPods } from '../endpoints/pod-endpoints.ts';
import type { Obj } from '../endpoints/pod-endpoints.ts';
import { CONTROLLER_NAME, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, planSlices } from './plan.ts';
import { SliceExpectations } from './expectations.ts';

export interface EndpointSliceConfig {
  /** kube-controller-manager --concurrent-service-endpoint-syncs */
  concurrentServiceEndpointSyncs: number;
}

export const name = 'endpointslice';

const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

export async function start(ctx: ControllerDeps<EndpointSliceConfig>): Promise<Stop> {
  const log = loggerFor(ctx, name);
  const { core, discovery } = apisFor(ctx);
  const informers = new InformerSet(ctx, log);
  const services = informers.on<Obj>('/api/v1/services', () => core.listServiceForAllNamespaces());
  const pods = informers.on<Obj>('/api/v1/pods', () => core.listPodForAllNamespaces());
  // all slices (the informer is shared); managedSlices() keeps ours
  const slices = informers.on<Obj>('/apis/discovery.k8s.io/v1/endpointslices', () => discovery.listEndpointSliceForAllNamespaces());
  const queue = new WorkQueue<string>();
  const expectations = new SliceExpectations();

  services.on({ add: (s) => queue.add(keyOf(s)), update: (s) => queue.add(keyOf(s)), delete: (s) => queue.add(keyOf(s)) });
  const sliceChanged = (s: Obj) => {
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (svc && s.metadata.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME) queue.add(`${s.metadata.namespace}/${svc}`);
  };
  slices.on({ add: sliceChanged, update: sliceChanged, delete: sliceChanged });
  const podChanged = (pod: Obj) => {
    for (const s of services.list(pod.metadata.namespace)) {
      // a pod whose labels stopped matching is still in a slice: requeue those services too
      if (selectsPods(s) && (matchesSelector(s.spec.selector, pod.metadata.labels) || sliceHoldsPod(slices, s, pod))) queue.add(keyOf(s));
    }
  };
  pods.on({ add: podChanged, update: podChanged, delete: podChanged });

  return runController({
    ...runnerDeps(ctx, informers),
    name,
    log,
    queue,
    workers: ctx.config?.concurrentServiceEndpointSyncs ?? 5,
    reconcile: (key) => syncSlices(discovery, key, services, pods, slices, expectations),
  });
}

function sliceHoldsPod(slices: Informer<Obj>, service: Obj, pod: Obj): boolean {
  return managedSlices(slices, service.metadata.namespace!, service.metadata.name!).some((sl) =>
    (sl.endpoints ?? []).some((ep: any) => ep.targetRef?.uid === pod.metadata.uid),
  );
}

function managedSlices(slices: Informer<Obj>, namespace: string, serviceName: string): Obj[] {
  return slices
    .list(namespace)
    .filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === serviceName && s.metadata.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME);
}

export async function syncSlices(
  discovery: DiscoveryV1Api,
  key: string,
  services: Informer<Obj>,
  pods: Informer<Obj>,
  slices: Informer<Obj>,
  expectations: SliceExpectations,
): Promise<void | { requeueAfterMs: number }> {
  const { namespace, name: svcName } = splitKey(key);
  const existing = managedSlices(slices, namespace!, svcName);
  if (!expectations.satisfied(key, existing)) return { requeueAfterMs: 100 };
  const remove = (s: Obj) =>
    discovery.deleteNamespacedEndpointSlice({ name: s.metadata.name!, namespace: namespace! }).catch((e) => {
      if (!isNotFound(e)) throw e;
    });
  const service = services.get(svcName, namespace);
  // default/kubernetes has no selector: its slice is the apiserver's, written at start-up
  if (isApiserverService({ metadata: { namespace, name: svcName } })) return;
  if (!service || !selectsPods(service) || service.metadata.deletionTimestamp) {
    // the garbage collector would get there too; doing it here keeps the two independent
    if (!service || !selectsPods(service)) {
      for (const s of existing) {
        await remove(s);
        expectations.expectDeleted(key, s.metadata.name!);
      }
    }
    return;
  }

  const plan = planSlices(service, pods.list(namespace), existing);
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  // plan.ts builds complete discovery.k8s.io/v1 EndpointSlices in its own loose Obj shape
  const stamped = (s: Obj) =>
    ({ ...s, metadata: { ...s.metadata, annotations: { ...(s.metadata.annotations ?? {}), [TRIGGER_TIME_ANNOTATION]: stamp } } }) as V1EndpointSlice;
  for (const s of plan.delete) {
    await remove(s);
    expectations.expectDeleted(key, s.metadata.name!);
  }
  for (const s of plan.update) {
    const written = await discovery.replaceNamespacedEndpointSlice({ name: s.metadata.name!, namespace: namespace!, body: stamped(s) });
    expectations.expectWritten(key, written.metadata!.name!, written.metadata!.resourceVersion);
  }
  for (const s of plan.create) {
    const written = await discovery.createNamespacedEndpointSlice({ namespace: namespace!, body: stamped(s) });
    expectations.expectWritten(key, written.metadata!.name!, written.metadata!.resourceVersion);
  }
}
