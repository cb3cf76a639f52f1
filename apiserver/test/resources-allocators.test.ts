// ClusterIP and NodePort allocation against a real etcd (ports 23379/23380).
import { expect } from 'chai';
import { ApiError } from '../src/errors.ts';
import { EtcdStorage } from '../src/storage/etcd-storage.ts';
import type { KObject, RequestContext } from '../src/registry/types.ts';
import { ClusterIPAllocator } from '../src/registry/allocators/cluster-ip.ts';
import { NodePortAllocator } from '../src/registry/allocators/node-port.ts';
import { AllocationError } from '../src/registry/allocators/allocation-error.ts';
import { services } from '../src/registry/resources/services.ts';
import { startEtcd } from './storage-etcd-helper.ts';
import type { TestEtcd } from './storage-etcd-helper.ts';

describe('resources: service allocators on etcd', function () {
  this.timeout(30_000);
  let etcd: TestEtcd;
  let storage: EtcdStorage;
  let n = 0;
  /** node ports handed out at random by earlier tests: a fixed port must avoid them */
  const randomPorts: number[] = [];
  const ctx = (dryRun = false, range = '10.96.0.0/12', ports = '30000-32767'): RequestContext => ({
    user: { name: 't', groups: [] },
    dryRun,
    services: { storage, config: { serviceClusterIPRange: range, serviceNodePortRange: ports } },
  });
  const svc = (name: string, spec: Record<string, unknown>, namespace = 'default'): KObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, uid: `uid-${name}-${++n}` },
    spec,
  });
  async function create(obj: KObject, c = ctx()): Promise<KObject> {
    services.defaults!(obj);
    expect(services.validate!(obj)).to.deep.equal([]);
    await services.prepareForCreate!(obj, c);
    return obj;
  }
  async function rejection(p: Promise<unknown>): Promise<ApiError> {
    try {
      await p;
    } catch (e) {
      expect(e).to.be.instanceOf(ApiError);
      return e as ApiError;
    }
    throw new Error('expected an ApiError');
  }

  before(async () => {
    etcd = await startEtcd(23379);
    storage = new EtcdStorage({ endpoints: [etcd.endpoint], prefix: '/alloc-test' });
  });
  after(async () => {
    await storage?.close();
    await etcd?.stop();
  });

  it('gives the kubernetes Service the first address and others distinct ones', async () => {
    const k = await create(svc('kubernetes', { ports: [{ port: 443 }] }));
    expect(k.spec.clusterIP).to.equal('10.96.0.1');
    expect(k.spec.clusterIPs).to.deep.equal(['10.96.0.1']);
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const s = await create(svc(`s${i}`, { ports: [{ port: 80 }] }));
      expect(s.spec.clusterIP).to.match(/^10\.(9[6-9]|10[0-9]|11[01])\./);
      expect(s.spec.clusterIP).to.not.equal('10.96.0.1');
      seen.add(s.spec.clusterIP);
    }
    expect(seen.size).to.equal(20);
  });

  it('refuses a taken or out-of-range address with the Kubernetes message', async () => {
    await create(svc('a', { ports: [{ port: 80 }], clusterIP: '10.96.0.5' }));
    const taken = await rejection(create(svc('b', { ports: [{ port: 80 }], clusterIP: '10.96.0.5' })));
    expect(taken.code).to.equal(422);
    expect(taken.details?.causes?.[0]).to.deep.include({ field: 'spec.clusterIPs' });
    expect(taken.message).to.match(
      /^Service "b" is invalid: spec.clusterIPs: Invalid value: .*10\.96\.0\.5.*: failed to allocate IP 10\.96\.0\.5: provided IP is already allocated$/,
    );
    const outside = await rejection(create(svc('c', { ports: [{ port: 80 }], clusterIP: '10.0.0.1' })));
    expect(outside.message).to.include(
      'failed to allocate IP 10.0.0.1: the provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    );
  });

  it('frees addresses and ports on delete, and only its own', async () => {
    const a = await create(svc('free-a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }], clusterIP: '10.96.0.7' }));
    const err = await rejection(create(svc('free-b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })));
    expect(err.message).to.equal('Service "free-b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    // a failed create of another Service with the same name must not free a's values
    const twin = svc('free-a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }], clusterIP: '10.96.0.7' });
    twin.metadata.uid = 'someone-else';
    await services.afterDelete!(twin, ctx());
    await rejection(create(svc('free-c', { ports: [{ port: 80 }], clusterIP: '10.96.0.7' })));
    await services.afterDelete!(a, ctx());
    const b = await create(svc('free-b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }], clusterIP: '10.96.0.7' }));
    expect(b.spec.ports[0].nodePort).to.equal(30080);
  });

  it('allocates node ports for NodePort services and refuses out-of-range ones', async () => {
    const s = await create(
      svc('np', {
        type: 'NodePort',
        ports: [
          { name: 'http', port: 80 },
          { name: 'https', port: 443 },
        ],
      }),
    );
    const ports = s.spec.ports.map((p: any) => p.nodePort);
    randomPorts.push(...ports);
    for (const p of ports) expect(p).to.be.within(30000, 32767);
    expect(new Set(ports).size).to.equal(2);
    const e = await rejection(create(svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 40000 }] })));
    expect(e.message).to.equal(
      'Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
  });

  it('gives back what a failed create claimed', async () => {
    const held = [30500, 30501, 30502].find((p) => !randomPorts.includes(p))!;
    await create(svc('holder', { type: 'NodePort', ports: [{ port: 80, nodePort: held }] }));
    const failing = svc('rollback', { type: 'NodePort', ports: [{ port: 80 }], clusterIP: '10.96.0.50' });
    failing.spec.ports.push({ name: 'b', port: 81, nodePort: held });
    failing.spec.ports[0].name = 'a';
    services.defaults!(failing);
    await rejection(services.prepareForCreate!(failing, ctx()) as Promise<void>);
    // 10.96.0.50 was claimed first and must be free again
    const again = await create(svc('rollback2', { ports: [{ port: 80 }], clusterIP: '10.96.0.50' }));
    expect(again.spec.clusterIP).to.equal('10.96.0.50');
  });

  it('dry run checks without claiming', async () => {
    const dry = await create(svc('dry', { ports: [{ port: 80 }], clusterIP: '10.96.0.60' }), ctx(true));
    expect(dry.spec.clusterIP).to.equal('10.96.0.60');
    await create(svc('wet', { ports: [{ port: 80 }], clusterIP: '10.96.0.60' }));
  });

  it('keeps, claims and frees values on update', async () => {
    const old = await create(svc('upd', { type: 'NodePort', ports: [{ port: 80 }] }));
    const oldPort = old.spec.ports[0].nodePort;
    // a PUT that leaves out the assigned values keeps them
    const put = svc('upd', { type: 'NodePort', ports: [{ port: 80 }] });
    put.metadata.uid = old.metadata.uid;
    await services.prepareForUpdate!(put, old, ctx());
    expect(put.spec.clusterIP).to.equal(old.spec.clusterIP);
    expect(put.spec.ports[0].nodePort).to.equal(oldPort);
    // back to ClusterIP: the node port is dropped and freed
    const toClusterIP = structuredClone(old);
    toClusterIP.spec.type = 'ClusterIP';
    await services.prepareForUpdate!(toClusterIP, old, ctx());
    expect(toClusterIP.spec.ports[0].nodePort).to.equal(undefined);
    expect(toClusterIP.spec.externalTrafficPolicy).to.equal(undefined);
    expect(services.validate!(toClusterIP)).to.deep.equal([]);
    const reuse = await create(svc('reuse', { type: 'NodePort', ports: [{ port: 80, nodePort: oldPort }] }));
    expect(reuse.spec.ports[0].nodePort).to.equal(oldPort);
  });

  it('two allocators on one etcd never hand out the same value', async () => {
    // outside the default range, where earlier tests drew ports at random
    const r1 = new NodePortAllocator(storage, '40000-40019');
    const r2 = new NodePortAllocator(storage, '40000-40019');
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? r1 : r2).allocateNext({ namespace: 'race', name: `s${i}`, uid: `u${i}` })));
    expect(new Set(got).size).to.equal(20);
    try {
      await r1.allocateNext({ namespace: 'race', name: 'extra', uid: 'x' });
      expect.fail('a full range gave out a port');
    } catch (e) {
      expect(e).to.be.instanceOf(AllocationError);
      expect((e as AllocationError).failure).to.equal('full');
    }
  });

  it('a small CIDR fills up and refuses the network address', async () => {
    const small = new ClusterIPAllocator(storage, '192.168.50.0/29');
    const owner = { namespace: 'small', name: 's', uid: 'u' };
    const got = new Set<string>();
    for (let i = 0; i < 5; i++) got.add(await small.allocateNext({ ...owner, name: `s${i}` }));
    expect([...got].sort()).to.deep.equal(['192.168.50.2', '192.168.50.3', '192.168.50.4', '192.168.50.5', '192.168.50.6']);
    expect(small.contains('192.168.50.0')).to.equal(false);
    expect(small.contains('192.168.50.7')).to.equal(false);
    expect(small.firstAddress()).to.equal('192.168.50.1');
  });
});
