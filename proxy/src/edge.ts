// The proxy's own check of what it is about to turn into iptables rules. The apiserver validates
// Services and EndpointSlices, but every value below ends up in an iptables-restore payload
// (addresses, ports, timeouts, and names in comments and chain hashes): a value of the wrong
// type or range must never reach it, whatever is stored. A Service that fails is skipped, with
// a reason the proxier logs; the rules of every other Service are written as usual.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { checkDns1123Label, checkDns1123Subdomain } from '@skiff/common/apimachinery/names';
import { isIPv4 } from './ipv4.ts';

const serviceTypes = new Set(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']);
const protocols = new Set(['TCP', 'UDP', 'SCTP']);
const affinities = new Set(['None', 'ClientIP']);
const trafficPolicies = new Set(['Cluster', 'Local']);
/** core.MaxClientIPServiceAffinitySeconds */
const maxAffinitySeconds = 86400;

export function isPortNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
}

/** Why a Service cannot be programmed, or undefined when every value it feeds the rules is sound. */
export function serviceProblem(svc: V1Service): string | undefined {
  const meta = svc.metadata;
  if (typeof meta?.name !== 'string' || checkDns1123Label(meta.name).length) return 'metadata.name is not a DNS-1123 label';
  if (typeof meta.namespace !== 'string' || checkDns1123Label(meta.namespace).length) return 'metadata.namespace is not a DNS-1123 label';
  const spec = svc.spec;
  if (!spec || typeof spec !== 'object') return 'spec is missing';
  if (spec.type !== undefined && !serviceTypes.has(spec.type)) return `spec.type ${JSON.stringify(spec.type)} is not supported`;
  if (spec.type === 'ExternalName') return undefined; // programs no rules
  for (const ip of [spec.clusterIP, ...(Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [])]) {
    if (ip !== undefined && ip !== '' && ip !== 'None' && !isIPv4(ip)) return `cluster IP ${JSON.stringify(ip)} is not an IPv4 address`;
  }
  if (spec.clusterIPs !== undefined && !Array.isArray(spec.clusterIPs)) return 'spec.clusterIPs is not a list';
  if (spec.externalIPs !== undefined && (!Array.isArray(spec.externalIPs) || !spec.externalIPs.every((ip) => isIPv4(ip)))) {
    return 'spec.externalIPs holds a value that is not an IPv4 address';
  }
  const ingress = svc.status?.loadBalancer?.ingress;
  if (
    ingress !== undefined &&
    ingress !== null &&
    (!Array.isArray(ingress) || !ingress.every((i) => i && typeof i === 'object' && (i.ip === undefined || isIPv4(i.ip))))
  ) {
    return 'status.loadBalancer.ingress holds a value that is not an IPv4 address';
  }
  if (spec.healthCheckNodePort !== undefined && spec.healthCheckNodePort !== 0 && !isPortNumber(spec.healthCheckNodePort)) {
    return `spec.healthCheckNodePort ${JSON.stringify(spec.healthCheckNodePort)} is not a port number`;
  }
  if (spec.sessionAffinity !== undefined && !affinities.has(spec.sessionAffinity))
    return `spec.sessionAffinity ${JSON.stringify(spec.sessionAffinity)} is not supported`;
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (timeout !== undefined && !(typeof timeout === 'number' && Number.isInteger(timeout) && timeout >= 1 && timeout <= maxAffinitySeconds)) {
    return `spec.sessionAffinityConfig.clientIP.timeoutSeconds ${JSON.stringify(timeout)} is not an integer in 1..${maxAffinitySeconds}`;
  }
  for (const policy of [spec.externalTrafficPolicy, spec.internalTrafficPolicy]) {
    if (policy !== undefined && !trafficPolicies.has(policy)) return `traffic policy ${JSON.stringify(policy)} is not supported`;
  }
  if (spec.ports !== undefined && !Array.isArray(spec.ports)) return 'spec.ports is not a list';
  for (const [i, p] of (spec.ports ?? []).entries()) {
    if (!p || typeof p !== 'object') return `spec.ports[${i}] is not an object`;
    if (!isPortNumber(p.port)) return `spec.ports[${i}].port ${JSON.stringify(p.port)} is not a port number`;
    if (p.nodePort !== undefined && p.nodePort !== 0 && !isPortNumber(p.nodePort))
      return `spec.ports[${i}].nodePort ${JSON.stringify(p.nodePort)} is not a port number`;
    if (p.protocol !== undefined && !protocols.has(p.protocol)) return `spec.ports[${i}].protocol ${JSON.stringify(p.protocol)} is not supported`;
    if (p.name !== undefined && p.name !== '' && (typeof p.name !== 'string' || checkDns1123Label(p.name).length)) {
      return `spec.ports[${i}].name is not a DNS-1123 label`;
    }
  }
  return undefined;
}

/** Why an EndpointSlice cannot back a Service, or undefined. Endpoints that are not IPv4 are skipped one by one. */
export function sliceProblem(slice: V1EndpointSlice): string | undefined {
  const name = slice.metadata?.name;
  if (typeof name !== 'string' || checkDns1123Subdomain(name).length) return 'metadata.name is not a DNS-1123 subdomain';
  if (slice.ports !== undefined && slice.ports !== null && !Array.isArray(slice.ports)) return 'ports is not a list';
  for (const [i, p] of (slice.ports ?? []).entries()) {
    if (!p || typeof p !== 'object') return `ports[${i}] is not an object`;
    if (p.port !== undefined && p.port !== null && !isPortNumber(p.port)) return `ports[${i}].port ${JSON.stringify(p.port)} is not a port number`;
    if (p.protocol !== undefined && p.protocol !== null && !protocols.has(p.protocol))
      return `ports[${i}].protocol ${JSON.stringify(p.protocol)} is not supported`;
  }
  if (slice.endpoints !== undefined && slice.endpoints !== null && !Array.isArray(slice.endpoints)) return 'endpoints is not a list';
  for (const [i, e] of (slice.endpoints ?? []).entries()) {
    if (!e || typeof e !== 'object' || (e.addresses !== undefined && !Array.isArray(e.addresses))) return `endpoints[${i}] is malformed`;
  }
  return undefined;
}
