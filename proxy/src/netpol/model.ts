// NetworkPolicy as ipsets and iptables rules for one node. Pure: the same pods, namespaces and
// policies give the same sets and byte-identical rules. Every value that reaches a set or a rule
// (pod IPs, CIDRs, ports, protocols, names in comments) is checked here first, whatever the
// apiserver stored: a policy rule that fails is dropped (its pods stay isolated, so a bad rule
// allows less, never more) and reported through `refuse`.
//
// Layout (filter table, first jump of FORWARD): established and related traffic passes; a NEW
// packet from a local pod isolated for egress walks the egress policies that select its source,
// a NEW packet to a local pod isolated for ingress the ingress policies that select its
// destination. A policy rule that allows the packet sets a mark bit; a walk that ends without
// its bit drops the packet. The cost per packet is one set lookup per policy of this node, and
// the rule count grows with policies plus rules, never with policies × pods: pods live in sets.
import { createHash } from 'node:crypto';
import type { V1Namespace, V1NetworkPolicy, V1NetworkPolicyPeer, V1NetworkPolicyPort, V1Pod } from '@kubernetes/client-node';
import { checkDns1123Label, checkDns1123Subdomain, checkPortName } from '@skiff/common/apimachinery/names';
import { nothing, selectorFromObject } from '@skiff/common/apimachinery/label-selector';
import type { LabelSelectorObject, Selector } from '@skiff/common/apimachinery/label-selector';
import { isPortNumber } from '../edge.ts';
import { isIPv4, parseCidr } from '../ipv4.ts';
import type { JumpRule, TableRules } from '../rules.ts';

export const NP_CHAIN_PREFIX = 'SKIFF-NP-';
export const SET_PREFIX = 'sknp-';
export const EGRESS_MARK = '0x10000';
export const INGRESS_MARK = '0x20000';
const OUR_MARKS = '0x30000';

export const NP_CHAINS = {
  forward: 'SKIFF-NP-FORWARD',
  egress: 'SKIFF-NP-EGRESS',
  ingress: 'SKIFF-NP-INGRESS',
  postrouting: 'SKIFF-NP-POSTROUTING',
} as const;

export type SetType = 'hash:ip' | 'hash:net' | 'hash:ip,port';

export interface IpSet {
  name: string;
  type: SetType;
  /** members as `ipset add` takes them, sorted; `nomatch` entries carve excepts out of a hash:net */
  entries: string[];
}

export interface NetpolInput {
  pods: readonly V1Pod[];
  namespaces: readonly V1Namespace[];
  policies: readonly V1NetworkPolicy[];
  nodeName: string;
  /** pod network: pod-to-pod traffic keeps its source address (the CNI bridge masquerades the rest) */
  clusterCIDR?: string;
}

export interface NetpolRules {
  sets: IpSet[];
  filter: TableRules;
  nat: TableRules;
  /** policies that select at least one pod of this node */
  activePolicies: number;
}

type Refuse = (kind: string, key: string, why: string) => void;
type Direction = 'ingress' | 'egress';
const protocols = new Set(['TCP', 'UDP', 'SCTP']);

interface PodInfo {
  ip: string;
  namespace: string;
  labels: Record<string, string>;
  local: boolean;
  /** `${protocol}/${name}` → container port */
  namedPorts: Map<string, number>;
}

function hash(input: string): string {
  return createHash('sha256').update(input).digest('hex').slice(0, 16);
}

export function setName(kind: string, input: string): string {
  return `${SET_PREFIX}${kind}-${hash(input)}`;
}

function policyChain(direction: Direction, key: string): string {
  return `${NP_CHAIN_PREFIX}${direction === 'ingress' ? 'I' : 'E'}-${hash(key).toUpperCase()}`;
}

function comment(text: string): string {
  return `-m comment --comment "${text.replace(/["\\]/g, '').slice(0, 250)}"`;
}

/** Pods that take part: an IPv4 address of their own (not the host's), not finished. */
export function podInfos(pods: readonly V1Pod[], nodeName: string, refuse: Refuse): PodInfo[] {
  const out: PodInfo[] = [];
  for (const pod of pods) {
    const ip = pod.status?.podIP;
    if (!ip || pod.spec?.hostNetwork || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    if (!isIPv4(ip)) continue; // single-stack IPv4 dataplane
    if (typeof pod.metadata?.namespace !== 'string' || checkDns1123Label(pod.metadata.namespace).length) {
      refuse('Pod', key, 'metadata.namespace is not a DNS-1123 label');
      continue;
    }
    const namedPorts = new Map<string, number>();
    for (const c of pod.spec?.containers ?? []) {
      for (const p of c.ports ?? []) {
        const proto = p.protocol ?? 'TCP';
        if (typeof p.name !== 'string' || checkPortName(p.name).length || !protocols.has(proto) || !isPortNumber(p.containerPort)) continue;
        if (!namedPorts.has(`${proto}/${p.name}`)) namedPorts.set(`${proto}/${p.name}`, p.containerPort);
      }
    }
    out.push({ ip, namespace: pod.metadata.namespace, labels: pod.metadata?.labels ?? {}, local: pod.spec?.nodeName === nodeName, namedPorts });
  }
  return out;
}

interface PortSpec {
  protocol: string;
  /** numeric: `80` or `8000:8100`; undefined with name for a named port, both undefined: every port */
  range?: string;
  name?: string;
}

function portSpecs(ports: readonly V1NetworkPolicyPort[] | undefined, where: string): PortSpec[] {
  if (!ports || ports.length === 0) return [];
  const out: PortSpec[] = [];
  for (const [i, p] of ports.entries()) {
    const protocol = p.protocol ?? 'TCP';
    if (!protocols.has(protocol)) throw new Error(`${where}.ports[${i}].protocol ${JSON.stringify(protocol)} is not supported`);
    const port = p.port as unknown;
    if (port === undefined || port === null) {
      out.push({ protocol });
    } else if (typeof port === 'number') {
      if (!isPortNumber(port)) throw new Error(`${where}.ports[${i}].port ${JSON.stringify(port)} is not a port number`);
      const end = p.endPort;
      if (end !== undefined && end !== null && (!isPortNumber(end) || end < port))
        throw new Error(`${where}.ports[${i}].endPort is not a port number at or above port`);
      out.push({ protocol, range: end !== undefined && end !== null && end !== port ? `${port}:${end}` : String(port) });
    } else if (typeof port === 'string' && /^\d+$/.test(port) && isPortNumber(Number(port))) {
      out.push({ protocol, range: String(Number(port)) }); // an IntOrString holding digits
    } else if (typeof port === 'string' && checkPortName(port).length === 0) {
      out.push({ protocol, name: port });
    } else {
      throw new Error(`${where}.ports[${i}].port ${JSON.stringify(port)} is neither a port number nor a port name`);
    }
  }
  return out;
}

/** ipBlock as one hash:net set: the cidr, and its excepts as nomatch entries (the longest prefix wins). */
function ipBlockEntries(block: { cidr: string; except?: string[] }, where: string): string[] | undefined {
  let cidr;
  try {
    cidr = parseCidr(block.cidr);
  } catch {
    if (typeof block.cidr === 'string' && block.cidr.includes(':')) return undefined; // IPv6: no IPv6 traffic here
    throw new Error(`${where}.ipBlock.cidr ${JSON.stringify(block.cidr)} is not a CIDR`);
  }
  // hash:net refuses /0; its two halves hold the same addresses
  const entries = cidr.bits === 0 ? ['0.0.0.0/1', '128.0.0.0/1'] : [cidr.text];
  for (const ex of block.except ?? []) {
    let c;
    try {
      c = parseCidr(ex);
    } catch {
      throw new Error(`${where}.ipBlock.except ${JSON.stringify(ex)} is not an IPv4 CIDR`);
    }
    if (c.bits <= cidr.bits || (c.base & mask(cidr.bits)) >>> 0 !== cidr.base) throw new Error(`${where}.ipBlock.except ${ex} is not inside ${cidr.text}`);
    entries.push(`${c.text} nomatch`);
  }
  return entries;
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** Compiles each distinct selector once; one the apiserver should have refused selects nothing. */
function selectorCache(): (sel: LabelSelectorObject | undefined) => Selector {
  const cache = new Map<string, Selector>();
  return (sel) => {
    const key = JSON.stringify(sel ?? {});
    let s = cache.get(key);
    if (!s) {
      try {
        s = selectorFromObject(sel ?? {});
      } catch {
        s = nothing;
      }
      cache.set(key, s);
    }
    return s;
  };
}

export function computeNetpolRules(input: NetpolInput, refuse: Refuse = () => {}): NetpolRules {
  const selector = selectorCache();
  const pods = podInfos(input.pods, input.nodeName, refuse);
  const nsLabels = new Map<string, Record<string, string>>();
  for (const ns of input.namespaces) if (ns.metadata?.name) nsLabels.set(ns.metadata.name, ns.metadata.labels ?? {});
  const sets = new Map<string, IpSet>();
  const addSet = (kind: string, key: string, type: SetType, entries: () => string[]): string => {
    const name = setName(kind, key);
    if (!sets.has(name)) sets.set(name, { name, type, entries: [...new Set(entries())].sort() });
    return name;
  };
  const namedPortSet = (protocol: string, name: string) =>
    addSet('N', `${protocol}/${name}`, 'hash:ip,port', () =>
      pods.flatMap((p) => {
        const port = p.namedPorts.get(`${protocol}/${name}`);
        return port === undefined ? [] : [`${p.ip},${protocol.toLowerCase()}:${port}`];
      }),
    );

  const filterChains: string[] = [NP_CHAINS.forward, NP_CHAINS.egress, NP_CHAINS.ingress];
  const dispatch: Record<Direction, string[]> = { ingress: [], egress: [] };
  const bodies: string[] = [];
  const isolated: Record<Direction, Set<string>> = { ingress: new Set(), egress: new Set() };
  let activePolicies = 0;

  const sorted = [...input.policies].sort((a, b) =>
    `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(`${b.metadata?.namespace}/${b.metadata?.name}`),
  );
  for (const pol of sorted) {
    const ns = pol.metadata?.namespace;
    const name = pol.metadata?.name;
    const key = `${ns}/${name}`;
    if (typeof ns !== 'string' || checkDns1123Label(ns).length || typeof name !== 'string' || checkDns1123Subdomain(name).length) {
      refuse('NetworkPolicy', key, 'metadata.name or namespace is malformed');
      continue;
    }
    const spec = pol.spec;
    if (!spec || typeof spec !== 'object') {
      refuse('NetworkPolicy', key, 'spec is missing');
      continue;
    }
    const selected = pods.filter((p) => p.local && p.namespace === ns && selector(spec.podSelector).matches(p.labels));
    if (selected.length === 0) continue;
    activePolicies++;
    const types = spec.policyTypes?.length ? spec.policyTypes : ['Ingress', ...(spec.egress?.length ? ['Egress'] : [])];
    for (const direction of ['ingress', 'egress'] as const) {
      if (!types.includes(direction === 'ingress' ? 'Ingress' : 'Egress')) continue;
      const ips = selected.map((p) => p.ip);
      for (const ip of ips) isolated[direction].add(ip);
      const selectedSet = addSet('S', `${direction}/${key}`, 'hash:ip', () => ips);
      const chain = policyChain(direction, key);
      filterChains.push(chain);
      const side = direction === 'ingress' ? 'dst' : 'src';
      const peerSide = direction === 'ingress' ? 'src' : 'dst';
      dispatch[direction].push(
        `-A ${direction === 'ingress' ? NP_CHAINS.ingress : NP_CHAINS.egress} -m set --match-set ${selectedSet} ${side} ${comment(`${key} ${direction}`)} -j ${chain}`,
      );
      const mark = direction === 'ingress' ? INGRESS_MARK : EGRESS_MARK;
      const rules = (direction === 'ingress' ? spec.ingress : spec.egress) ?? [];
      for (const [i, rule] of rules.entries()) {
        const where = `spec.${direction}[${i}]`;
        try {
          // the client's typed models call `from` `_from`; watch events carry the wire name
          const r = rule as { from?: V1NetworkPolicyPeer[]; _from?: V1NetworkPolicyPeer[]; to?: V1NetworkPolicyPeer[] };
          const peers = (direction === 'ingress' ? (r.from ?? r._from) : r.to) ?? [];
          if (!Array.isArray(peers)) throw new Error(`${where} peers are not a list`);
          const peerMatches: string[] = [];
          for (const [j, peer] of peers.entries()) {
            const pw = `${where}.${direction === 'ingress' ? 'from' : 'to'}[${j}]`;
            if (peer.ipBlock) {
              const entries = ipBlockEntries(peer.ipBlock, pw);
              if (!entries) continue;
              const s = addSet('B', entries.join(' '), 'hash:net', () => entries);
              peerMatches.push(`-m set --match-set ${s} ${peerSide}`);
            } else if (peer.podSelector || peer.namespaceSelector) {
              const selKey = JSON.stringify([peer.namespaceSelector ? null : ns, peer.namespaceSelector ?? null, peer.podSelector ?? {}]);
              const s = addSet('P', selKey, 'hash:ip', () =>
                pods
                  .filter((p) => (peer.namespaceSelector ? selector(peer.namespaceSelector).matches(nsLabels.get(p.namespace)) : p.namespace === ns))
                  .filter((p) => selector(peer.podSelector).matches(p.labels))
                  .map((p) => p.ip),
              );
              peerMatches.push(`-m set --match-set ${s} ${peerSide}`);
            } else {
              throw new Error(`${pw} names no peer`);
            }
          }
          // a rule whose every peer was skipped (IPv6 blocks) allows nothing here
          if (peers.length > 0 && peerMatches.length === 0) continue;
          const portMatches: string[] = [];
          const numeric = new Map<string, string[]>();
          for (const ps of portSpecs(rule.ports, where)) {
            const proto = ps.protocol.toLowerCase();
            if (ps.name) portMatches.push(`-p ${proto} -m set --match-set ${namedPortSet(ps.protocol, ps.name)} dst,dst`);
            else if (ps.range) numeric.get(proto)?.push(ps.range) ?? numeric.set(proto, [ps.range]);
            else portMatches.push(`-p ${proto}`);
          }
          for (const [proto, ranges] of numeric) {
            // multiport takes at most 15 ports, a range counting two
            for (let k = 0; k < ranges.length; k += 7) portMatches.push(`-p ${proto} -m multiport --dports ${ranges.slice(k, k + 7).join(',')}`);
          }
          for (const peerMatch of peerMatches.length ? peerMatches : ['']) {
            for (const portMatch of portMatches.length ? portMatches : ['']) {
              const match = [peerMatch, portMatch].filter(Boolean).join(' ');
              bodies.push(`-A ${chain} ${comment(`${key} ${where}`)} ${match ? `${match} ` : ''}-j MARK --set-xmark ${mark}/${mark}`);
            }
          }
        } catch (e) {
          refuse('NetworkPolicy', key, (e as Error).message);
        }
      }
    }
  }

  const isolatedIngress = addSet('I', 'isolated/ingress', 'hash:ip', () => [...isolated.ingress]);
  const isolatedEgress = addSet('I', 'isolated/egress', 'hash:ip', () => [...isolated.egress]);
  const filter = [
    `-A ${NP_CHAINS.forward} -m conntrack --ctstate RELATED,ESTABLISHED ${comment('replies of allowed connections')} -j RETURN`,
    `-A ${NP_CHAINS.forward} -j MARK --set-xmark 0x0/${OUR_MARKS}`,
    `-A ${NP_CHAINS.forward} -m set --match-set ${isolatedEgress} src ${comment('pods isolated for egress')} -j ${NP_CHAINS.egress}`,
    `-A ${NP_CHAINS.forward} -m set --match-set ${isolatedIngress} dst ${comment('pods isolated for ingress')} -j ${NP_CHAINS.ingress}`,
    ...dispatch.egress,
    `-A ${NP_CHAINS.egress} -m mark --mark ${EGRESS_MARK}/${EGRESS_MARK} -j RETURN`,
    `-A ${NP_CHAINS.egress} ${comment('no network policy allows this egress')} -j DROP`,
    // the node itself (kubelet probes, masqueraded NodePort traffic) reaches its pods, as CNI plugins allow
    `-A ${NP_CHAINS.ingress} -m addrtype --src-type LOCAL ${comment('from the node itself')} -j RETURN`,
    ...dispatch.ingress,
    `-A ${NP_CHAINS.ingress} -m mark --mark ${INGRESS_MARK}/${INGRESS_MARK} -j RETURN`,
    `-A ${NP_CHAINS.ingress} ${comment('no network policy allows this ingress')} -j DROP`,
    ...bodies,
  ];
  const nat: string[] = [];
  if (input.clusterCIDR) {
    const cidr = parseCidr(input.clusterCIDR).text;
    // pod-to-pod traffic keeps its source address (the Kubernetes network model), so that the
    // other node's ingress policies see the pod; service traffic marked for SNAT is left alone
    nat.push(`-A ${NP_CHAINS.postrouting} -s ${cidr} -d ${cidr} -m mark ! --mark 0x4000/0x4000 ${comment('pod to pod: no SNAT')} -j ACCEPT`);
  }
  const filterJumps: JumpRule[] = [{ chain: 'FORWARD', spec: `${comment('skiff network policies')} -j ${NP_CHAINS.forward}` }];
  const natJumps: JumpRule[] = input.clusterCIDR ? [{ chain: 'POSTROUTING', spec: `${comment('skiff pod-to-pod traffic')} -j ${NP_CHAINS.postrouting}` }] : [];
  return {
    sets: [...sets.values()].sort((a, b) => a.name.localeCompare(b.name)),
    filter: { chains: filterChains, rules: filter, jumps: filterJumps },
    nat: { chains: input.clusterCIDR ? [NP_CHAINS.postrouting] : [], rules: nat, jumps: natJumps },
    activePolicies,
  };
}
