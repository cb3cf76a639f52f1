// The NetworkPolicy bench's workload (bench/lib/netpol-workload.ts) is what the bench claims it
// is: every kind of policy, nothing the rules refuse, and rules that follow policies, not pods.
import { expect } from 'chai';
import { computeNetpolRules } from '../src/netpol/model.ts';
import type { NetpolRules } from '../src/netpol/model.ts';
import { BENCH_CLUSTER_CIDR, BENCH_NODE, netpolWorld, policyKind, withPodLabelChange, withPolicyChange } from '../bench/lib/netpol-workload.ts';
import type { NetpolWorld } from '../bench/lib/netpol-workload.ts';

function rules(world: NetpolWorld): { np: NetpolRules; refused: string[] } {
  const refused: string[] = [];
  const np = computeNetpolRules(
    { pods: world.pods, namespaces: world.namespaces, policies: world.policies, nodeName: BENCH_NODE, clusterCIDR: BENCH_CLUSTER_CIDR },
    (kind, key, why) => refused.push(`${kind} ${key}: ${why}`),
  );
  return { np, refused };
}
const members = (np: NetpolRules) => np.sets.reduce((n, s) => n + s.entries.length, 0);

describe('proxy: the network policy bench workload', () => {
  const world = netpolWorld({ pods: 1000, policies: 100 });
  const { np, refused } = rules(world);

  it('has 1,000 pods with distinct IPs in 20 namespaces, 100 Services and 100 policies of all ten kinds, five kinds per namespace', () => {
    expect(world.pods).to.have.length(1000);
    expect(new Set(world.pods.map((p) => p.status!.podIP)).size).to.equal(1000);
    expect(world.namespaces).to.have.length(20);
    expect(world.services).to.have.length(100);
    expect(world.policies).to.have.length(100);
    expect(new Set(world.policies.map((_, i) => policyKind(i))).size).to.equal(10);
    for (const ns of world.namespaces) {
      const kinds = world.policies.flatMap((p, i) => (p.metadata!.namespace === ns.metadata!.name ? [policyKind(i)] : []));
      expect(new Set(kinds).size, ns.metadata!.name).to.equal(5);
    }
  });

  it('compiles without a refusal, every policy selects pods, and every feature reaches the rules', () => {
    expect(refused).to.deep.equal([]);
    expect(np.activePolicies).to.equal(100);
    const types = new Set(np.sets.map((s) => s.type));
    expect([...types].sort()).to.deep.equal(['hash:ip', 'hash:ip,port', 'hash:net']);
    expect(np.sets.some((s) => s.entries.some((e) => e.endsWith(' nomatch')))).to.equal(true); // ipBlock except
    expect(np.sets.some((s) => s.entries.some((e) => e.includes(',udp:5353')))).to.equal(true); // named UDP port
    const text = np.filter.rules.join('\n');
    expect(text).to.contain('--dports 30000:32767'); // endPort
    expect(text).to.match(/-A SKIFF-NP-E-\S+ .*-j MARK --set-xmark 0x10000/); // egress allows
    expect(text).to.match(/-A SKIFF-NP-I-\S+ .*-j MARK --set-xmark 0x20000/); // ingress allows
    // no peer set the bench builds is empty: the selectors match pods of the workload
    expect(np.sets.filter((s) => s.name.startsWith('sknp-P-') && s.entries.length === 0)).to.deep.equal([]);
  });

  it('rules grow with policies and not with pods; set members grow with pods', () => {
    const morePolicies = rules(netpolWorld({ pods: 1000, policies: 200 })).np;
    const morePods = rules(netpolWorld({ pods: 2000, policies: 100 })).np;
    expect(morePolicies.filter.rules.length).to.be.above(np.filter.rules.length * 1.5);
    expect(morePods.filter.rules.length).to.equal(np.filter.rules.length);
    expect(members(morePods)).to.be.above(members(np) * 1.5);
  });

  it('a pod label change moves set members only; a policy change changes rules', () => {
    const label = rules(withPodLabelChange(world, 0, 1)).np;
    expect(label.filter.rules).to.deep.equal(np.filter.rules);
    expect(JSON.stringify(label.sets)).to.not.equal(JSON.stringify(np.sets));
    const changed = world.policies.findIndex((_, i) => policyKind(i) === 1);
    const policy = rules(withPolicyChange(world, changed, 1)).np;
    expect(policy.filter.rules).to.not.deep.equal(np.filter.rules);
  });
});
