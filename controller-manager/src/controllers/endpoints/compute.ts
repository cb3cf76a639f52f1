// The desired Endpoints of a service from its pods: pure, so it is tested without a cluster.
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
} from './pod-endpoints.ts';
import type { EndpointPort, Obj } from './pod-endpoints.ts';

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef: { kind: 'Pod'; name: string; namespace: string; uid: string };
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** Kubernetes caps an Endpoints object; the rest lives only in EndpointSlices. */
export const MAX_ENDPOINT_ADDRESSES = 1000;

/**
 * Subsets as the endpoints controller writes them: pods grouped by the port set they
 * serve, ready ones under addresses, the rest under notReadyAddresses (all ready when the
 * service publishes not-ready addresses), addresses sorted by IP.
 */
export function computeSubsets(service: Obj, pods: readonly Obj[]): { subsets: EndpointSubset[]; truncated: boolean } {
  const tolerateUnready = service.spec?.publishNotReadyAddresses === true;
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  const servicePorts = service.spec?.ports ?? [];
  for (const pod of podsOfService(service, pods)) {
    if (!podIsEndpointCandidate(pod, tolerateUnready)) continue;
    const address: EndpointAddress = { ip: pod.status.podIP, targetRef: podTargetRef(pod) };
    const hostname = hostnameFor(service, pod);
    if (hostname) address.hostname = hostname;
    if (pod.spec?.nodeName) address.nodeName = pod.spec.nodeName;
    const ports = endpointPortsFor(service, pod);
    // A pod serving none of the ports is no endpoint, except for a headless service without ports.
    if (ports.length === 0 && !(servicePorts.length === 0 && isHeadless(service))) continue;
    const key = portsKey(ports);
    let g = groups.get(key);
    if (!g) {
      g = { ports: sortPorts(ports), ready: [], notReady: [] };
      groups.set(key, g);
    }
    (tolerateUnready || isPodReady(pod) ? g.ready : g.notReady).push(address);
  }
  let budget = MAX_ENDPOINT_ADDRESSES;
  let truncated = false;
  const subsets: EndpointSubset[] = [];
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!;
    const take = (list: EndpointAddress[]) => {
      const sorted = list.sort(compareAddresses);
      if (sorted.length > budget) truncated = true;
      const kept = sorted.slice(0, Math.max(budget, 0));
      budget -= kept.length;
      return kept;
    };
    const ready = take(g.ready);
    const notReady = take(g.notReady);
    if (ready.length === 0 && notReady.length === 0) continue;
    const subset: EndpointSubset = {};
    if (ready.length) subset.addresses = ready;
    if (notReady.length) subset.notReadyAddresses = notReady;
    if (g.ports.length) subset.ports = g.ports;
    subsets.push(subset);
  }
  return { subsets, truncated };
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return compareIPs(a.ip, b.ip) || a.targetRef.uid.localeCompare(b.targetRef.uid);
}

function compareIPs(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  if (pa.length !== 4 || pb.length !== 4 || pa.some(Number.isNaN) || pb.some(Number.isNaN)) return a.localeCompare(b);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

/** Endpoints carry the service's labels, plus the headless marker when it applies. */
export function endpointsLabels(service: Obj): Record<string, string> {
  const labels: Record<string, string> = { ...(service.metadata.labels ?? {}) };
  if (isHeadless(service)) labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

/** Whether the stored Endpoints already say what we would write (ignoring the trigger time). */
export function endpointsUpToDate(current: Obj | undefined, service: Obj, subsets: EndpointSubset[], truncated: boolean): boolean {
  if (!current) return false;
  if (!sameJson(current.subsets ?? [], subsets)) return false;
  if (!sameJson(current.metadata.labels ?? {}, endpointsLabels(service))) return false;
  const over = current.metadata.annotations?.[OVER_CAPACITY_ANNOTATION];
  return truncated ? over === 'truncated' : over === undefined;
}

/** Structural equality that ignores key order (the apiserver may reorder object keys). */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .filter((k) => (v as any)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as any)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
