// host-gw: every other node's pod CIDR is reached through that node's InternalIP. Routes we
// install carry our own `proto` number, so that we only ever change or remove our own.
import type { V1Node } from '@kubernetes/client-node';
import { run } from './exec.ts';
import { isIPv4, parseCidr } from './ipv4.ts';

export const ROUTE_PROTO = 199;

export interface PodRoute {
  cidr: string;
  via: string;
}

export function internalIP(node: V1Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP' && isIPv4(a.address))?.address;
}

/** Routes to the pod CIDRs of all other nodes that have one and an IPv4 InternalIP. */
export function wantedRoutes(nodes: readonly V1Node[], selfName: string, selfIP?: string): PodRoute[] {
  const out = new Map<string, PodRoute>();
  for (const n of nodes) {
    if (n.metadata?.name === selfName) continue;
    const via = internalIP(n);
    const cidrText = n.spec?.podCIDRs?.find((c) => c.includes('.')) ?? n.spec?.podCIDR;
    if (!via || !cidrText || via === selfIP) continue;
    let cidr: string;
    try {
      cidr = parseCidr(cidrText).text;
    } catch {
      continue;
    }
    out.set(cidr, { cidr, via });
  }
  return [...out.values()].sort((a, b) => (a.cidr < b.cidr ? -1 : 1));
}

export interface RouteChanges {
  replace: PodRoute[];
  remove: PodRoute[];
}

export function diffRoutes(current: readonly PodRoute[], wanted: readonly PodRoute[]): RouteChanges {
  const cur = new Map(current.map((r) => [r.cidr, r.via]));
  const want = new Set(wanted.map((r) => r.cidr));
  return {
    replace: wanted.filter((r) => cur.get(r.cidr) !== r.via),
    remove: current.filter((r) => !want.has(r.cidr)),
  };
}

interface IpJsonRoute {
  dst?: string;
  gateway?: string;
}

export async function listOurRoutes(): Promise<PodRoute[]> {
  const out = await run('ip', ['-j', '-4', 'route', 'show', 'proto', String(ROUTE_PROTO)]);
  const routes = JSON.parse(out.trim() || '[]') as IpJsonRoute[];
  return routes.filter((r) => r.dst && r.gateway).map((r) => ({ cidr: r.dst!.includes('/') ? r.dst! : `${r.dst}/32`, via: r.gateway! }));
}

/** Brings our routes to `wanted`; failures of single routes are returned, not thrown. */
export async function syncRoutes(wanted: readonly PodRoute[]): Promise<{ changes: RouteChanges; errors: string[] }> {
  const changes = diffRoutes(await listOurRoutes(), wanted);
  const errors: string[] = [];
  for (const r of changes.replace) {
    await run('ip', ['route', 'replace', r.cidr, 'via', r.via, 'proto', String(ROUTE_PROTO)]).catch((e: Error) => errors.push(e.message));
  }
  for (const r of changes.remove) {
    await run('ip', ['route', 'del', r.cidr, 'proto', String(ROUTE_PROTO)]).catch((e: Error) => errors.push(e.message));
  }
  return { changes, errors };
}
