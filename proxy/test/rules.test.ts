import { expect } from 'chai';
import { buildServicePorts } from '../src/model.ts';
import { computeRules, endpointChain, externalChain, localChain, probability, serviceChain } from '../src/rules.ts';
import { parseSave, partialPayload, restorePayload, rulesByChain } from '../src/iptables.ts';
import { service, slice } from './fixtures.ts';

const CIDR = '10.244.0.0/16';

describe('proxy: service model', () => {
  it('keeps only ready endpoints, matched by port name and protocol, de-duplicated', () => {
    const ports = buildServicePorts(
      [
        service('web', {
          clusterIP: '10.96.0.20',
          ports: [
            { name: 'http', port: 80, protocol: 'TCP' },
            { name: 'dns', port: 53, protocol: 'UDP' },
          ],
        }),
      ],
      [
        slice(
          'web',
          [{ ip: '10.244.1.2' }, { ip: '10.244.1.3', ready: false }, { ip: '10.244.1.2', node: 'n1' }],
          [
            { name: 'http', port: 8080, protocol: 'TCP' },
            { name: 'dns', port: 5353, protocol: 'UDP' },
          ],
        ),
      ],
      'n1',
    );
    expect(ports.map((p) => p.id)).to.deep.equal(['default/web:dns', 'default/web:http']);
    const http = ports.find((p) => p.protocol === 'TCP')!;
    expect(http.endpoints).to.deep.equal([{ ip: '10.244.1.2', port: 8080, local: true }]);
    expect(ports.find((p) => p.protocol === 'UDP')!.endpoints[0]!.port).to.equal(5353);
  });

  it('skips headless and ExternalName services and endpoints of other services', () => {
    const ports = buildServicePorts(
      [
        service('headless', { clusterIP: 'None' }),
        service('ext', { type: 'ExternalName', externalName: 'example.com' }),
        service('a', { clusterIP: '10.96.0.21' }),
      ],
      [slice('b', [{ ip: '10.244.1.9' }])],
      'n1',
    );
    expect(ports).to.have.length(1);
    expect(ports[0]!.endpoints).to.deep.equal([]);
  });
});

describe('proxy: rule generation', () => {
  const threeEndpoints = () =>
    buildServicePorts([service('web', { clusterIP: '10.96.0.20' })], [slice('web', [{ ip: '10.244.1.2' }, { ip: '10.244.1.3' }, { ip: '10.244.2.4' }])], 'n1');

  it('splits a ClusterIP over its endpoints with equal probabilities', () => {
    const ports = threeEndpoints();
    const r = computeRules(ports, { clusterCIDR: CIDR });
    const svc = serviceChain(ports[0]!);
    expect(r.nat.rules).to.include(`-A SKIFF-SERVICES -d 10.96.0.20/32 -m comment --comment "default/web:http cluster IP" -p tcp -m tcp --dport 80 -j ${svc}`);
    const svcRules = r.nat.rules.filter((l) => l.startsWith(`-A ${svc} `));
    expect(svcRules[0]).to.contain(`! -s ${CIDR} -d 10.96.0.20/32`).and.to.contain('-j SKIFF-MARK-MASQ');
    expect(svcRules.slice(1).map((l) => /--probability (\S+)/.exec(l)?.[1] ?? 'last')).to.deep.equal(['0.3333333333', '0.5000000000', 'last']);
    const sep = endpointChain(ports[0]!, ports[0]!.endpoints[0]!);
    expect(r.nat.rules).to.include(`-A ${sep} -m comment --comment "default/web:http" -s 10.244.1.2/32 -j SKIFF-MARK-MASQ`);
    expect(r.nat.rules).to.include(`-A ${sep} -m comment --comment "default/web:http" -p tcp -m tcp -j DNAT --to-destination 10.244.1.2:8080`);
    expect(r.nat.chains).to.include.members([svc, sep, 'SKIFF-SERVICES', 'SKIFF-NODEPORTS', 'SKIFF-POSTROUTING', 'SKIFF-MARK-MASQ']);
    expect(r.nat.rules.filter((l) => l.startsWith('-A SKIFF-SERVICES ')).at(-1)).to.contain('--dst-type LOCAL -j SKIFF-NODEPORTS');
    expect(r.filter.rules.filter((l) => l.includes('REJECT'))).to.deep.equal([]);
  });

  it('computes the probabilities kube-proxy uses', () => {
    expect([0, 1, 2, 3].map((i) => probability(i, 4))).to.deep.equal(['0.2500000000', '0.3333333333', '0.5000000000', '1.0000000000']);
  });

  it('rejects traffic to a service without ready endpoints, at the ClusterIP and the NodePort', () => {
    const ports = buildServicePorts(
      [service('empty', { type: 'NodePort', clusterIP: '10.96.0.30', ports: [{ name: 'http', port: 80, nodePort: 30080, protocol: 'TCP' }] })],
      [slice('empty', [{ ip: '10.244.1.2', ready: false }])],
      'n1',
    );
    const r = computeRules(ports, { clusterCIDR: CIDR });
    expect(r.filter.rules).to.include(
      '-A SKIFF-SERVICES -d 10.96.0.30/32 -m comment --comment "default/empty:http has no endpoints" -p tcp -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
    );
    expect(r.filter.rules).to.include(
      '-A SKIFF-EXTERNAL-SERVICES -m comment --comment "default/empty:http has no endpoints" -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -j REJECT --reject-with icmp-port-unreachable',
    );
    expect(r.nat.rules.some((l) => l.includes('10.96.0.30'))).to.equal(false);
  });

  it('sends NodePort traffic through a masquerading external chain', () => {
    const ports = buildServicePorts(
      [service('np', { type: 'NodePort', clusterIP: '10.96.0.40', ports: [{ name: 'http', port: 80, nodePort: 30081, protocol: 'TCP' }] })],
      [slice('np', [{ ip: '10.244.1.2' }])],
      'n1',
    );
    const r = computeRules(ports, { clusterCIDR: CIDR });
    const ext = externalChain(ports[0]!);
    expect(r.nat.rules).to.include(`-A SKIFF-NODEPORTS -m comment --comment "default/np:http" -p tcp -m tcp --dport 30081 -j ${ext}`);
    expect(r.nat.rules.filter((l) => l.startsWith(`-A ${ext} `))).to.deep.equal([
      `-A ${ext} -m comment --comment "masquerade traffic for default/np:http external destinations" -j SKIFF-MARK-MASQ`,
      `-A ${ext} -j ${serviceChain(ports[0]!)}`,
    ]);
  });

  it('keeps externalTrafficPolicy Local NodePort traffic on local endpoints and drops it when there are none', () => {
    const spec = {
      type: 'NodePort',
      clusterIP: '10.96.0.50',
      externalTrafficPolicy: 'Local',
      ports: [{ name: 'http', port: 80, nodePort: 30082, protocol: 'TCP' }],
    };
    const ports = buildServicePorts(
      [service('loc', spec)],
      [
        slice('loc', [
          { ip: '10.244.1.2', node: 'n1' },
          { ip: '10.244.2.2', node: 'n2' },
        ]),
      ],
      'n1',
    );
    const r = computeRules(ports, { clusterCIDR: CIDR });
    const svl = localChain(ports[0]!);
    const svlRules = r.nat.rules.filter((l) => l.startsWith(`-A ${svl} `));
    expect(svlRules).to.have.length(1);
    expect(svlRules[0]).to.contain(`-j ${endpointChain(ports[0]!, { ip: '10.244.1.2', port: 8080, local: true })}`);
    const ext = r.nat.rules.filter((l) => l.startsWith(`-A ${externalChain(ports[0]!)} `));
    expect(ext[0]).to.contain(`-s ${CIDR} -j ${serviceChain(ports[0]!)}`);
    expect(ext.at(-1)).to.equal(`-A ${externalChain(ports[0]!)} -j ${svl}`);
    expect(ext.some((l) => l.includes('--src-type LOCAL -j SKIFF-MARK-MASQ'))).to.equal(true);

    const remote = buildServicePorts([service('loc', spec)], [slice('loc', [{ ip: '10.244.2.2', node: 'n2' }])], 'n1');
    const r2 = computeRules(remote, { clusterCIDR: CIDR });
    expect(r2.filter.rules.some((l) => l.includes('has no local endpoints') && l.includes('--dport 30082 -j DROP'))).to.equal(true);
  });

  it('pins a client to its endpoint with ClientIP session affinity', () => {
    const ports = buildServicePorts(
      [service('sticky', { clusterIP: '10.96.0.60', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } })],
      [slice('sticky', [{ ip: '10.244.1.2' }, { ip: '10.244.1.3' }])],
      'n1',
    );
    const r = computeRules(ports, { clusterCIDR: CIDR });
    const svc = serviceChain(ports[0]!);
    const sep = endpointChain(ports[0]!, ports[0]!.endpoints[0]!);
    const svcRules = r.nat.rules.filter((l) => l.startsWith(`-A ${svc} `));
    expect(svcRules[1]).to.contain(`-m recent --name ${sep} --mask 255.255.255.255 --rsource --rcheck --seconds 600 --reap -j ${sep}`);
    expect(r.nat.rules.find((l) => l.startsWith(`-A ${sep} `) && l.includes('DNAT'))).to.contain(
      `-m recent --name ${sep} --mask 255.255.255.255 --rsource --set`,
    );
  });

  it('is deterministic and uses chain names iptables accepts', () => {
    const a = computeRules(threeEndpoints(), { clusterCIDR: CIDR });
    const b = computeRules(threeEndpoints(), { clusterCIDR: CIDR });
    expect(a).to.deep.equal(b);
    for (const c of [...a.nat.chains, ...a.filter.chains])
      expect(c)
        .to.match(/^SKIFF-[A-Z0-9-]+$/)
        .and.have.length.at.most(28);
  });
});

describe('proxy: iptables-restore payload', () => {
  const saved = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':SKIFF-SERVICES - [0:0]',
    ':SKIFF-SVC-OLD - [0:0]',
    ':KUBE-OTHER - [0:0]',
    '-A PREROUTING -m comment --comment "skiff service portals" -j SKIFF-SERVICES',
    '-A PREROUTING -j KUBE-OTHER',
    '-A SKIFF-SERVICES -j SKIFF-SVC-OLD',
    'COMMIT',
  ].join('\n');

  it('finds our chains and our jumps from built-in chains only', () => {
    expect(parseSave(saved)).to.deep.equal({
      chains: ['SKIFF-SERVICES', 'SKIFF-SVC-OLD'],
      jumps: ['-A PREROUTING -m comment --comment "skiff service portals" -j SKIFF-SERVICES'],
    });
  });

  it('rewrites our chains, replaces jumps and deletes stale chains in one transaction', () => {
    const wanted = computeRules([], {}).nat;
    const text = restorePayload('nat', parseSave(saved), wanted);
    const lines = text.trim().split('\n');
    expect(lines[0]).to.equal('*nat');
    expect(lines).to.include(':SKIFF-SVC-OLD - [0:0]');
    expect(lines).to.include('-D PREROUTING -m comment --comment "skiff service portals" -j SKIFF-SERVICES');
    expect(lines.indexOf('-X SKIFF-SVC-OLD')).to.equal(lines.length - 2);
    expect(lines.at(-1)).to.equal('COMMIT');
    expect(lines.some((l) => l.includes('KUBE-OTHER'))).to.equal(false);
  });

  it('removes everything of ours when nothing is wanted', () => {
    const lines = restorePayload('nat', parseSave(saved), undefined).trim().split('\n');
    expect(lines.filter((l) => l.startsWith('-X ')).sort()).to.deep.equal(['-X SKIFF-SERVICES', '-X SKIFF-SVC-OLD']);
    expect(lines.some((l) => l.startsWith('-A ') || l.startsWith('-I '))).to.equal(false);
  });
});

describe('proxy: partial sync', () => {
  it('rewrites only the chains an endpoint change touches and deletes the old endpoint chain', () => {
    const world = (ips: string[]) =>
      computeRules(
        buildServicePorts(
          [service('a', { clusterIP: '10.96.0.20' }), service('b', { clusterIP: '10.96.0.21' })],
          [
            slice(
              'a',
              ips.map((ip) => ({ ip })),
            ),
            slice('b', [{ ip: '10.244.9.9' }]),
          ],
          'n1',
        ),
        { clusterCIDR: CIDR },
      );
    const before = world(['10.244.1.2', '10.244.1.3']);
    const after = world(['10.244.1.2', '10.244.1.4']);
    const text = partialPayload('nat', rulesByChain(before.nat), rulesByChain(after.nat))!;
    const declared = text
      .split('\n')
      .filter((l) => l.startsWith(':'))
      .map((l) => l.slice(1, -8));
    const a = buildServicePorts([service('a', { clusterIP: '10.96.0.20' })], [slice('a', [{ ip: '10.244.1.3' }, { ip: '10.244.1.4' }])], 'n1')[0]!;
    const [old, added] = a.endpoints.map((e) => endpointChain(a, e));
    expect(declared.sort()).to.deep.equal([serviceChain(a), old!, added!].sort());
    expect(text).to.contain(`-X ${old}`);
    expect(text).to.not.contain('10.244.9.9');
    expect(partialPayload('nat', rulesByChain(after.nat), rulesByChain(after.nat))).to.equal(undefined);
  });
});
