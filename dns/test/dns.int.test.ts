// skiff-dns as a process against a real apiserver: real UDP/TCP queries, a stand-in
// upstream resolver on 127.0.0.1, and the kube-dns bootstrap.
import { expect } from 'chai';
import dgram from 'node:dgram';
import * as dnsPacket from 'dns-packet';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startComponent, useApiserver } from '@skiff/common/testing/index';
import type { ComponentHandle } from '@skiff/common/testing/index';
import { aRecords, dataOf, queryTcp, queryUdp, rcodeOf } from './client.ts';

/** An upstream that answers every A query with 192.0.2.1 (TEST-NET) and counts queries. */
async function fakeUpstream(): Promise<{ port: number; queries: string[]; close(): void }> {
  const sock = dgram.createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (m, r) => {
    const q = dnsPacket.decode(m);
    queries.push(q.questions![0]!.name);
    sock.send(
      dnsPacket.encode({
        type: 'response',
        id: q.id,
        flags: dnsPacket.RECURSION_AVAILABLE,
        questions: q.questions,
        answers: [{ type: 'A', name: q.questions![0]!.name, ttl: 60, data: '192.0.2.1' }],
      }),
      r.port,
      r.address,
    );
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { port: sock.address().port, queries, close: () => sock.close() };
}

describe('dns: server against the apiserver', function () {
  this.timeout(60_000);
  const cluster = useApiserver();
  let dns: ComponentHandle;
  let port: number;
  let upstream: Awaited<ReturnType<typeof fakeUpstream>>;

  async function post(path: string, body: object): Promise<any> {
    const r = await cluster.server.request('POST', path, { body });
    if (r.status >= 300) throw new Error(`${path}: ${r.status} ${r.body}`);
    return JSON.parse(r.body);
  }

  before(async () => {
    await post('/api/v1/namespaces', { metadata: { name: 'shopns' } });
    await post('/api/v1/namespaces/shopns/services', { metadata: { name: 'shop' }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
    await post('/api/v1/namespaces/shopns/services', {
      metadata: { name: 'db' },
      spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] },
    });
    await post('/apis/discovery.k8s.io/v1/namespaces/shopns/endpointslices', {
      metadata: { name: 'db-x', labels: { 'kubernetes.io/service-name': 'db' } },
      addressType: 'IPv4',
      ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['10.244.3.4'], conditions: { ready: true } },
        { addresses: ['10.244.3.5'], conditions: { ready: true } },
        { addresses: ['10.244.3.6'], conditions: { ready: false } },
      ],
    });
    upstream = await fakeUpstream();
    port = await freePort();
    dns = await startComponent({
      workspace: 'dns',
      args: [
        `--kubeconfig=${cluster.server.kubeconfigPath}`,
        '--bind-address=127.0.0.1',
        `--port=${port}`,
        `--upstream=127.0.0.1:${upstream.port}`,
        '--metrics-port=0',
        '--advertise-address=127.0.0.1',
      ],
      ready: async () => (await queryUdp(port, 'kube-dns.kube-system.svc.cluster.local', 'A', '127.0.0.1', 300)).answers!.length > 0,
    });
  });

  after(async () => {
    await dns?.stop();
    upstream?.close();
  });

  it('publishes the kube-dns Service at 10.96.0.10 with an EndpointSlice pointing at the server', async () => {
    const svc = JSON.parse((await cluster.server.request('GET', '/api/v1/namespaces/kube-system/services/kube-dns')).body);
    expect(svc.spec.clusterIP).to.equal('10.96.0.10');
    expect(svc.spec.selector).to.equal(undefined);
    expect(svc.metadata.labels).to.include({ 'kubernetes.io/cluster-service': 'true', 'k8s-app': 'kube-dns' });
    expect(svc.spec.ports.map((p: any) => `${p.name}/${p.protocol}/${p.port}`)).to.deep.equal(['dns/UDP/53', 'dns-tcp/TCP/53']);
    const slices = JSON.parse(
      (
        await cluster.server.request(
          'GET',
          '/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dkube-dns',
        )
      ).body,
    ).items;
    expect(slices).to.have.length(1);
    expect(slices[0].metadata.labels['endpointslice.kubernetes.io/managed-by']).to.equal('skiff-dns');
    expect(slices[0].endpoints[0].addresses).to.deep.equal(['127.0.0.1']);
    expect(slices[0].ports.map((p: any) => p.port)).to.deep.equal([port, port]);
    expect(aRecords(await queryUdp(port, 'kube-dns.kube-system.svc.cluster.local'))).to.deep.equal(['10.96.0.10']);
  });

  it('answers service names over UDP and TCP, and headless ones with their ready endpoints', async () => {
    const shop = JSON.parse((await cluster.server.request('GET', '/api/v1/namespaces/shopns/services/shop')).body);
    const udp = await queryUdp(port, 'shop.shopns.svc.cluster.local');
    expect(udp.flag_aa).to.equal(true);
    expect(aRecords(udp)).to.deep.equal([shop.spec.clusterIP]);
    expect(aRecords(await queryTcp(port, 'shop.shopns.svc.cluster.local'))).to.deep.equal([shop.spec.clusterIP]);
    expect(aRecords(await queryUdp(port, 'db.shopns.svc.cluster.local'))).to.deep.equal(['10.244.3.4', '10.244.3.5']);
  });

  it('answers SRV for a named port and pod names', async () => {
    const srv = await queryUdp(port, '_http._tcp.shop.shopns.svc.cluster.local', 'SRV');
    expect(srv.answers!.map((a) => dataOf(a).port)).to.deep.equal([80]);
    expect(aRecords(await queryUdp(port, '10-244-7-9.shopns.pod.cluster.local'))).to.deep.equal(['10.244.7.9']);
  });

  it('says NXDOMAIN with an SOA for unknown cluster names', async () => {
    const r = await queryUdp(port, 'nope.shopns.svc.cluster.local');
    expect(rcodeOf(r)).to.equal('NXDOMAIN');
    expect(r.authorities!.map((a) => a.type)).to.deep.equal(['SOA']);
  });

  it('follows new services and endpoint changes', async () => {
    const created = await post('/api/v1/namespaces/shopns/services', { metadata: { name: 'late' }, spec: { ports: [{ port: 81 }] } });
    for (let i = 0; i < 50; i++) {
      if (aRecords(await queryUdp(port, 'late.shopns.svc.cluster.local')).length > 0) break;
      await sleep(50);
    }
    expect(aRecords(await queryUdp(port, 'late.shopns.svc.cluster.local'))).to.deep.equal([created.spec.clusterIP]);
  });

  it('forwards other names to the upstream over UDP and TCP', async () => {
    expect(aRecords(await queryUdp(port, 'www.example.org'))).to.deep.equal(['192.0.2.1']);
    expect(upstream.queries).to.include('www.example.org');
    // the stand-in upstream has no TCP listener: the server must say SERVFAIL, not hang
    const tcp = await queryTcp(port, 'other.example.org');
    expect(rcodeOf(tcp)).to.equal('SERVFAIL');
  });
});
