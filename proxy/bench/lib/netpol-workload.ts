// The NetworkPolicy bench's world: hollow pods (objects only, no sandboxes) spread over 20
// namespaces, the Services in front of them, and policies of every kind the rules compile:
// pod selectors (matchLabels and matchExpressions), namespace selectors alone and ANDed with
// a pod selector, ipBlock with except, numeric ports, port ranges (endPort), named ports,
// more ports than one multiport match takes, allow-all and deny-all, ingress and egress.
// Deterministic: the same sizes give the same objects. All pods run on one node (the node the
// bench syncs), so every policy selects pods there: the worst case for that node's rules.
import type { V1EndpointSlice, V1Namespace, V1NetworkPolicy, V1NetworkPolicySpec, V1Pod, V1Service } from '@kubernetes/client-node';
import { service, slice } from '../../test/fixtures.ts';

export const BENCH_NODE = 'bench-node';
export const BENCH_CLUSTER_CIDR = '10.244.0.0/16';
export const NAMESPACES = 20;
const SERVICES_PER_NAMESPACE = 5;
const TIERS = ['web', 'api', 'db', 'cache'];
const ENVS = ['prod', 'staging', 'dev'];
const APPS = 25;

export interface WorkloadSize {
  pods: number;
  policies: number;
}

export interface NetpolWorld {
  pods: V1Pod[];
  namespaces: V1Namespace[];
  policies: V1NetworkPolicy[];
  services: V1Service[];
  slices: V1EndpointSlice[];
}

export const nsName = (j: number) => `team-${String(j).padStart(2, '0')}`;

/** 10.244.1.2 onwards, 250 pods per /24 (no .0, .1 or .255 addresses). */
export function podIP(i: number): string {
  return `10.244.${1 + Math.floor(i / 250)}.${2 + (i % 250)}`;
}

function namespace(j: number): V1Namespace {
  const name = nsName(j);
  return { metadata: { name, labels: { 'kubernetes.io/metadata.name': name, team: `t${j % 5}`, env: ENVS[j % 3]! } } };
}

/** Pod i lives in namespace i % 20; its labels follow its place m within the namespace. */
function pod(i: number): V1Pod {
  const m = Math.floor(i / NAMESPACES);
  const tier = TIERS[m % TIERS.length]!;
  const ports = [
    // the same name on different numbers, so that named-port sets hold (ip, port) pairs of each pod
    { name: 'http', containerPort: 8080 + (i % 3), protocol: 'TCP' },
    { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
    ...(tier === 'cache' ? [{ name: 'dns', containerPort: 5353, protocol: 'UDP' }] : []),
  ];
  return {
    metadata: {
      name: `pod-${i}`,
      namespace: nsName(i % NAMESPACES),
      labels: { app: `app-${m % APPS}`, tier, version: `v${Math.floor(m / TIERS.length) % 2}` },
    },
    spec: { nodeName: BENCH_NODE, containers: [{ name: 'main', image: 'hollow', ports }] },
    status: { phase: 'Running', podIP: podIP(i) },
  };
}

/** Policy i lives in namespace i % 20; its kind walks through all ten, five different ones per namespace; its selectors vary with i. */
export function policyKind(i: number): number {
  return (i + Math.floor(i / NAMESPACES)) % 10;
}

export function policySpec(i: number, variant = 0): V1NetworkPolicySpec {
  const app = `app-${i % APPS}`;
  const tier = TIERS[i % TIERS.length]!;
  const peerTier = TIERS[(i + 1) % TIERS.length]!;
  const port = 8000 + (i % 50) + variant;
  switch (policyKind(i)) {
    case 0: // default deny ingress
      return { podSelector: {}, policyTypes: ['Ingress'] };
    case 1: // same-namespace pods of a tier, one port
      return { podSelector: { matchLabels: { tier } }, ingress: [{ _from: [{ podSelector: { matchLabels: { tier: peerTier } } }], ports: [{ port }] }] };
    case 2: // pods of a tier in the namespaces of a team (AND), named port
      return {
        podSelector: { matchLabels: { app } },
        ingress: [
          {
            _from: [{ namespaceSelector: { matchLabels: { team: `t${i % 5}` } }, podSelector: { matchLabels: { tier: peerTier } } }],
            ports: [{ port: 'http' }],
          },
        ],
      };
    case 3: // an address block with holes, a port range
      return {
        podSelector: { matchLabels: { tier } },
        ingress: [
          {
            _from: [{ ipBlock: { cidr: `10.${i % 200}.0.0/16`, except: [`10.${i % 200}.${variant}.0/24`, `10.${i % 200}.128.0/17`] } }],
            ports: [{ port: 30000 + variant, endPort: 32767 }],
          },
        ],
      };
    case 4: // egress to prod namespaces on 443, and DNS to one namespace by its name label
      return {
        podSelector: { matchLabels: { app } },
        policyTypes: ['Egress'],
        egress: [
          { to: [{ namespaceSelector: { matchLabels: { env: 'prod' } } }], ports: [{ port: 443 + variant }] },
          {
            to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': nsName(0) } }, podSelector: { matchLabels: { tier: 'cache' } } }],
            ports: [{ port: 'dns', protocol: 'UDP' }],
          },
        ],
      };
    case 5: // egress to the internet but not the metadata service or the pod network
      return {
        podSelector: { matchLabels: { tier } },
        policyTypes: ['Egress'],
        egress: [
          { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32', BENCH_CLUSTER_CIDR] } }], ports: [{ port: 443 }, { port: 80 + variant }] },
        ],
      };
    case 6: // both directions, matchExpressions
      return {
        podSelector: {
          matchExpressions: [
            { key: 'tier', operator: 'NotIn', values: ['db'] },
            { key: 'app', operator: 'In', values: [app, `app-${(i + 7) % APPS}`] },
          ],
        },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ _from: [{ podSelector: { matchExpressions: [{ key: 'version', operator: 'Exists' }] } }], ports: [{ port: 'metrics' }] }],
        egress: [{ to: [{ podSelector: { matchLabels: { tier: 'db' } } }], ports: [{ port: 5432 + variant }, { port: 'http' }] }],
      };
    case 7: // from every namespace, more ports than one multiport match takes
      return {
        podSelector: { matchLabels: { tier, version: `v${i % 2}` } },
        ingress: [{ _from: [{ namespaceSelector: {} }], ports: Array.from({ length: 9 }, (_, k) => ({ port: 7000 + k * 10 + variant })) }],
      };
    case 8: // allow all ingress to one app
      return { podSelector: { matchLabels: { app } }, ingress: [{}] };
    default: // default deny egress for one app, ingress from namespaces of two environments
      return {
        podSelector: { matchLabels: { app } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            _from: [
              {
                namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }] },
                podSelector: { matchLabels: { tier } },
              },
            ],
            ports: [{ port: 9000 + variant, protocol: 'TCP' }],
          },
        ],
      };
  }
}

export function policy(i: number, variant = 0): V1NetworkPolicy {
  return { metadata: { name: `np-${i}`, namespace: nsName(i % NAMESPACES) }, spec: policySpec(i, variant) };
}

/** Five Services per namespace over the same pods, so that the no-policy baseline has rules to write too. */
function servicesOf(pods: V1Pod[]): { services: V1Service[]; slices: V1EndpointSlice[] } {
  const services: V1Service[] = [];
  const slices: V1EndpointSlice[] = [];
  for (let j = 0; j < NAMESPACES; j++) {
    for (let k = 0; k < SERVICES_PER_NAMESPACE; k++) {
      const name = `svc-${k}`;
      const n = j * SERVICES_PER_NAMESPACE + k;
      services.push(service(name, { clusterIP: `10.96.${Math.floor(n / 250)}.${2 + (n % 250)}` }, nsName(j)));
      const eps = pods
        .filter((p) => p.metadata!.namespace === nsName(j) && Number(p.metadata!.name!.slice(4)) % SERVICES_PER_NAMESPACE === k)
        .map((p) => ({ ip: p.status!.podIP!, node: BENCH_NODE }));
      slices.push(slice(name, eps, undefined, nsName(j)));
    }
  }
  return { services, slices };
}

export function netpolWorld(size: WorkloadSize): NetpolWorld {
  const pods = Array.from({ length: size.pods }, (_, i) => pod(i));
  return {
    pods,
    namespaces: Array.from({ length: NAMESPACES }, (_, j) => namespace(j)),
    policies: Array.from({ length: size.policies }, (_, i) => policy(i)),
    ...servicesOf(pods),
  };
}

/** The same world with pod `index` relabelled (its tier cycles with `round`): peer and selected sets change. */
export function withPodLabelChange(world: NetpolWorld, index: number, round: number): NetpolWorld {
  const pods = [...world.pods];
  const old = pods[index]!;
  const tier = TIERS[(index + round) % TIERS.length]!;
  pods[index] = { ...old, metadata: { ...old.metadata, labels: { ...old.metadata!.labels, tier } } };
  return { ...world, pods };
}

/** The same world with policy `index` edited (its ports, and for ipBlock its excepts, move with `round`). */
export function withPolicyChange(world: NetpolWorld, index: number, round: number): NetpolWorld {
  const policies = [...world.policies];
  policies[index] = policy(index, round);
  return { ...world, policies };
}

/** The same world with one endpoint of the first Service moved (the no-policy baseline's incremental change). */
export function withEndpointChange(world: NetpolWorld, round: number): NetpolWorld {
  const slices = [...world.slices];
  const first = slices[0]!;
  slices[0] = { ...first, endpoints: [{ addresses: [`10.244.250.${1 + (round % 250)}`], nodeName: BENCH_NODE, conditions: {} }, ...first.endpoints.slice(1)] };
  return { ...world, slices };
}
