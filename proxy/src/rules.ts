// The wanted iptables ruleset, computed as a whole from the service model, in the shape of
// kube-proxy's iptables mode but with chains of our own prefix so that `--cleanup` can
// find exactly ours. Pure: the same input gives byte-identical output.
import { createHash } from 'node:crypto';
import type { Endpoint, ServicePort } from './model.ts';

export const CHAIN_PREFIX = 'SKIFF-';
export const MASQ_MARK = '0x4000';

export const CHAINS = {
  services: 'SKIFF-SERVICES',
  nodePorts: 'SKIFF-NODEPORTS',
  postrouting: 'SKIFF-POSTROUTING',
  markMasq: 'SKIFF-MARK-MASQ',
  externalServices: 'SKIFF-EXTERNAL-SERVICES',
  forward: 'SKIFF-FORWARD',
} as const;

/** A rule in a built-in chain that hands packets to one of ours. */
export interface JumpRule {
  chain: string;
  spec: string;
}

export interface TableRules {
  /** every chain of ours the table must hold (ours only; built-ins are never declared) */
  chains: string[];
  /** `-A CHAIN ...` lines */
  rules: string[];
  jumps: JumpRule[];
}

export interface Ruleset {
  nat: TableRules;
  filter: TableRules;
}

export interface RuleOptions {
  /** pod network; traffic from outside it to a ClusterIP is masqueraded */
  clusterCIDR?: string;
}

const NAT_JUMPS: JumpRule[] = [
  { chain: 'PREROUTING', spec: `-m comment --comment "skiff service portals" -j ${CHAINS.services}` },
  { chain: 'OUTPUT', spec: `-m comment --comment "skiff service portals" -j ${CHAINS.services}` },
  { chain: 'POSTROUTING', spec: `-m comment --comment "skiff postrouting rules" -j ${CHAINS.postrouting}` },
];

const FILTER_JUMPS: JumpRule[] = [
  { chain: 'INPUT', spec: `-m conntrack --ctstate NEW -m comment --comment "skiff externally-visible service portals" -j ${CHAINS.externalServices}` },
  { chain: 'FORWARD', spec: `-m conntrack --ctstate NEW -m comment --comment "skiff service portals" -j ${CHAINS.services}` },
  { chain: 'OUTPUT', spec: `-m conntrack --ctstate NEW -m comment --comment "skiff service portals" -j ${CHAINS.services}` },
  { chain: 'FORWARD', spec: `-m comment --comment "skiff forwarding rules" -j ${CHAINS.forward}` },
];

/** 16 characters of a hash: chain names must stay within iptables' 28. */
function hashName(kind: string, input: string): string {
  return `${CHAIN_PREFIX}${kind}-${createHash('sha256').update(input).digest('hex').slice(0, 16).toUpperCase()}`;
}

export function serviceChain(sp: ServicePort): string {
  return hashName('SVC', `${sp.id}/${sp.protocol}`);
}
export function externalChain(sp: ServicePort): string {
  return hashName('EXT', `${sp.id}/${sp.protocol}`);
}
export function localChain(sp: ServicePort): string {
  return hashName('SVL', `${sp.id}/${sp.protocol}`);
}
export function endpointChain(sp: ServicePort, e: Endpoint): string {
  return hashName('SEP', `${sp.id}/${sp.protocol}/${e.ip}:${e.port}`);
}

function comment(text: string): string {
  // iptables comments are limited to 256 characters and must not contain quotes
  return `-m comment --comment "${text.replace(/"/g, '').slice(0, 250)}"`;
}

function protoMatch(sp: ServicePort, port: number): string {
  const p = sp.protocol.toLowerCase();
  return `-p ${p} -m ${p} --dport ${port}`;
}

/** kube-proxy's equal-weight split: rule i of n matches with probability 1/(n-i). */
export function probability(i: number, n: number): string {
  return (1 / (n - i)).toFixed(10);
}

function distribute(rules: string[], chain: string, sp: ServicePort, eps: Endpoint[]): void {
  if (sp.affinitySeconds !== undefined) {
    for (const e of eps) {
      const sep = endpointChain(sp, e);
      rules.push(
        `-A ${chain} ${comment(`${sp.id} -> ${e.ip}:${e.port}`)} -m recent --name ${sep} --mask 255.255.255.255 --rsource --rcheck --seconds ${sp.affinitySeconds} --reap -j ${sep}`,
      );
    }
  }
  eps.forEach((e, i) => {
    const sep = endpointChain(sp, e);
    const pick = i < eps.length - 1 ? `-m statistic --mode random --probability ${probability(i, eps.length)} ` : '';
    rules.push(`-A ${chain} ${comment(`${sp.id} -> ${e.ip}:${e.port}`)} ${pick}-j ${sep}`);
  });
}

export function computeRules(ports: readonly ServicePort[], opts: RuleOptions = {}): Ruleset {
  const natChains: string[] = [CHAINS.services, CHAINS.nodePorts, CHAINS.postrouting, CHAINS.markMasq];
  const nat: string[] = [];
  const filterChains: string[] = [CHAINS.services, CHAINS.externalServices, CHAINS.forward];
  const filter: string[] = [];
  // chain bodies come after the dispatch rules so that SKIFF-SERVICES reads top-down
  const bodies: string[] = [];

  nat.push(
    `-A ${CHAINS.markMasq} -j MARK --or-mark ${MASQ_MARK}`,
    `-A ${CHAINS.postrouting} -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
    // clear the mark so a packet that is routed again is not masqueraded twice
    `-A ${CHAINS.postrouting} -j MARK --xor-mark ${MASQ_MARK}`,
    `-A ${CHAINS.postrouting} ${comment('skiff service traffic requiring SNAT')} -j MASQUERADE --random-fully`,
  );
  filter.push(
    `-A ${CHAINS.forward} ${comment('skiff forwarding rules')} -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`,
    `-A ${CHAINS.forward} ${comment('skiff forwarding conntrack rule')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );

  const endpointChainsDone = new Set<string>();
  for (const sp of ports) {
    const clusterEps = sp.internalLocal ? sp.endpoints.filter((e) => e.local) : sp.endpoints;
    const localEps = sp.endpoints.filter((e) => e.local);
    const hasExternal = sp.nodePort !== undefined || sp.externalIPs.length > 0;
    const svc = serviceChain(sp);
    const ext = externalChain(sp);
    const svl = localChain(sp);
    const proto = sp.protocol.toLowerCase();

    // the endpoint chains, shared by the cluster and the local view
    for (const e of sp.endpoints) {
      const sep = endpointChain(sp, e);
      if (endpointChainsDone.has(sep)) continue;
      endpointChainsDone.add(sep);
      natChains.push(sep);
      // hairpin: a pod reaching itself through the service must see a reply from the service
      bodies.push(`-A ${sep} ${comment(sp.id)} -s ${e.ip}/32 -j ${CHAINS.markMasq}`);
      const affinity = sp.affinitySeconds !== undefined ? `-m recent --name ${sep} --mask 255.255.255.255 --rsource --set ` : '';
      bodies.push(`-A ${sep} ${comment(sp.id)} -p ${proto} ${affinity}-m ${proto} -j DNAT --to-destination ${e.ip}:${e.port}`);
    }

    if (clusterEps.length > 0) {
      natChains.push(svc);
      for (const ip of sp.clusterIPs) {
        nat.push(`-A ${CHAINS.services} -d ${ip}/32 ${comment(`${sp.id} cluster IP`)} ${protoMatch(sp, sp.port)} -j ${svc}`);
        if (opts.clusterCIDR)
          bodies.push(`-A ${svc} ${comment(`${sp.id} cluster IP`)} ! -s ${opts.clusterCIDR} -d ${ip}/32 ${protoMatch(sp, sp.port)} -j ${CHAINS.markMasq}`);
      }
      distribute(bodies, svc, sp, clusterEps);
    } else {
      for (const ip of sp.clusterIPs) {
        filter.push(
          `-A ${CHAINS.services} -d ${ip}/32 ${comment(`${sp.id} has no endpoints`)} ${protoMatch(sp, sp.port)} -j REJECT --reject-with icmp-port-unreachable`,
        );
      }
    }

    if (!hasExternal) continue;
    if (sp.endpoints.length === 0) {
      for (const ip of sp.externalIPs)
        filter.push(
          `-A ${CHAINS.externalServices} -d ${ip}/32 ${comment(`${sp.id} has no endpoints`)} ${protoMatch(sp, sp.port)} -j REJECT --reject-with icmp-port-unreachable`,
        );
      if (sp.nodePort !== undefined)
        filter.push(
          `-A ${CHAINS.externalServices} ${comment(`${sp.id} has no endpoints`)} -m addrtype --dst-type LOCAL ${protoMatch(sp, sp.nodePort)} -j REJECT --reject-with icmp-port-unreachable`,
        );
      continue;
    }
    natChains.push(ext);
    for (const ip of sp.externalIPs) nat.push(`-A ${CHAINS.services} -d ${ip}/32 ${comment(`${sp.id} external IP`)} ${protoMatch(sp, sp.port)} -j ${ext}`);
    if (sp.nodePort !== undefined) nat.push(`-A ${CHAINS.nodePorts} ${comment(sp.id)} ${protoMatch(sp, sp.nodePort)} -j ${ext}`);
    if (!sp.externalLocal) {
      bodies.push(`-A ${ext} ${comment(`masquerade traffic for ${sp.id} external destinations`)} -j ${CHAINS.markMasq}`);
      // internalTrafficPolicy Local narrows the ClusterIP only; outside traffic may use any endpoint
      if (sp.internalLocal) distribute(bodies, ext, sp, sp.endpoints);
      else bodies.push(`-A ${ext} -j ${svc}`);
      continue;
    }
    // externalTrafficPolicy Local: outside clients keep their source address and only reach
    // this node's endpoints; pods and the node itself may use any endpoint
    natChains.push(svl);
    if (opts.clusterCIDR && clusterEps.length > 0)
      bodies.push(`-A ${ext} ${comment('pod traffic for ' + sp.id + ' external destinations')} -s ${opts.clusterCIDR} -j ${svc}`);
    bodies.push(`-A ${ext} ${comment(`masquerade LOCAL traffic for ${sp.id} external destinations`)} -m addrtype --src-type LOCAL -j ${CHAINS.markMasq}`);
    if (clusterEps.length > 0)
      bodies.push(`-A ${ext} ${comment(`route LOCAL traffic for ${sp.id} external destinations`)} -m addrtype --src-type LOCAL -j ${svc}`);
    bodies.push(`-A ${ext} -j ${svl}`);
    distribute(bodies, svl, sp, localEps);
    if (localEps.length === 0) {
      // nothing DNATs outside traffic then; it would reach the node itself, so drop it
      for (const ip of sp.externalIPs)
        filter.push(`-A ${CHAINS.externalServices} -d ${ip}/32 ${comment(`${sp.id} has no local endpoints`)} ${protoMatch(sp, sp.port)} -j DROP`);
      if (sp.nodePort !== undefined)
        filter.push(
          `-A ${CHAINS.externalServices} ${comment(`${sp.id} has no local endpoints`)} -m addrtype --dst-type LOCAL ${protoMatch(sp, sp.nodePort)} -j DROP`,
        );
    }
  }
  // must stay last: NodePorts answer on every local address
  nat.push(
    `-A ${CHAINS.services} ${comment('skiff service nodeports; NOTE: this must be the last rule in this chain')} -m addrtype --dst-type LOCAL -j ${CHAINS.nodePorts}`,
  );

  return {
    nat: { chains: natChains, rules: [...nat, ...bodies], jumps: NAT_JUMPS },
    filter: { chains: filterChains, rules: filter, jumps: FILTER_JUMPS },
  };
}
