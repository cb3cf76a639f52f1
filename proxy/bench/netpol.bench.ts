// `make bench`: NetworkPolicy rule sync with 1,000 hollow pods in 20 namespaces, 100 Services
// and 100 policies of every kind (bench/lib/netpol-workload.ts), against the baseline of the
// same run: the plain proxier's sync of the same Services with no policy part at all.
//   (a) rule generation: ipset members and iptables lines, pure, no kernel;
//   (b) the full sync written to the kernel, ipset restore + iptables-restore, as at start;
//   (c) an incremental sync after one pod label change and after one policy change (the
//       baseline: the plain proxier's sync after one endpoint change);
//   (d) rules and set members in the kernel for 100 vs 200 policies and 1,000 vs 2,000 pods.
// A sync here is what Proxier.syncOnce does, step for step, without the informers. The kernel
// is two network namespaces of the bench's own (one per side), deleted by name at the end:
// the host's tables and sets are never touched. Prints numbers, asserts no timing.
import { existsSync } from 'node:fs';
import { run } from '../src/exec.ts';
import { applyRuleset, IptablesSyncer } from '../src/iptables.ts';
import type { IptablesRunner } from '../src/iptables.ts';
import { buildServicePorts } from '../src/model.ts';
import { mergeNetpolRules } from '../src/netpol/agent.ts';
import { destroyAllSets, IpsetSyncer } from '../src/netpol/ipset.ts';
import type { IpsetRunner } from '../src/netpol/ipset.ts';
import { computeNetpolRules } from '../src/netpol/model.ts';
import type { NetpolRules } from '../src/netpol/model.ts';
import { computeRules } from '../src/rules.ts';
import type { Ruleset } from '../src/rules.ts';
import { BENCH_CLUSTER_CIDR, BENCH_NODE, netpolWorld, policyKind, withEndpointChange, withPodLabelChange, withPolicyChange } from './lib/netpol-workload.ts';
import type { NetpolWorld } from './lib/netpol-workload.ts';

const ROUNDS = 7;
const NAMESPACES = { base: 'skiffnp-bench-base', policies: 'skiffnp-bench-pol' };

const inNs = (ns: string, cmd: string, args: string[], stdin?: string) => run('nsenter', [`--net=/var/run/netns/${ns}`, cmd, ...args], stdin);

function nsIptables(ns: string): IptablesRunner {
  return {
    save: (table) => inNs(ns, 'iptables-save', ['-t', table]),
    restore: async (payload) => {
      await inNs(ns, 'iptables-restore', ['--noflush', '-w', '5'], payload);
    },
  };
}

function nsIpset(ns: string): IpsetRunner {
  return {
    list: async () => (await inNs(ns, 'ipset', ['list', '-n'])).split('\n').filter(Boolean),
    restore: async (payload) => {
      await inNs(ns, 'ipset', ['restore'], payload);
    },
  };
}

async function addNamespace(name: string): Promise<void> {
  if (existsSync(`/var/run/netns/${name}`)) await run('ip', ['netns', 'del', name]); // left by a run that was killed
  await run('ip', ['netns', 'add', name]);
}

async function deleteNamespace(name: string): Promise<void> {
  if (existsSync(`/var/run/netns/${name}`)) await run('ip', ['netns', 'del', name]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const f = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(0));

function serviceRules(world: NetpolWorld): Ruleset {
  return computeRules(buildServicePorts(world.services, world.slices, BENCH_NODE), { clusterCIDR: BENCH_CLUSTER_CIDR });
}

function policyRules(world: NetpolWorld): NetpolRules {
  return computeNetpolRules(
    { pods: world.pods, namespaces: world.namespaces, policies: world.policies, nodeName: BENCH_NODE, clusterCIDR: BENCH_CLUSTER_CIDR },
    (kind, key, why) => {
      throw new Error(`the bench's workload holds something the rules refuse: ${kind} ${key}: ${why}`);
    },
  );
}

/** One node's kernel and what the proxier remembers of it. */
class BenchNode {
  readonly ns: string;
  iptables!: IptablesSyncer;
  ipsets!: IpsetSyncer;

  constructor(ns: string) {
    this.ns = ns;
    this.reset();
  }

  /** A proxier that has not synced yet: the next sync is a full one. */
  reset(): void {
    this.iptables = new IptablesSyncer(nsIptables(this.ns));
    this.ipsets = new IpsetSyncer(nsIpset(this.ns));
  }

  /** Empties the kernel of our rules and sets, as `skiff-proxy --cleanup` does (not timed). */
  async clear(): Promise<void> {
    await applyRuleset(undefined, nsIptables(this.ns));
    await destroyAllSets(nsIpset(this.ns));
    this.reset();
  }

  /** Proxier.syncOnce: Service rules, then (with policies) the sets, one iptables transaction, stale sets. */
  async sync(world: NetpolWorld, withPolicies: boolean) {
    const t0 = process.hrtime.bigint();
    const services = serviceRules(world);
    let np: NetpolRules | undefined;
    let setsWritten = 0;
    if (withPolicies) {
      np = policyRules(world);
      setsWritten = await this.ipsets.apply(np.sets);
    }
    const mode = await this.iptables.apply(np ? mergeNetpolRules(services, np) : services);
    if (np) await this.ipsets.destroyStale(np.sets);
    return { ms: ms(t0), mode, setsWritten, bytes: this.iptables.lastPayloadBytes + this.ipsets.lastPayloadBytes };
  }

  /** What the kernel holds of ours: policy rules (filter and nat), all our rules, sets and their members. */
  async count() {
    const saved = (await inNs(this.ns, 'iptables-save', ['-t', 'filter'])) + (await inNs(this.ns, 'iptables-save', ['-t', 'nat']));
    const lines = saved.split('\n');
    const listing = await inNs(this.ns, 'ipset', ['list']);
    return {
      policyRules: lines.filter((l) => l.startsWith('-A SKIFF-NP-')).length,
      allRules: lines.filter((l) => l.startsWith('-A SKIFF-')).length,
      sets: (listing.match(/^Name: sknp-/gm) ?? []).length,
      members: [...listing.matchAll(/^Number of entries: (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0),
    };
  }
}

function generation(world: NetpolWorld): void {
  const base: number[] = [];
  const withPolicies: number[] = [];
  let np: NetpolRules | undefined;
  // one untimed round first: the first call of each pays for compiling the code
  serviceRules(world);
  policyRules(world);
  for (let round = 0; round < ROUNDS; round++) {
    let t0 = process.hrtime.bigint();
    serviceRules(world);
    base.push(ms(t0));
    t0 = process.hrtime.bigint();
    serviceRules(world);
    np = policyRules(world);
    withPolicies.push(ms(t0));
  }
  const members = np!.sets.reduce((n, s) => n + s.entries.length, 0);
  console.log(
    `netpol rule generation (pure), ${world.pods.length} pods, ${world.policies.length} policies: ${f(median(withPolicies))} ms ` +
      `(${np!.sets.length} sets, ${members} members, ${np!.filter.rules.length} filter rules) vs ${f(median(base))} ms for the Services alone: ` +
      `ratio ${(median(withPolicies) / median(base)).toFixed(2)}`,
  );
}

async function fullSync(world: NetpolWorld, base: BenchNode, pol: BenchNode): Promise<void> {
  const plain: number[] = [];
  const policies: number[] = [];
  let bytes = 0;
  // rounds alternate between the two sides, so that the machine's other load falls on both alike
  for (let round = 0; round < ROUNDS; round++) {
    await base.clear();
    plain.push((await base.sync(world, false)).ms);
    await pol.clear();
    const r = await pol.sync(world, true);
    if (r.mode !== 'full') throw new Error(`expected a full sync, got ${r.mode}`);
    policies.push(r.ms);
    bytes = r.bytes;
  }
  console.log(
    `netpol full sync into the kernel (ipset restore + iptables-restore), ${world.pods.length} pods, ${world.policies.length} policies: ` +
      `median ${f(median(policies))} ms (${Math.round(bytes / 1024)} KiB written) vs ${f(median(plain))} ms for the plain proxier's full sync: ` +
      `ratio ${(median(policies) / median(plain)).toFixed(2)}`,
  );
}

async function incrementalSync(world: NetpolWorld, base: BenchNode, pol: BenchNode): Promise<void> {
  await base.clear();
  await base.sync(world, false);
  await pol.clear();
  await pol.sync(world, true);
  const changedPolicy = world.policies.findIndex((_, i) => policyKind(i) === 1);
  const plain: number[] = [];
  const label: number[] = [];
  const policy: number[] = [];
  const labelModes = new Set<string>();
  const policyModes = new Set<string>();
  let labelSets = 0;
  let policySets = 0;
  let current = world;
  for (let round = 1; round <= ROUNDS; round++) {
    const b = await base.sync(withEndpointChange(world, round), false);
    if (b.mode !== 'partial') throw new Error(`expected a partial sync after an endpoint change, got ${b.mode}`);
    plain.push(b.ms);
    current = withPodLabelChange(current, 0, round);
    const l = await pol.sync(current, true);
    if (l.mode === 'full' || l.setsWritten === 0) throw new Error(`a pod label change wrote ${l.setsWritten} sets, ${l.mode} rules`);
    label.push(l.ms);
    labelModes.add(l.mode);
    labelSets = l.setsWritten;
    current = withPolicyChange(current, changedPolicy, round);
    const p = await pol.sync(current, true);
    if (p.mode !== 'partial') throw new Error(`expected a partial sync after a policy change, got ${p.mode}`);
    policy.push(p.ms);
    policyModes.add(p.mode);
    policySets = p.setsWritten;
  }
  const base0 = median(plain);
  console.log(
    `netpol sync after one pod label change: median ${f(median(label))} ms, max ${f(Math.max(...label))} ms ` +
      `(${labelSets} sets rewritten, iptables ${[...labelModes].join('/')}); ratio ${(median(label) / base0).toFixed(2)}`,
  );
  console.log(
    `netpol sync after one policy change:    median ${f(median(policy))} ms, max ${f(Math.max(...policy))} ms ` +
      `(${policySets} sets rewritten, iptables ${[...policyModes].join('/')}); ratio ${(median(policy) / base0).toFixed(2)}`,
  );
  console.log(`  baseline: the plain proxier's sync after one endpoint change, same Services: median ${f(base0)} ms over ${ROUNDS} syncs`);
}

async function scaling(pol: BenchNode): Promise<void> {
  console.log('netpol scaling (one full sync each; rules should follow policies, set members pods):');
  console.log('  pods  policies  policy rules  all our rules  sets  set members  generation ms  full sync ms');
  for (const [pods, policies] of [
    [1000, 100],
    [1000, 200],
    [2000, 100],
    [2000, 200],
  ] as const) {
    const world = netpolWorld({ pods, policies });
    const t0 = process.hrtime.bigint();
    policyRules(world);
    const genMs = ms(t0);
    await pol.clear();
    const r = await pol.sync(world, true);
    const c = await pol.count();
    console.log(
      `  ${String(pods).padStart(4)}  ${String(policies).padStart(8)}  ${String(c.policyRules).padStart(12)}  ${String(c.allRules).padStart(13)}  ` +
        `${String(c.sets).padStart(4)}  ${String(c.members).padStart(11)}  ${f(genMs).padStart(13)}  ${f(r.ms).padStart(12)}`,
    );
  }
}

const names = Object.values(NAMESPACES);
const cleanup = async () => {
  for (const n of names) await deleteNamespace(n).catch((e: Error) => console.error(`could not delete netns ${n}: ${e.message}`));
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanup().finally(() => process.exit(130));
  });
}
try {
  for (const n of names) await addNamespace(n);
  const base = new BenchNode(NAMESPACES.base);
  const pol = new BenchNode(NAMESPACES.policies);
  const world = netpolWorld({ pods: 1000, policies: 100 });
  generation(world);
  await fullSync(world, base, pol);
  await incrementalSync(world, base, pol);
  await scaling(pol);
} finally {
  await cleanup();
}
