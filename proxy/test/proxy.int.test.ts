// The node proxy against real iptables in network namespaces: two "nodes" on a lab bridge,
// three "pods" running busybox httpd, Services and EndpointSlices in a real apiserver.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { componentEntryArgs, useApiserver } from '@skiff/common/testing/index';
import { Lab, inNs } from './lab.ts';
import type { LabNode, LabPod } from './lab.ts';
import { createNode, createService, labKubeconfig, ourRules, putSlice, startProxy, waitFor } from './cluster.ts';
import type { Backend, ProxyProcess } from './cluster.ts';

function hits(lab: Lab, ns: string, url: string, n: number): Map<string, number> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const body = lab.get(ns, url);
    seen.set(body, (seen.get(body) ?? 0) + 1);
  }
  return seen;
}

describe('proxy: dataplane in network namespaces', function () {
  this.timeout(120_000);
  const cluster = useApiserver({ extraArgs: ['--bind-address=0.0.0.0'] });
  const lab = new Lab('t');
  let n1: LabNode;
  let n2: LabNode;
  let p1: LabPod;
  let p2: LabPod;
  let p3: LabPod;
  let proxy1: ProxyProcess;
  let proxy2: ProxyProcess;
  let kubeconfig: string;
  let webIP: string;
  let nodePort: number;
  const tmp = mkdtempSync(join(tmpdir(), 'skiff-proxy-test-'));
  const backends = (): Backend[] => [p1, p2, p3].map((p) => ({ ip: p.ip, node: p.node.name }));

  before(async function () {
    n1 = lab.addNode(1);
    n2 = lab.addNode(2);
    p1 = lab.addPod(n1, 1);
    p2 = lab.addPod(n1, 2);
    p3 = lab.addPod(n2, 1);
    const s = cluster.server;
    await createNode(s, n1);
    await createNode(s, n2);
    const web = await createService(s, 'web', { type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
    webIP = web.spec.clusterIP;
    nodePort = web.spec.ports[0].nodePort;
    await putSlice(s, 'web', backends());
    await createService(s, 'empty', { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
    await putSlice(s, 'empty', [{ ip: p1.ip, node: n1.name, ready: false }]);
    kubeconfig = labKubeconfig(s, join(tmp, 'kubeconfig'));
    proxy1 = await startProxy(lab, n1, kubeconfig);
    proxy2 = await startProxy(lab, n2, kubeconfig);
  });

  after(async function () {
    await lab.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('routes pod to pod across nodes through host-gw routes of our own proto', () => {
    expect(inNs(n1.ns, 'ip', ['route', 'show', 'proto', '199']).trim()).to.equal(`${n2.podCIDR} via ${n2.ip} dev eth0`);
    expect(inNs(n2.ns, 'ip', ['route', 'show', 'proto', '199']).trim()).to.equal(`${n1.podCIDR} via ${n1.ip} dev eth0`);
    expect(lab.get(p1.ns, `http://${p3.ip}:8080/`)).to.equal(p3.name);
    expect(lab.get(p3.ns, `http://${p2.ip}:8080/`)).to.equal(p2.name);
  });

  it('spreads ClusterIP traffic over all endpoints, from a node and from a pod on another node', () => {
    expect([...hits(lab, n1.ns, `http://${webIP}/`, 30).keys()].sort()).to.deep.equal([p1.name, p2.name, p3.name]);
    expect([...hits(lab, p3.ns, `http://${webIP}/`, 30).keys()].sort()).to.deep.equal([p1.name, p2.name, p3.name]);
  });

  it('lets a pod reach itself through its own service (hairpin)', () => {
    const seen = hits(lab, p1.ns, `http://${webIP}/`, 30);
    expect(seen.get(p1.name) ?? 0).to.be.greaterThan(0);
  });

  it('answers the NodePort on the node address from outside and on 127.0.0.1 on the node', () => {
    expect([...hits(lab, n2.ns, `http://${n1.ip}:${nodePort}/`, 30).keys()].sort()).to.deep.equal([p1.name, p2.name, p3.name]);
    const outside = spawnSync('curl', ['-sS', '--fail', '-m', '2', `http://${n2.ip}:${nodePort}/`], { encoding: 'utf8' });
    expect(outside.status, outside.stderr).to.equal(0);
    expect([p1.name, p2.name, p3.name]).to.include(outside.stdout.trim());
    expect([p1.name, p2.name, p3.name]).to.include(lab.get(n1.ns, `http://127.0.0.1:${nodePort}/`));
  });

  it('rejects connections to a service without ready endpoints at once', async () => {
    const empty = await (await cluster.server.request('GET', '/api/v1/namespaces/default/services/empty')).body;
    const ip = JSON.parse(empty).spec.clusterIP;
    const started = Date.now();
    const r = spawnSync('nsenter', [`--net=/var/run/netns/${n1.ns}`, 'curl', '-sS', '-m', '5', `http://${ip}/`], { encoding: 'utf8' });
    // 7: could not connect, i.e. refused (a timeout would be 28)
    expect(r.status, r.stderr).to.equal(7);
    expect(Date.now() - started).to.be.lessThan(2000);
  });

  it('reflects an endpoint change in the rules within 1 s', async () => {
    const before = ourRules(n1.ns).join('\n');
    expect(before).to.contain(`${p2.ip}:8080`);
    const started = Date.now();
    await putSlice(
      cluster.server,
      'web',
      backends().filter((b) => b.ip !== p2.ip),
    );
    const took = await waitFor('p2 to leave the rules', () => !ourRules(n1.ns).join('\n').includes(`${p2.ip}:8080`));
    expect(Date.now() - started).to.be.lessThan(1000, `took ${took} ms after the update was accepted`);
    expect([...hits(lab, n1.ns, `http://${webIP}/`, 20).keys()].sort()).to.deep.equal([p1.name, p3.name]);
    // a pod turning unready leaves just the same
    await putSlice(
      cluster.server,
      'web',
      backends().map((b) => ({ ...b, ready: b.ip === p3.ip })),
    );
    await waitFor('only p3 to stay', () => ourRules(n1.ns).filter((l) => l.includes('DNAT') && l.includes('default/web')).length === 1);
    expect([...hits(lab, n1.ns, `http://${webIP}/`, 10).keys()]).to.deep.equal([p3.name]);
    await putSlice(cluster.server, 'web', backends());
    await waitFor('all three back', () => ourRules(n1.ns).filter((l) => l.includes('DNAT') && l.includes('default/web')).length === 3);
  });

  it('keeps traffic flowing across a proxy restart and ends with the same rules', async () => {
    const rulesBefore = ourRules(n1.ns);
    await proxy1.stop();
    expect(ourRules(n1.ns)).to.deep.equal(rulesBefore);
    expect([p1.name, p2.name, p3.name]).to.include(lab.get(n1.ns, `http://${webIP}/`));
    // a change made while the proxy is down is picked up on start, computed from scratch
    await createService(cluster.server, 'late', { ports: [{ name: 'http', port: 81, protocol: 'TCP' }] });
    await putSlice(cluster.server, 'late', [{ ip: p3.ip, node: n2.name }]);
    proxy1 = await startProxy(lab, n1, kubeconfig);
    const late = JSON.parse((await cluster.server.request('GET', '/api/v1/namespaces/default/services/late')).body).spec.clusterIP;
    expect(lab.get(n1.ns, `http://${late}:81/`)).to.equal(p3.name);
    const after = ourRules(n1.ns);
    expect(after).to.include.members(rulesBefore);
    const added = after.filter((l) => !rulesBefore.includes(l));
    expect(added.filter((l) => !l.includes('default/late'))).to.have.length(2); // its SVC and SEP chain
    expect(added.filter((l) => !l.includes('default/late')).every((l) => /^:SKIFF-(SVC|SEP)-/.test(l))).to.equal(true);
    expect([...hits(lab, n1.ns, `http://${webIP}/`, 30).keys()].sort()).to.deep.equal([p1.name, p2.name, p3.name]);
  });

  it('removes the route to a node that goes away', async () => {
    await cluster.server.request('DELETE', `/api/v1/nodes/${n2.name}`);
    await waitFor('route to n2 to go', () => inNs(n1.ns, 'ip', ['route', 'show', 'proto', '199']).trim() === '');
    await createNode(cluster.server, n2);
    await waitFor('route to n2 to return', () => inNs(n1.ns, 'ip', ['route', 'show', 'proto', '199']).includes(n2.podCIDR));
  });

  it('--cleanup leaves no rule and no route of ours', async () => {
    inNs(n1.ns, 'ip', ['route', 'add', '10.252.200.0/24', 'via', n2.ip]); // someone else's route stays
    await proxy1.stop();
    const r = spawnSync('nsenter', [`--net=/var/run/netns/${n1.ns}`, process.execPath, ...componentEntryArgs('proxy'), '--cleanup'], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    expect(
      inNs(n1.ns, 'iptables-save', [])
        .split('\n')
        .filter((l) => l.includes('SKIFF')),
    ).to.deep.equal([]);
    expect(inNs(n1.ns, 'ip', ['route', 'show', 'proto', '199']).trim()).to.equal('');
    expect(inNs(n1.ns, 'ip', ['route', 'show', '10.252.200.0/24']).trim()).to.contain(`via ${n2.ip}`);
    await proxy2.stop();
    await sleep(10);
  });
});
