// Which node answers for a load-balancer address (MetalLB layer-2 mode's choice): among the
// eligible nodes, the one whose sha256(node + "#" + address) sorts first. Every proxy computes
// the same answer from the same Services, Nodes and EndpointSlices, so exactly one node holds
// each address without any coordination, and losing a node moves only its own addresses.
// Pure: the announcer (lb-announce.ts) puts the result on the interface.
import { createHash } from 'node:crypto';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { serviceProblem } from './edge.ts';
import { loadBalancerIPs, SERVICE_NAME_LABEL } from './model.ts';

/** Nodes with this label never announce (upstream's label for external load balancers). */
export const EXCLUDE_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

export function nodeIsEligible(n: V1Node): boolean {
  if (n.metadata?.deletionTimestamp || n.metadata?.labels?.[EXCLUDE_LABEL] !== undefined) return false;
  return (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The node that announces `ip`, or undefined when no node is eligible. */
export function electedNode(ip: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestHash = '';
  for (const node of candidates) {
    const h = createHash('sha256').update(`${node}#${ip}`).digest('hex');
    if (best === undefined || h < bestHash || (h === bestHash && node < best)) {
      best = node;
      bestHash = h;
    }
  }
  return best;
}

/** Nodes with at least one ready endpoint of each Service ("namespace/name"). */
export function nodesWithReadyEndpoints(slices: readonly V1EndpointSlice[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc || s.addressType !== 'IPv4') continue;
    const key = `${s.metadata?.namespace}/${svc}`;
    for (const e of s.endpoints ?? []) {
      if (e.conditions?.ready === false || !e.nodeName) continue;
      let nodes = out.get(key);
      if (!nodes) out.set(key, (nodes = new Set()));
      nodes.add(e.nodeName);
    }
  }
  return out;
}

export interface Announcement {
  ip: string;
  /** "namespace/name" of the Service */
  service: string;
}

/**
 * The addresses `nodeName` must announce. externalTrafficPolicy Local limits the choice to
 * nodes with a ready local endpoint: traffic must land where it is served without SNAT.
 */
export function announcementsFor(
  nodeName: string,
  services: readonly V1Service[],
  nodes: readonly V1Node[],
  slices: readonly V1EndpointSlice[],
): Announcement[] {
  const eligible = nodes.filter(nodeIsEligible).map((n) => n.metadata!.name!);
  const withEndpoints = nodesWithReadyEndpoints(slices);
  const out: Announcement[] = [];
  for (const svc of services) {
    if (serviceProblem(svc) !== undefined) continue;
    const key = `${svc.metadata!.namespace}/${svc.metadata!.name}`;
    const local = svc.spec?.externalTrafficPolicy === 'Local';
    const serving = withEndpoints.get(key);
    const candidates = local ? eligible.filter((n) => serving?.has(n)) : eligible;
    for (const ip of loadBalancerIPs(svc)) {
      if (electedNode(ip, candidates) === nodeName) out.push({ ip, service: key });
    }
  }
  return out.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
}
