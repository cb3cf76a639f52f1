import { expect } from 'chai';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { ClusterZone } from '../src/records.ts';
import type { ClusterState } from '../src/records.ts';
import { dataOf } from './client.ts';

// a plain in-memory stand-in for the informer caches (pure logic, no apiserver involved)
function state(services: V1Service[], slices: V1EndpointSlice[], namespaces: string[] = ['web', 'shop-e2e']): ClusterState {
  return {
    namespaceExists: (name) => namespaces.includes(name),
    services: (ns) => services.filter((s) => ns === undefined || s.metadata?.namespace === ns),
    service: (ns, name) => services.find((s) => s.metadata?.namespace === ns && s.metadata?.name === name),
    slices: (ns) => slices.filter((s) => s.metadata?.namespace === ns),
  };
}

const shop: V1Service = {
  metadata: { name: 'shop', namespace: 'web' },
  spec: { clusterIP: '10.96.5.5', clusterIPs: ['10.96.5.5'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { port: 9000 }] },
};
const db: V1Service = { metadata: { name: 'db', namespace: 'web' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] } };
const ext: V1Service = { metadata: { name: 'ext', namespace: 'web' }, spec: { type: 'ExternalName', externalName: 'example.org' } };
const dbSlice: V1EndpointSlice = {
  metadata: { name: 'db-1', namespace: 'web', labels: { 'kubernetes.io/service-name': 'db' } },
  addressType: 'IPv4',
  ports: [{ name: 'pg', port: 5433, protocol: 'TCP' }],
  endpoints: [
    { addresses: ['10.244.1.7'], hostname: 'db-0', conditions: { ready: true } },
    { addresses: ['10.244.2.8'] },
    { addresses: ['10.244.2.9'], conditions: { ready: false } },
  ],
};
const zone = new ClusterZone('cluster.local', state([shop, db, ext], [dbSlice]));

describe('dns: cluster zone', () => {
  it('answers a ClusterIP service with its ClusterIP, case-insensitively', () => {
    const r = zone.lookup('Shop.web.svc.cluster.local.', 'A');
    expect(r.rcode).to.equal('NOERROR');
    expect(r.answers.map((a) => dataOf(a))).to.deep.equal(['10.96.5.5']);
  });

  it('answers a headless service with each ready endpoint, and single endpoints by hostname', () => {
    expect(zone.lookup('db.web.svc.cluster.local', 'A').answers.map((a) => dataOf(a))).to.deep.equal(['10.244.1.7', '10.244.2.8']);
    expect(zone.lookup('db-0.db.web.svc.cluster.local', 'A').answers.map((a) => dataOf(a))).to.deep.equal(['10.244.1.7']);
    expect(zone.lookup('10-244-2-8.db.web.svc.cluster.local', 'A').answers.map((a) => dataOf(a))).to.deep.equal(['10.244.2.8']);
    expect(zone.lookup('10-244-2-9.db.web.svc.cluster.local', 'A').rcode).to.equal('NXDOMAIN');
  });

  it("answers a StatefulSet's pods by <pod>.<service> from the endpoints' hostnames, and the service with all of them", () => {
    const web: V1Service = { metadata: { name: 'web', namespace: 'db' }, spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] } };
    const slice: V1EndpointSlice = {
      metadata: { name: 'web-abc', namespace: 'db', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      endpoints: [0, 1, 2].map((i) => ({ addresses: [`10.244.0.${10 + i}`], hostname: `web-${i}`, conditions: { ready: i !== 2 } })),
    };
    // a hand-written slice may carry a hostname no query can spell: the dashed address names it
    const odd: V1EndpointSlice = {
      metadata: { name: 'web-odd', namespace: 'db', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.0.20'], hostname: 'Not_A.Label', conditions: { ready: true } }],
    };
    const z = new ClusterZone('cluster.local', state([web], [slice, odd], ['db']));
    const a = (name: string) => z.lookup(name, 'A');
    expect(a('web-0.web.db.svc.cluster.local').answers.map((x) => dataOf(x))).to.deep.equal(['10.244.0.10']);
    expect(a('WEB-1.web.db.svc.cluster.local.').answers.map((x) => dataOf(x))).to.deep.equal(['10.244.0.11']);
    // not ready: neither its own name nor the service's answer lists it
    expect(a('web-2.web.db.svc.cluster.local').rcode).to.equal('NXDOMAIN');
    expect(a('web.db.svc.cluster.local').answers.map((x) => dataOf(x))).to.deep.equal(['10.244.0.10', '10.244.0.11', '10.244.0.20']);
    expect(a('10-244-0-20.web.db.svc.cluster.local').answers.map((x) => dataOf(x))).to.deep.equal(['10.244.0.20']);
    expect(a('web-3.web.db.svc.cluster.local').rcode).to.equal('NXDOMAIN');
    // names that cannot be a hostname, service or namespace are refused without a lookup
    for (const bad of ['web_0.web.db', '-web-0.web.db', 'web-0.web_x.db', 'web-0.web.d_b', `${'x'.repeat(64)}.web.db`]) {
      expect(a(`${bad}.svc.cluster.local`).rcode, bad).to.equal('NXDOMAIN');
    }
  });

  it('answers SRV for named ports only', () => {
    const r = zone.lookup('_http._tcp.shop.web.svc.cluster.local', 'SRV');
    expect(r.answers).to.have.length(1);
    expect(dataOf(r.answers[0]!)).to.deep.include({ port: 80, target: 'shop.web.svc.cluster.local' });
    expect(r.additionals.map((a) => dataOf(a))).to.deep.equal(['10.96.5.5']);
    expect(zone.lookup('_http._udp.shop.web.svc.cluster.local', 'SRV').rcode).to.equal('NXDOMAIN');
    const headless = zone.lookup('_pg._tcp.db.web.svc.cluster.local', 'SRV');
    expect(headless.answers.map((a) => dataOf(a))).to.deep.equal([
      { priority: 0, weight: 50, port: 5433, target: 'db-0.db.web.svc.cluster.local' },
      { priority: 0, weight: 50, port: 5433, target: '10-244-2-8.db.web.svc.cluster.local' },
    ]);
  });

  it('answers pod names from the dashed address', () => {
    expect(zone.lookup('10-244-1-7.web.pod.cluster.local', 'A').answers.map((a) => dataOf(a))).to.deep.equal(['10.244.1.7']);
    expect(zone.lookup('10-244-1-300.web.pod.cluster.local', 'A').rcode).to.equal('NXDOMAIN');
  });

  it('answers <a-b-c-d>.<namespace>.pod only for a well-formed address in a namespace that exists (CoreDNS pods insecure)', () => {
    const a = (name: string) => zone.lookup(name, 'A');
    expect(a('10-244-0-12.shop-e2e.pod.cluster.local').answers.map((x) => dataOf(x))).to.deep.equal(['10.244.0.12']);
    expect(a('0-0-0-0.web.pod.cluster.local').answers.map((x) => dataOf(x))).to.deep.equal(['0.0.0.0']);
    // no such namespace, or not a namespace name at all
    expect(a('10-244-0-12.nowhere.pod.cluster.local').rcode).to.equal('NXDOMAIN');
    expect(a('10-244-0-12.Web_1.pod.cluster.local').rcode).to.equal('NXDOMAIN');
    expect(a('10-244-0-12.-web.pod.cluster.local').rcode).to.equal('NXDOMAIN');
    // not four decimal octets: too few or many parts, leading zeros, empty parts, letters, IPv6
    for (const bad of ['10-244-0', '10-244-0-1-2', '010-244-0-1', '10-244--1', '10-244-0-1a', 'fd00--1', 'web-0', '256-0-0-1']) {
      expect(a(`${bad}.web.pod.cluster.local`).rcode, bad).to.equal('NXDOMAIN');
    }
    // below the pod name nothing exists
    expect(a('x.10-244-0-12.web.pod.cluster.local').rcode).to.equal('NXDOMAIN');
    // the namespace itself exists but has no address; other types of a pod name have none either
    expect(a('web.pod.cluster.local')).to.deep.include({ rcode: 'NOERROR', answers: [] });
    expect(zone.lookup('10-244-0-12.web.pod.cluster.local', 'AAAA')).to.deep.include({ rcode: 'NOERROR', answers: [] });
  });

  it('gives NXDOMAIN with the SOA for unknown names, NODATA for other types of known ones', () => {
    const nx = zone.lookup('nope.web.svc.cluster.local', 'A');
    expect(nx.rcode).to.equal('NXDOMAIN');
    expect(nx.authorities[0]!.type).to.equal('SOA');
    expect(zone.lookup('www.example.com.web.svc.cluster.local', 'A').rcode).to.equal('NXDOMAIN');
    const nodata = zone.lookup('shop.web.svc.cluster.local', 'AAAA');
    expect(nodata.rcode).to.equal('NOERROR');
    expect(nodata.answers).to.deep.equal([]);
    expect(nodata.authorities[0]!.type).to.equal('SOA');
  });

  it('answers ExternalName with a CNAME and ClusterIPs in reverse', () => {
    expect(zone.lookup('ext.web.svc.cluster.local', 'A').answers[0]).to.deep.include({ type: 'CNAME', data: 'example.org' });
    expect(zone.owns('5.5.96.10.in-addr.arpa')).to.equal(true);
    expect(zone.owns('1.1.1.1.in-addr.arpa')).to.equal(false);
    expect(dataOf(zone.lookup('5.5.96.10.in-addr.arpa', 'PTR').answers[0]!)).to.equal('shop.web.svc.cluster.local');
    expect(zone.owns('example.org')).to.equal(false);
  });
});
