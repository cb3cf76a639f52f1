// The proxy's LoadBalancer part without a cluster: load-balancer addresses become Service rules
// like external IPs, one node is elected per address (Local: only nodes with ready endpoints),
// and the health-check node port answers as kube-proxy's does.
import { createServer } from 'node:net';
import type { V1Node, V1Service } from '@kubernetes/client-node';
import { createLogger } from '@skiff/common';
import { expect } from 'chai';
import { serviceProblem } from '../src/edge.ts';
import { announcementsFor, electedNode } from '../src/lb-election.ts';
import { HealthCheckServers, healthCheckAnswer, wantedHealthChecks } from '../src/lb-healthcheck.ts';
import { buildServicePorts } from '../src/model.ts';
import { computeRules, externalChain } from '../src/rules.ts';
import { service, slice } from './fixtures.ts';

const lbService = (name: string, ip: string, spec: Partial<V1Service['spec']> = {}, ipMode = 'VIP'): V1Service => ({
  ...service(name, { type: 'LoadBalancer', clusterIP: '10.96.0.40', ...spec }),
  status: { loadBalancer: { ingress: [{ ip, ipMode }] } },
});
const node = (name: string, ready = true, labels: Record<string, string> = {}): V1Node => ({
  metadata: { name, labels },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

describe('proxy: LoadBalancer addresses', () => {
  it('serves a load-balancer address like an external IP, except with ipMode Proxy or another type', () => {
    const eps = [slice('lb', [{ ip: '10.244.1.2', node: 'n1' }]), slice('proxied', [{ ip: '10.244.1.3' }]), slice('was-lb', [{ ip: '10.244.1.4' }])];
    const svcs = [
      lbService('lb', '10.253.0.200'),
      lbService('proxied', '10.253.0.201', {}, 'Proxy'),
      lbService('was-lb', '10.253.0.202', { type: 'ClusterIP' }),
    ];
    const ports = buildServicePorts(svcs, eps, 'n1');
    const nat = computeRules(ports, { clusterCIDR: '10.244.0.0/16' }).nat.rules;
    const lb = ports.find((p) => p.name === 'lb')!;
    expect(nat).to.include(
      `-A SKIFF-SERVICES -d 10.253.0.200/32 -m comment --comment "default/lb:http external IP" -p tcp -m tcp --dport 80 -j ${externalChain(lb)}`,
    );
    expect(nat.join('\n')).to.not.match(/10\.253\.0\.20[12]/);
  });

  it('refuses a load-balancer address that is not an IPv4 address at the edge', () => {
    expect(serviceProblem(lbService('lb', '10.253.0.200 -j ACCEPT'))).to.match(/status\.loadBalancer\.ingress/);
    expect(serviceProblem(lbService('lb', '10.253.0.200', { healthCheckNodePort: 70000 }))).to.match(/healthCheckNodePort/);
    expect(serviceProblem(lbService('lb', '10.253.0.200'))).to.equal(undefined);
  });

  it('elects exactly one ready node per address, the same on every node', () => {
    const nodes = [node('a'), node('b'), node('c'), node('down', false), node('out', true, { 'node.kubernetes.io/exclude-from-external-load-balancers': '' })];
    const svcs = Array.from({ length: 20 }, (_, i) => lbService(`s${i}`, `10.253.0.${200 + i}`));
    const holders = new Map<string, string[]>();
    for (const n of nodes.map((x) => x.metadata!.name!)) {
      for (const a of announcementsFor(n, svcs, nodes, [])) holders.set(a.ip, [...(holders.get(a.ip) ?? []), n]);
    }
    expect(holders.size).to.equal(20);
    for (const [, h] of holders) {
      expect(h).to.have.length(1);
      expect(['a', 'b', 'c']).to.include(h[0]);
    }
    // more than one node takes a share of 20 addresses
    expect(new Set([...holders.values()].map((h) => h[0])).size).to.be.greaterThan(1);
    // a node going away moves only its own addresses
    const without = electedNode(
      '10.253.0.200',
      ['a', 'b', 'c'].filter((n) => n !== holders.get('10.253.0.200')![0]),
    );
    expect(without).to.not.equal(holders.get('10.253.0.200')![0]);
  });

  it('elects only a node with a ready local endpoint for externalTrafficPolicy Local', () => {
    const nodes = [node('a'), node('b'), node('c')];
    const svc = lbService('local', '10.253.0.210', { externalTrafficPolicy: 'Local', healthCheckNodePort: 32100 });
    const eps = [
      slice('local', [
        { ip: '10.244.2.2', node: 'b' },
        { ip: '10.244.3.2', node: 'c', ready: false },
      ]),
    ];
    for (const n of ['a', 'c']) expect(announcementsFor(n, [svc], nodes, eps)).to.deep.equal([]);
    expect(announcementsFor('b', [svc], nodes, eps)).to.deep.equal([{ ip: '10.253.0.210', service: 'default/local' }]);
    expect(announcementsFor('b', [svc], nodes, [])).to.deep.equal([]);
  });

  it('answers the health-check node port with the local endpoint count, 503 without any', async () => {
    const svc = lbService('local', '10.253.0.210', { externalTrafficPolicy: 'Local', healthCheckNodePort: 0 });
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    svc.spec!.healthCheckNodePort = port;
    const eps = [
      slice('local', [
        { ip: '10.244.2.2', node: 'b' },
        { ip: '10.244.2.3', node: 'b' },
        { ip: '10.244.3.2', node: 'c' },
      ]),
    ];
    expect(wantedHealthChecks([svc], eps, 'b').get(port)).to.deep.equal({ namespace: 'default', name: 'local', localEndpoints: 2 });
    expect(healthCheckAnswer({ namespace: 'default', name: 'local', localEndpoints: 0 }).status).to.equal(503);
    const servers = new HealthCheckServers(createLogger('proxy-test'), '127.0.0.1');
    try {
      await servers.sync(wantedHealthChecks([svc], eps, 'a'));
      let r = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(r.status).to.equal(503);
      expect(await r.json()).to.deep.equal({ service: { namespace: 'default', name: 'local' }, localEndpoints: 0, serviceProxyHealthy: true });
      await servers.sync(wantedHealthChecks([svc], eps, 'b'));
      r = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(r.status).to.equal(200);
      expect(r.headers.get('x-load-balancing-endpoint-weight')).to.equal('2');
      expect(((await r.json()) as { localEndpoints: number }).localEndpoints).to.equal(2);
      await servers.sync(new Map());
      const closed = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        () => 'open',
        () => 'closed',
      );
      expect(closed).to.equal('closed');
    } finally {
      await servers.close();
    }
  });
});
