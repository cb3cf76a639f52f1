// NetworkPolicy as sets and rules (pure), and the ipset syncer's payloads.
import { expect } from 'chai';
import type { V1Namespace, V1NetworkPolicy, V1NetworkPolicySpec, V1Pod } from '@kubernetes/client-node';
import { computeRules } from '../src/rules.ts';
import { mergeNetpolRules } from '../src/netpol/agent.ts';
import { IpsetSyncer, validMember } from '../src/netpol/ipset.ts';
import type { IpsetRunner } from '../src/netpol/ipset.ts';
import { computeNetpolRules, NP_CHAINS, setName } from '../src/netpol/model.ts';
import type { IpSet, NetpolInput } from '../src/netpol/model.ts';

const NODE = 'n1';

function pod(
  name: string,
  ip: string,
  labels: Record<string, string>,
  o: { ns?: string; node?: string; ports?: { name: string; port: number; protocol?: string }[]; hostNetwork?: boolean } = {},
): V1Pod {
  return {
    metadata: { name, namespace: o.ns ?? 'app', labels },
    spec: {
      nodeName: o.node ?? NODE,
      hostNetwork: o.hostNetwork,
      containers: [{ name: 'c', image: 'x', ports: (o.ports ?? []).map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })) }],
    },
    status: { phase: 'Running', podIP: ip },
  };
}
const ns = (name: string, labels: Record<string, string> = {}): V1Namespace => ({
  metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
});
const policy = (name: string, spec: V1NetworkPolicySpec, namespace = 'app'): V1NetworkPolicy => ({ metadata: { name, namespace }, spec });

const pods = [
  pod('web', '10.244.1.2', { app: 'web' }, { ports: [{ name: 'http', port: 8080 }] }),
  pod('db', '10.244.1.3', { app: 'db' }),
  pod('web-remote', '10.244.2.2', { app: 'web' }, { node: 'n2', ports: [{ name: 'http', port: 9090 }] }),
  pod('client', '10.244.2.3', { role: 'client' }, { node: 'n2' }),
  pod('other-client', '10.244.1.4', { role: 'client' }, { ns: 'other' }),
  pod('host', '10.254.0.11', { role: 'client' }, { hostNetwork: true }),
];
const namespaces = [ns('app'), ns('other', { team: 'b' })];
const input = (policies: V1NetworkPolicy[]): NetpolInput => ({ pods, namespaces, policies, nodeName: NODE, clusterCIDR: '10.244.0.0/16' });
const setOf = (sets: IpSet[], kind: string, key: string) => sets.find((s) => s.name === setName(kind, key));
const isolated = (sets: IpSet[], dir: string) => setOf(sets, 'I', `isolated/${dir}`)!.entries;

describe('proxy: network policy rules', () => {
  it('isolates nothing without policies, and its FORWARD jump comes before the Service rules', () => {
    const np = computeNetpolRules(input([]));
    expect(isolated(np.sets, 'ingress')).to.deep.equal([]);
    expect(isolated(np.sets, 'egress')).to.deep.equal([]);
    expect(np.activePolicies).to.equal(0);
    const merged = mergeNetpolRules(computeRules([]), np);
    expect(merged.filter.jumps[0]!.chain).to.equal('FORWARD');
    expect(merged.filter.jumps[0]!.spec).to.contain(`-j ${NP_CHAINS.forward}`);
    expect(np.filter.rules[0]).to.match(/--ctstate RELATED,ESTABLISHED .* -j RETURN$/);
    // pod-to-pod traffic is not masqueraded, service SNAT (mark 0x4000) is left alone
    expect(np.nat.rules).to.deep.equal([
      `-A ${NP_CHAINS.postrouting} -s 10.244.0.0/16 -d 10.244.0.0/16 -m mark ! --mark 0x4000/0x4000 -m comment --comment "pod to pod: no SNAT" -j ACCEPT`,
    ]);
  });

  it('default deny ingress: the selected local pods are isolated, remote ones and other kinds are not, nothing is allowed', () => {
    const np = computeNetpolRules(input([policy('deny', { podSelector: {}, policyTypes: ['Ingress'] })]));
    expect(isolated(np.sets, 'ingress')).to.deep.equal(['10.244.1.2', '10.244.1.3']);
    expect(isolated(np.sets, 'egress')).to.deep.equal([]);
    expect(np.filter.rules.filter((r) => r.includes('MARK --set-xmark 0x20000'))).to.deep.equal([]);
    expect(np.filter.rules).to.include(`-A ${NP_CHAINS.ingress} -m comment --comment "no network policy allows this ingress" -j DROP`);
  });

  it('allows from a pod label in the same namespace only, and from a namespace label (both together: AND)', () => {
    const np = computeNetpolRules(
      input([
        policy('from-clients', {
          podSelector: { matchLabels: { app: 'web' } },
          ingress: [{ _from: [{ podSelector: { matchLabels: { role: 'client' } } }] }],
        }),
        policy('from-team-b', {
          podSelector: { matchLabels: { app: 'db' } },
          ingress: [
            {
              _from: [
                { namespaceSelector: { matchLabels: { team: 'b' } }, podSelector: { matchLabels: { role: 'nobody' } } },
                { namespaceSelector: { matchLabels: { team: 'b' } } },
              ],
            },
          ],
        }),
      ]),
    );
    expect(isolated(np.sets, 'ingress')).to.deep.equal(['10.244.1.2', '10.244.1.3']);
    const peer = setOf(np.sets, 'P', JSON.stringify(['app', null, { matchLabels: { role: 'client' } }]))!;
    expect(peer.entries).to.deep.equal(['10.244.2.3']); // not the client of namespace other, not the host-network pod
    const teamB = setOf(np.sets, 'P', JSON.stringify([null, { matchLabels: { team: 'b' } }, {}]))!;
    expect(teamB.entries).to.deep.equal(['10.244.1.4']);
    const both = setOf(np.sets, 'P', JSON.stringify([null, { matchLabels: { team: 'b' } }, { matchLabels: { role: 'nobody' } }]))!;
    expect(both.entries).to.deep.equal([]);
    const allow = np.filter.rules.filter((r) => r.includes('0x20000/0x20000') && r.includes('--match-set'));
    expect(allow).to.have.length(3);
    expect(allow[0]).to.contain(`--match-set ${peer.name} src`);
  });

  it('turns ipBlock except into nomatch entries, and 0.0.0.0/0 into two halves', () => {
    const np = computeNetpolRules(
      input([
        policy('blocks', {
          podSelector: { matchLabels: { app: 'web' } },
          policyTypes: ['Egress'],
          egress: [{ to: [{ ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.2.0/24'] } }, { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] }],
        }),
      ]),
    );
    const nets = np.sets.filter((s) => s.type === 'hash:net').map((s) => s.entries);
    expect(nets).to.deep.include(['10.244.0.0/16', '10.244.2.0/24 nomatch']);
    expect(nets).to.deep.include(['0.0.0.0/1', '10.0.0.0/8 nomatch', '128.0.0.0/1']);
    expect(isolated(np.sets, 'egress')).to.deep.equal(['10.244.1.2']);
  });

  it('resolves named ports against each destination pod, and takes endPort as a range', () => {
    const np = computeNetpolRules(
      input([
        policy('ports', {
          podSelector: { matchLabels: { app: 'db' } },
          policyTypes: ['Egress'],
          egress: [{ ports: [{ port: 'http' }, { port: 8000, endPort: 8100, protocol: 'UDP' }, { port: 53, protocol: 'UDP' }] }],
        }),
      ]),
    );
    const named = setOf(np.sets, 'N', 'TCP/http')!;
    expect(named.type).to.equal('hash:ip,port');
    expect(named.entries).to.deep.equal(['10.244.1.2,tcp:8080', '10.244.2.2,tcp:9090']);
    const rules = np.filter.rules.filter((r) => r.includes('0x10000/0x10000'));
    expect(rules.some((r) => r.includes(`-p tcp -m set --match-set ${named.name} dst,dst`))).to.equal(true);
    expect(rules.some((r) => r.includes('-p udp -m multiport --dports 8000:8100,53'))).to.equal(true);
  });

  it('drops a rule the edge check refuses, keeping the pod isolated, and reports it', () => {
    const refused: string[] = [];
    const np = computeNetpolRules(
      input([
        policy('bad', {
          podSelector: { matchLabels: { app: 'web' } },
          ingress: [{ ports: [{ port: 70000 }] }, { _from: [{ ipBlock: { cidr: '10.0.0.0/8; rm -rf' } }] }, { ports: [{ port: 80 }] }],
        }),
      ]),
      (kind, key, why) => refused.push(`${kind} ${key}: ${why}`),
    );
    expect(refused).to.have.length(2);
    expect(refused[0]).to.match(/NetworkPolicy app\/bad: spec.ingress\[0\].ports\[0\].port 70000/);
    expect(isolated(np.sets, 'ingress')).to.deep.equal(['10.244.1.2']);
    const allow = np.filter.rules.filter((r) => r.includes('0x20000/0x20000') && r.startsWith('-A SKIFF-NP-I-'));
    expect(allow).to.have.length(1);
    expect(allow[0]).to.contain('-p tcp -m multiport --dports 80');
  });

  it('is deterministic, and its rule count grows with policies, not with policies × pods', () => {
    const many: V1Pod[] = [];
    for (let i = 0; i < 1000; i++)
      many.push(pod(`p${i}`, `10.244.${1 + (i % 3)}.${10 + Math.floor(i / 3)}`, { app: `a${i % 50}`, tier: i % 2 ? 'x' : 'y' }, { node: `n${1 + (i % 3)}` }));
    const policies = Array.from({ length: 100 }, (_, i) =>
      policy(`p${i}`, {
        podSelector: { matchLabels: { app: `a${i % 50}` } },
        ingress: [{ _from: [{ podSelector: { matchLabels: { tier: i % 2 ? 'x' : 'y' } } }], ports: [{ port: 80 + i }] }],
      }),
    );
    const a = computeNetpolRules({ pods: many, namespaces, policies, nodeName: NODE });
    const b = computeNetpolRules({ pods: [...many].reverse(), namespaces, policies: [...policies].reverse(), nodeName: NODE });
    expect(JSON.stringify(a)).to.equal(JSON.stringify(b));
    expect(a.activePolicies).to.equal(100);
    // one dispatch rule and one allow rule per policy, plus a fixed handful
    expect(a.filter.rules.length).to.be.below(2 * 100 + 20);
    expect(a.sets.reduce((n, s) => n + s.entries.length, 0)).to.be.above(1000); // the pods are in sets instead
  });
});

describe('proxy: ipset syncer', () => {
  const recorder = (existing: string[] = []) => {
    const payloads: string[] = [];
    const runner: IpsetRunner = { list: async () => existing, restore: async (p) => void payloads.push(p) };
    return { payloads, runner };
  };
  const set = (kind: string, entries: string[], type: IpSet['type'] = 'hash:ip'): IpSet => ({ name: setName(kind, kind), type, entries });

  it('builds changed sets under a temporary name and swaps them in; unchanged sets are not written; stale ones go after', async () => {
    const { payloads, runner } = recorder(['sknp-P-0123456789abcdef', 'sknp-tP-0123456789abcdef', 'other-set']);
    const sync = new IpsetSyncer(runner);
    const a = set('P', ['10.244.1.2']);
    expect(await sync.apply([a])).to.equal(1);
    const tmp = a.name.replace('sknp-', 'sknp-t');
    expect(payloads[0]!.split('\n')).to.deep.equal([
      'destroy sknp-tP-0123456789abcdef',
      `create ${a.name} hash:ip family inet maxelem 65536 -exist`,
      `create ${tmp} hash:ip family inet maxelem 65536`,
      `add ${tmp} 10.244.1.2`,
      `swap ${tmp} ${a.name}`,
      `destroy ${tmp}`,
      '',
    ]);
    expect(await sync.destroyStale([a])).to.equal(1);
    expect(payloads[1]).to.equal('destroy sknp-P-0123456789abcdef\n');
    expect(await sync.apply([a])).to.equal(0);
    expect(payloads).to.have.length(2);
  });

  it('refuses members that are not what the set type takes', async () => {
    expect(validMember('hash:ip', '10.0.0.1')).to.equal(true);
    expect(validMember('hash:ip', '10.0.0.1 -exist')).to.equal(false);
    expect(validMember('hash:net', '10.1.0.0/16 nomatch')).to.equal(true);
    expect(validMember('hash:net', '10.1.0.1/16')).to.equal(false);
    expect(validMember('hash:ip,port', '10.0.0.1,tcp:80')).to.equal(true);
    expect(validMember('hash:ip,port', '10.0.0.1,icmp:80')).to.equal(false);
    const { runner } = recorder();
    let err: Error | undefined;
    await new IpsetSyncer(runner).apply([set('P', ['10.0.0.1\ndestroy x'])]).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/is not a hash:ip member/);
  });
});
