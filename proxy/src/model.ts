// Services and EndpointSlices as the proxy sees them: one entry per (service, port) with
// the endpoints that back it. Only IPv4 is served (the cluster is single-stack).
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { serviceProblem, sliceProblem } from './edge.ts';
import { isIPv4 } from './ipv4.ts';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface Endpoint {
  ip: string;
  port: number;
  /** this node's own endpoint: the only ones externalTrafficPolicy Local may use */
  local: boolean;
}

export interface ServicePort {
  namespace: string;
  name: string;
  /** "ns/name:port" (or "ns/name" for an unnamed port), the form kube-proxy logs and hashes */
  id: string;
  protocol: Protocol;
  clusterIPs: string[];
  port: number;
  nodePort?: number;
  externalIPs: string[];
  /** seconds of ClientIP affinity; undefined without affinity */
  affinitySeconds?: number;
  externalLocal: boolean;
  internalLocal: boolean;
  /** ready endpoints, de-duplicated, in a stable order */
  endpoints: Endpoint[];
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const DEFAULT_AFFINITY_SECONDS = 10800;

export function servicePortId(namespace: string, name: string, portName: string | undefined): string {
  return portName ? `${namespace}/${name}:${portName}` : `${namespace}/${name}`;
}

function protocolOf(p: string | undefined): Protocol {
  return p === 'UDP' || p === 'SCTP' ? p : 'TCP';
}

/** Ready endpoints per "namespace/service" and (port name, protocol). */
function indexSlices(slices: readonly V1EndpointSlice[], nodeName: string): Map<string, Map<string, Endpoint[]>> {
  const out = new Map<string, Map<string, Endpoint[]>>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc || s.addressType !== 'IPv4') continue;
    const key = `${s.metadata?.namespace}/${svc}`;
    let byPort = out.get(key);
    if (!byPort) out.set(key, (byPort = new Map()));
    for (const p of s.ports ?? []) {
      if (p.port === undefined || p.port === null) continue;
      const portKey = `${p.name ?? ''}/${protocolOf(p.protocol)}`;
      let list = byPort.get(portKey);
      if (!list) byPort.set(portKey, (list = []));
      for (const e of s.endpoints ?? []) {
        // a missing ready condition means ready (EndpointSlice API semantics)
        if (e.conditions?.ready === false) continue;
        for (const ip of e.addresses ?? []) {
          if (!isIPv4(ip)) continue;
          list.push({ ip, port: p.port, local: e.nodeName === nodeName });
        }
      }
    }
  }
  return out;
}

function passes(kind: 'Service' | 'EndpointSlice', obj: V1Service | V1EndpointSlice, problem: string | undefined, skipped: SkipReporter): boolean {
  if (problem === undefined) return true;
  skipped(kind, `${String(obj.metadata?.namespace)}/${String(obj.metadata?.name)}`, problem);
  return false;
}

function dedupe(eps: Endpoint[]): Endpoint[] {
  const seen = new Map<string, Endpoint>();
  for (const e of eps) {
    const k = `${e.ip}:${e.port}`;
    const prev = seen.get(k);
    seen.set(k, prev ? { ...prev, local: prev.local || e.local } : e);
  }
  return [...seen.values()].sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
}

/**
 * status.loadBalancer.ingress addresses of a LoadBalancer Service that this node must accept
 * traffic for: ipMode Proxy means the balancer rewrites the destination itself, so no rule
 * (upstream's LoadBalancerIPMode).
 */
export function loadBalancerIPs(svc: V1Service): string[] {
  if (svc.spec?.type !== 'LoadBalancer') return [];
  return (svc.status?.loadBalancer?.ingress ?? []).filter((i) => i.ipMode !== 'Proxy' && isIPv4(i.ip)).map((i) => i.ip!);
}

/** Told about each object the edge check refuses; the proxier logs it. */
export type SkipReporter = (kind: 'Service' | 'EndpointSlice', key: string, why: string) => void;

/**
 * Every (service, port) the node must program, in a deterministic order. Services and slices
 * that fail the edge check (edge.ts) are left out and reported; the others are unaffected.
 */
export function buildServicePorts(
  services: readonly V1Service[],
  slices: readonly V1EndpointSlice[],
  nodeName: string,
  skipped: SkipReporter = () => {},
): ServicePort[] {
  const endpoints = indexSlices(
    slices.filter((s) => passes('EndpointSlice', s, sliceProblem(s), skipped)),
    nodeName,
  );
  const out: ServicePort[] = [];
  for (const svc of services) {
    if (!passes('Service', svc, serviceProblem(svc), skipped)) continue;
    const spec = svc.spec;
    const namespace = svc.metadata?.namespace ?? 'default';
    const name = svc.metadata?.name ?? '';
    if (!spec || spec.type === 'ExternalName') continue;
    const clusterIPs = (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter(isIPv4);
    // headless services have no virtual IP: DNS hands out the endpoints instead
    if (clusterIPs.length === 0) continue;
    const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer' || (spec.externalIPs?.length ?? 0) > 0;
    const affinitySeconds =
      spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : undefined;
    const byPort = endpoints.get(`${namespace}/${name}`);
    for (const p of spec.ports ?? []) {
      const protocol = protocolOf(p.protocol);
      out.push({
        namespace,
        name,
        id: servicePortId(namespace, name, p.name),
        protocol,
        clusterIPs,
        port: p.port,
        nodePort: (spec.type === 'NodePort' || spec.type === 'LoadBalancer') && p.nodePort ? p.nodePort : undefined,
        // a load balancer's address is served like an external IP (kube-proxy's KUBE-EXT path)
        externalIPs: [...new Set([...(spec.externalIPs ?? []), ...loadBalancerIPs(svc)])].filter(isIPv4),
        affinitySeconds,
        externalLocal: external && spec.externalTrafficPolicy === 'Local',
        internalLocal: spec.internalTrafficPolicy === 'Local',
        endpoints: dedupe(byPort?.get(`${p.name ?? ''}/${protocol}`) ?? []),
      });
    }
  }
  return out.sort((a, b) => (a.id === b.id ? (a.protocol < b.protocol ? -1 : 1) : a.id < b.id ? -1 : 1));
}
