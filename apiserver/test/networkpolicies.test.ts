// networking.k8s.io/v1 NetworkPolicy through the real kubectl: defaults, upstream's validation
// (ports, endPort, ipBlock, peers, policyTypes), `kubectl get netpol` columns and describe.
import { expect } from 'chai';
import { type ApiserverHandle, sharedEtcd, startApiserver } from '@skiff/common/testing/index';

type Json = Record<string, any>;

const policy = (name: string, spec: Json) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name }, spec });

describe('networking.k8s.io/v1 NetworkPolicy', function () {
  this.timeout(120_000);
  let server: ApiserverHandle;
  before(async function () {
    this.timeout(60_000);
    server = await startApiserver({ etcdUrl: (await sharedEtcd()).url });
  });
  after(async () => {
    await server?.stop();
  });
  const k = (args: string[], stdin?: string) => server.kubectl('1.33', args, { stdin });
  const create = async (obj: unknown) => {
    const r = await k(['create', '-f', '-', '-o', 'json'], JSON.stringify(obj));
    return { ...r, obj: r.code === 0 ? JSON.parse(r.stdout) : undefined };
  };
  const createRaw = (obj: Json) => server.request('POST', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', { body: obj });

  it('defaults protocol TCP and policyTypes from the rules, and kubectl get/describe show it', async () => {
    const r = await create(
      policy('web-allow', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } }, podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 80 }] }],
        egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 8000, endPort: 8100, protocol: 'UDP' }] }],
      }),
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(r.obj.spec.ingress[0].ports[0].protocol).to.equal('TCP');
    expect(r.obj.spec.egress[0].ports[0].protocol).to.equal('UDP');
    expect(r.obj.spec.policyTypes).to.deep.equal(['Ingress', 'Egress']);
    const deny = await create(policy('deny-all', { podSelector: {} }));
    expect(deny.obj.spec.policyTypes).to.deep.equal(['Ingress']);

    const get = await k(['get', 'netpol']);
    expect(get.code, get.stderr).to.equal(0);
    const lines = get.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^NAME\s+POD-SELECTOR\s+AGE$/);
    expect(lines.find((l) => l.startsWith('web-allow'))).to.match(/^web-allow\s+app=web\s+\d+s$/);
    expect(lines.find((l) => l.startsWith('deny-all'))).to.match(/^deny-all\s+<none>\s+\d+s$/);

    const describe = await k(['describe', 'networkpolicy', 'web-allow']);
    expect(describe.code, describe.stderr).to.equal(0);
    expect(describe.stdout).to.match(/PodSelector:\s+app=web/);
    expect(describe.stdout).to.match(/To Port: 80\/TCP/);
    expect(describe.stdout).to.match(/IPBlock:\s*\n\s*CIDR: 10\.0\.0\.0\/8\s*\n\s*Except: 10\.1\.0\.0\/16/);
    expect(describe.stdout).to.match(/Policy Types: Ingress, Egress/);
  });

  const invalid: [string, Json, string, RegExp][] = [
    ['a port out of range', { ingress: [{ ports: [{ port: 70000 }] }] }, 'spec.ingress[0].ports[0].port', /must be between 1 and 65535/],
    [
      'an unknown protocol',
      { ingress: [{ ports: [{ protocol: 'ICMP', port: 1 }] }] },
      'spec.ingress[0].ports[0].protocol',
      /supported values: "TCP", "UDP", "SCTP"/,
    ],
    [
      'endPort below port',
      { egress: [{ ports: [{ port: 9000, endPort: 8000 }] }] },
      'spec.egress[0].ports[0].endPort',
      /must be greater than or equal to `port`/,
    ],
    ['endPort with a named port', { ingress: [{ ports: [{ port: 'http', endPort: 90 }] }] }, 'spec.ingress[0].ports[0].endPort', /non-numeric/],
    ['endPort without a port', { ingress: [{ ports: [{ endPort: 90 }] }] }, 'spec.ingress[0].ports[0].endPort', /`port` is not specified/],
    ['a bad port name', { ingress: [{ ports: [{ port: 'Http_' }] }] }, 'spec.ingress[0].ports[0].port', /alpha-numeric/],
    ['a bad cidr', { ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] }, 'spec.ingress[0].from[0].ipBlock.cidr', /valid CIDR/],
    ['an empty cidr', { ingress: [{ from: [{ ipBlock: { cidr: '' } }] }] }, 'spec.ingress[0].from[0].ipBlock.cidr', /Required value/],
    [
      'an except outside the cidr',
      { ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24'] } }] }] },
      'spec.ingress[0].from[0].ipBlock.except[0]',
      /strict subset of `cidr`/,
    ],
    [
      'an except equal to the cidr',
      { ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.0.0/16'] } }] }] },
      'spec.ingress[0].from[0].ipBlock.except[0]',
      /strict subset of `cidr`/,
    ],
    [
      'ipBlock with a selector',
      { ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/16' }, podSelector: {} }] }] },
      'spec.ingress[0].from[0]',
      /may not specify both ipBlock and another peer/,
    ],
    ['an empty peer', { egress: [{ to: [{}] }] }, 'spec.egress[0].to[0]', /must specify a peer/],
    ['an unknown policy type', { policyTypes: ['Sideways'] }, 'spec.policyTypes[0]', /supported values: "Ingress", "Egress"/],
    ['three policy types', { policyTypes: ['Ingress', 'Egress', 'Ingress'] }, 'spec.policyTypes', /may not specify more than two policyTypes/],
    [
      'a bad selector operator',
      { podSelector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] } },
      'spec.podSelector.matchExpressions[0].values',
      /Required value/,
    ],
  ];
  for (const [what, spec, fieldPath, message] of invalid) {
    it(`refuses ${what} with 422 naming ${fieldPath}`, async () => {
      const r = await createRaw(policy('bad', { podSelector: {}, ...spec }));
      expect(r.status, r.body).to.equal(422);
      const status = JSON.parse(r.body);
      expect(status.reason).to.equal('Invalid');
      const cause = status.details.causes.find((c: Json) => c.field === fieldPath);
      expect(cause, r.body).to.not.equal(undefined);
      expect(cause.message).to.match(message);
    });
  }

  it('accepts an IPv6 block, a named port and both selectors in one peer', async () => {
    const r = await create(
      policy('mixed', {
        podSelector: { matchLabels: { app: 'db' } },
        policyTypes: ['Egress'],
        egress: [
          { to: [{ ipBlock: { cidr: '2001:db8::/64', except: ['2001:db8::/96'] } }] },
          { to: [{ podSelector: {}, namespaceSelector: {} }], ports: [{ port: 'dns', protocol: 'UDP' }] },
        ],
      }),
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(r.obj.spec.policyTypes).to.deep.equal(['Egress']);
  });
});
