// Which EndpointSlices to create, update and delete for one service: pure. Endpoints stay
// in the slice that already holds them where possible, so a pod change rewrites one slice
// rather than reshuffling all of them.
import {
  endpointPortsFor,
  hostnameFor,
  isHeadless,
  isPodReady,
  podIsEndpointCandidate,
  podTargetRef,
  podsOfService,
  portsKey,
  sortPorts,
} from '../endpoints/pod-endpoints.ts';
import type { EndpointPort, Obj } from '../endpoints/pod-endpoints.ts';
import { sameJson } from '../endpoints/compute.ts';

export const MAX_ENDPOINTS_PER_SLICE = 100;
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
const HEADLESS_LABEL = 'service.kubernetes.io/headless';

export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  nodeName?: string;
  targetRef: { kind: 'Pod'; name: string; namespace: string; uid: string };
}

export interface SlicePlan {
  create: Obj[];
  update: Obj[];
  delete: Obj[];
}

/**
 * A slice's port names itself even when the service port is unnamed: discovery/v1's name is a
 * pointer that the endpointslice controller always sets (to "" for an unnamed port), and
 * clients read it without a nil check (kubectl describe service dereferences it).
 */
function slicePort(port: EndpointPort): EndpointPort {
  return { name: port.name ?? '', port: port.port, protocol: port.protocol, ...(port.appProtocol ? { appProtocol: port.appProtocol } : {}) };
}

/** Endpoints of the service grouped by the port set their pod serves. */
export function desiredEndpoints(service: Obj, pods: readonly Obj[]): Map<string, { ports: EndpointPort[]; endpoints: SliceEndpoint[] }> {
  const groups = new Map<string, { ports: EndpointPort[]; endpoints: SliceEndpoint[] }>();
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  const servicePorts = service.spec?.ports ?? [];
  for (const pod of podsOfService(service, pods)) {
    if (!podIsEndpointCandidate(pod, true)) continue;
    if (String(pod.status.podIP).includes(':')) continue; // IPv4 slices only
    const ports = endpointPortsFor(service, pod).map(slicePort);
    if (ports.length === 0 && !(servicePorts.length === 0 && isHeadless(service))) continue;
    const terminating = !!pod.metadata.deletionTimestamp;
    const serving = isPodReady(pod);
    const ep: SliceEndpoint = {
      addresses: [pod.status.podIP],
      conditions: { ready: publishNotReady || (serving && !terminating), serving, terminating },
      targetRef: podTargetRef(pod),
    };
    const hostname = hostnameFor(service, pod);
    if (hostname) ep.hostname = hostname;
    if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
    const key = portsKey(ports);
    let g = groups.get(key);
    if (!g) {
      g = { ports: sortPorts(ports), endpoints: [] };
      groups.set(key, g);
    }
    g.endpoints.push(ep);
  }
  return groups;
}

const endpointKey = (ep: SliceEndpoint) => `${ep.targetRef.uid}/${ep.addresses[0]}`;

/** Labels every managed slice of the service carries: the service's own plus ours. */
export function sliceLabels(service: Obj): Record<string, string> {
  const labels: Record<string, string> = { ...(service.metadata.labels ?? {}) };
  delete labels[HEADLESS_LABEL];
  labels[SERVICE_NAME_LABEL] = service.metadata.name!;
  labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
  if (isHeadless(service)) labels[HEADLESS_LABEL] = '';
  return labels;
}

function newSlice(service: Obj, ports: EndpointPort[], endpoints: SliceEndpoint[]): Obj {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${service.metadata.name}-`,
      namespace: service.metadata.namespace,
      labels: sliceLabels(service),
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Service', name: service.metadata.name!, uid: service.metadata.uid!, controller: true, blockOwnerDeletion: true },
      ],
    },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}

function withContent(slice: Obj, service: Obj, ports: EndpointPort[], endpoints: SliceEndpoint[]): Obj {
  return { ...slice, metadata: { ...slice.metadata, labels: sliceLabels(service) }, endpoints, ports };
}

function sliceUnchanged(before: Obj, after: Obj): boolean {
  return (
    sameJson(before.endpoints ?? [], after.endpoints ?? []) &&
    sameJson(before.ports ?? [], after.ports ?? []) &&
    sameJson(before.metadata.labels ?? {}, after.metadata.labels ?? {})
  );
}

/** `existing`: the slices this controller manages for the service (any address type). */
export function planSlices(service: Obj, pods: readonly Obj[], existing: readonly Obj[]): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const groups = desiredEndpoints(service, pods);
  const unused = existing.filter((s) => s.addressType === 'IPv4');
  plan.delete.push(...existing.filter((s) => s.addressType !== 'IPv4'));

  for (const [key, group] of groups) {
    const remaining = new Map(group.endpoints.map((ep) => [endpointKey(ep), ep]));
    const kept: { slice: Obj; endpoints: SliceEndpoint[] }[] = [];
    // 1. endpoints stay where they are, in slices of the same port set
    for (const slice of unused.filter((s) => portsKey(s.ports ?? []) === key)) {
      const still = (slice.endpoints ?? [])
        .map((ep: SliceEndpoint) => remaining.get(endpointKey(ep)))
        .filter((ep: SliceEndpoint | undefined): ep is SliceEndpoint => !!ep);
      if (still.length === 0) continue;
      for (const ep of still) remaining.delete(endpointKey(ep));
      kept.push({ slice, endpoints: still.slice(0, MAX_ENDPOINTS_PER_SLICE) });
      for (const ep of still.slice(MAX_ENDPOINTS_PER_SLICE)) remaining.set(endpointKey(ep), ep);
      unused.splice(unused.indexOf(slice), 1);
    }
    // 2. new endpoints fill the room left in those slices, then new slices
    const fresh = [...remaining.values()];
    for (const k of kept) {
      while (k.endpoints.length < MAX_ENDPOINTS_PER_SLICE && fresh.length) k.endpoints.push(fresh.shift()!);
      const next = withContent(k.slice, service, group.ports, k.endpoints);
      if (!sliceUnchanged(k.slice, next)) plan.update.push(next);
    }
    for (let i = 0; i < fresh.length; i += MAX_ENDPOINTS_PER_SLICE) {
      const chunk = fresh.slice(i, i + MAX_ENDPOINTS_PER_SLICE);
      // reuse a slice that would be deleted anyway rather than delete + create
      const recycled = unused.shift();
      plan[recycled ? 'update' : 'create'].push(recycled ? withContent(recycled, service, group.ports, chunk) : newSlice(service, group.ports, chunk));
    }
  }

  // A service that selects nothing still gets one empty slice, as on Kubernetes.
  if (groups.size === 0) {
    const placeholder = unused.shift();
    if (placeholder) {
      const next = withContent(placeholder, service, [], []);
      if (!sliceUnchanged(placeholder, next)) plan.update.push(next);
    } else {
      plan.create.push(newSlice(service, [], []));
    }
  }
  plan.delete.push(...unused);
  return plan;
}
