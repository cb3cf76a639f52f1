// NetworkPolicy in the shared lab (issue 20, acceptance 3): a matrix of policies, each checked
// by real TCP connections (busybox wget inside the pods) to a server on the client's node and
// to one on another node, both what must pass and what must not. Five small pods, reused.
import { expect } from 'chai';
import { sharedLab } from '../src/lab/index.ts';
import type { Lab } from '../src/lab/index.ts';

type Json = Record<string, any>;
const A = 'netpol-a';
const B = 'netpol-b';

/** One connection the case expects: from a pod to a server pod's port, allowed or not. */
interface Probe {
  from: string;
  to: string;
  port: number;
  pass: boolean;
}

describe('lab: NetworkPolicy enforced by every node', function () {
  this.timeout(600_000);
  let lab: Lab;
  const ip = new Map<string, string>();
  const started = Date.now();

  const k = async (args: string[], stdin?: string): Promise<string> => {
    const r = await lab.kubectl(args, stdin === undefined ? { timeoutMs: 60_000 } : { stdin, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const apply = (objs: Json[]) => k(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs }));
  const nsOf = (pod: string) => (pod === 'outsider' ? B : A);

  /** busybox: httpd on the given ports serving "ok", then sleep; port 8080 is named "web". */
  const pod = (name: string, node: string, labels: Json, ports: number[]) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: nsOf(name), labels },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: 'c',
          image: 'busybox',
          command: ['sh', '-c', `mkdir -p /www && echo ok > /www/index.html && ${ports.map((p) => `httpd -h /www -p ${p}`).join(' && ')} && exec sleep 3600`],
          ports: ports.map((p) => (p === 8080 ? { name: 'web', containerPort: p } : { containerPort: p })),
          // the kubelet probes from the node: it must keep working under default-deny
          readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 2 },
        },
      ],
    },
  });
  const policy = (name: string, spec: Json, namespace = A) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace },
    spec,
  });
  const clearPolicies = async () => {
    await k(['delete', 'networkpolicy', '--all', '-n', A, '--wait=false']);
    await k(['delete', 'networkpolicy', '--all', '-n', B, '--wait=false']);
  };

  /**
   * Tries each probe from its client pod, all of one client's in one `kubectl exec` (a
   * connection each, side by side, 2 s apiece): one exec per probe made this file the lab's
   * costliest after lab.test.ts. A connection passes when it answers the server's "ok".
   */
  const connectAll = async (probes: Probe[]): Promise<boolean[]> => {
    const results = new Map<string, boolean>();
    const target = (p: Probe) => `${ip.get(p.to)}:${p.port}`;
    await Promise.all(
      [...new Set(probes.map((p) => p.from))].map(async (from) => {
        const targets = [...new Set(probes.filter((p) => p.from === from).map(target))];
        const script = `for t in ${targets.join(' ')}; do ( out=$(timeout 2 wget -qO- http://$t/ 2>/dev/null); if [ "$out" = ok ]; then echo "$t pass"; else echo "$t fail"; fi ) & done; wait`;
        const r = await lab.kubectl(['exec', '-n', nsOf(from), from, '--', 'sh', '-c', script], { timeoutMs: 30_000 });
        for (const line of r.stdout.split('\n')) {
          const [t, verdict] = line.trim().split(' ');
          if (t && targets.includes(t)) results.set(`${from} ${t}`, verdict === 'pass');
        }
      }),
    );
    // a probe the exec did not report (the exec failed) counts as blocked
    return probes.map((p) => results.get(`${p.from} ${target(p)}`) ?? false);
  };
  const lookup = async (from: string): Promise<boolean> => {
    const r = await lab.kubectl(['exec', '-n', nsOf(from), from, '--', 'timeout', '3', 'nslookup', 'kubernetes.default.svc.cluster.local'], {
      timeoutMs: 30_000,
    });
    return r.code === 0 && /Address:\s+10\.96\.0\.1\b/.test(r.stdout);
  };

  /** Checks every probe until all hold at once (the change reaches the nodes) or 20 s pass; returns the outcomes of the last round. */
  const settle = async (probes: Probe[], dns?: { from: string; pass: boolean }): Promise<{ ms: number; wrong: string[] }> => {
    const t0 = Date.now();
    for (;;) {
      const results = await connectAll(probes);
      const wrong = probes.filter((p, i) => results[i] !== p.pass).map((p) => `${p.from} -> ${p.to}:${p.port} ${p.pass ? 'blocked' : 'passed'}`);
      if (dns && (await lookup(dns.from)) !== dns.pass) wrong.push(`${dns.from} DNS ${dns.pass ? 'blocked' : 'passed'}`);
      if (wrong.length === 0 || Date.now() - t0 > 20_000) return { ms: Date.now() - t0, wrong };
    }
  };
  /** srv1 shares the clients' node, srv2 is on another one: every expectation is checked on both. */
  const both = (from: string, port: number, pass: boolean): Probe[] => [
    { from, to: 'srv1', port, pass },
    { from, to: 'srv2', port, pass },
  ];

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    lab = await sharedLab();
    const [w1, w2] = lab.workers;
    await apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: A, labels: { team: 'a' } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: B, labels: { team: 'b' } } },
    ]);
    await k(['wait', '--for=jsonpath={.status.phase}=Active', `namespace/${A}`, `namespace/${B}`]);
    const serverPorts = [80, 53, 8080, 9090];
    await apply([
      pod('srv1', w1!.name, { app: 'srv' }, serverPorts),
      pod('srv2', w2!.name, { app: 'srv' }, serverPorts),
      pod('friend', w1!.name, { role: 'client' }, [80]),
      pod('stranger', w1!.name, { role: 'other' }, [80]),
      pod('outsider', w1!.name, { role: 'client' }, [80]),
    ]);
    await k(['wait', '--for=condition=Ready', '--timeout=120s', '-n', A, 'pod/srv1', 'pod/srv2', 'pod/friend', 'pod/stranger']);
    await k(['wait', '--for=condition=Ready', '--timeout=120s', '-n', B, 'pod/outsider']);
    for (const n of ['srv1', 'srv2', 'friend', 'stranger', 'outsider'])
      ip.set(n, (await k(['get', 'pod', '-n', nsOf(n), n, '-o', 'jsonpath={.status.podIP}'])).trim());
  });
  after(async () => {
    if (!lab) return;
    await lab.kubectl(['delete', 'namespace', A, B, '--wait=true', '--timeout=90s'], { timeoutMs: 120_000 });
    process.stdout.write(`      lab-netpol: ${((Date.now() - started) / 1000).toFixed(1)} s in all\n`);
  });
  afterEach(async () => {
    if (lab) await clearPolicies();
  });

  const cases: { name: string; policies: () => Json[]; probes: () => Probe[]; dns?: { from: string; pass: boolean } }[] = [
    {
      name: 'without policies everything passes',
      policies: () => [],
      probes: () => [...both('friend', 80, true), ...both('outsider', 8080, true)],
    },
    {
      name: 'default-deny ingress blocks every client of the servers; pods it does not select are untouched',
      policies: () => [policy('deny', { podSelector: { matchLabels: { app: 'srv' } }, policyTypes: ['Ingress'] })],
      probes: () => [...both('friend', 80, false), ...both('outsider', 80, false), { from: 'friend', to: 'stranger', port: 80, pass: true }],
    },
    {
      name: 'allow from a pod label: same namespace only',
      policies: () => [
        policy('from-clients', { podSelector: { matchLabels: { app: 'srv' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }] }),
      ],
      probes: () => [...both('friend', 80, true), ...both('stranger', 80, false), ...both('outsider', 80, false)],
    },
    {
      name: 'allow from a namespace label',
      policies: () => [
        policy('from-b', { podSelector: { matchLabels: { app: 'srv' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'b' } } }] }] }),
      ],
      probes: () => [...both('outsider', 80, true), ...both('friend', 80, false)],
    },
    {
      name: 'namespace and pod selector in one peer: both must match',
      policies: () => [
        policy('b-others', {
          podSelector: { matchLabels: { app: 'srv' } },
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'b' } }, podSelector: { matchLabels: { role: 'other' } } }] }],
        }),
      ],
      probes: () => [...both('outsider', 80, false), ...both('stranger', 80, false)],
    },
    {
      name: 'ipBlock with except',
      policies: () => [
        policy('block', {
          podSelector: { matchLabels: { app: 'srv' } },
          ingress: [{ from: [{ ipBlock: { cidr: '10.244.0.0/16', except: [`${ip.get('friend')}/32`] } }] }],
        }),
      ],
      probes: () => [...both('stranger', 80, true), ...both('friend', 80, false)],
    },
    {
      name: 'a numeric port: only that port',
      policies: () => [policy('port-80', { podSelector: { matchLabels: { app: 'srv' } }, ingress: [{ ports: [{ port: 80 }] }] })],
      probes: () => [...both('friend', 80, true), ...both('friend', 9090, false)],
    },
    {
      name: "a named port, resolved against the server's container ports",
      policies: () => [policy('named', { podSelector: { matchLabels: { app: 'srv' } }, ingress: [{ ports: [{ port: 'web' }] }] })],
      probes: () => [...both('friend', 8080, true), ...both('friend', 80, false)],
    },
    {
      name: 'endPort: a range of ports',
      policies: () => [policy('range', { podSelector: { matchLabels: { app: 'srv' } }, ingress: [{ ports: [{ port: 9000, endPort: 9100 }] }] })],
      probes: () => [...both('friend', 9090, true), ...both('friend', 8080, false), ...both('friend', 80, false)],
    },
    {
      name: 'two policies on one pod: allowed is the union of their rules',
      policies: () => [
        policy('u1', {
          podSelector: { matchLabels: { app: 'srv' } },
          ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 80 }] }],
        }),
        policy('u2', {
          podSelector: { matchLabels: { app: 'srv' } },
          ingress: [{ from: [{ podSelector: { matchLabels: { role: 'other' } } }], ports: [{ port: 9090 }] }],
        }),
      ],
      probes: () => [...both('friend', 80, true), ...both('stranger', 9090, true), ...both('friend', 9090, false), ...both('stranger', 80, false)],
    },
    {
      name: 'default-deny egress: no connection leaves, no DNS either; replies to others still reach the pod',
      policies: () => [policy('no-egress', { podSelector: { matchLabels: { role: 'other' } }, policyTypes: ['Egress'] })],
      probes: () => [...both('stranger', 80, false), { from: 'friend', to: 'stranger', port: 80, pass: true }],
      dns: { from: 'stranger', pass: false },
    },
    {
      name: 'egress deny with DNS allowed: port 53 (UDP and TCP) passes, nothing else',
      policies: () => [
        policy('no-egress', { podSelector: { matchLabels: { role: 'other' } }, policyTypes: ['Egress'] }),
        policy('dns', {
          podSelector: { matchLabels: { role: 'other' } },
          policyTypes: ['Egress'],
          // the lab's cluster DNS is a host process on a free port behind kube-dns:53: that port is DNS here
          egress: [
            {
              ports: [53, dnsPort].flatMap((port) => [
                { port, protocol: 'UDP' },
                { port, protocol: 'TCP' },
              ]),
            },
          ],
        }),
      ],
      probes: () => [...both('stranger', 53, true), ...both('stranger', 80, false)],
      dns: { from: 'stranger', pass: true },
    },
    {
      name: 'egress to a pod label on one port',
      policies: () => [
        policy('to-srv', {
          podSelector: { matchLabels: { role: 'other' } },
          policyTypes: ['Egress'],
          egress: [{ to: [{ podSelector: { matchLabels: { app: 'srv' } } }], ports: [{ port: 80 }] }],
        }),
      ],
      probes: () => [...both('stranger', 80, true), ...both('stranger', 8080, false), { from: 'stranger', to: 'friend', port: 80, pass: false }],
    },
  ];
  let dnsPort = 53;

  for (const c of cases) {
    it(c.name, async () => {
      if (c.dns) {
        const ep = JSON.parse(await k(['get', 'endpoints', '-n', 'kube-system', 'kube-dns', '-o', 'json'])) as Json;
        dnsPort = ep.subsets?.[0]?.ports?.find((p: Json) => p.protocol === 'UDP')?.port ?? 53;
      }
      const policies = c.policies();
      if (policies.length) await apply(policies);
      const { ms, wrong } = await settle(c.probes(), c.dns);
      expect(wrong, `after ${ms} ms`).to.deep.equal([]);
      process.stdout.write(`        settled in ${ms} ms\n`);
    });
  }

  it('after the policies go, everything passes again, and the kubelet probes kept the servers Ready', async () => {
    await apply([policy('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })]);
    const denied = await settle([...both('friend', 80, false)]);
    expect(denied.wrong).to.deep.equal([]);
    const ready = await k(['get', 'pods', '-n', A, 'srv1', 'srv2', '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}']);
    expect(ready.trim()).to.equal('True True');
    await clearPolicies();
    const open = await settle([...both('friend', 80, true), ...both('stranger', 80, true)]);
    expect(open.wrong).to.deep.equal([]);
    process.stdout.write(`        open again ${open.ms} ms after the delete (first check round included)\n`);
  });
});
