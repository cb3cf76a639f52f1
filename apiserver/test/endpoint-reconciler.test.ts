// The `kubernetes` Service's endpoints with two apiservers on one etcd (upstream's lease
// endpoint reconciler): both addresses appear; one killed with SIGKILL leaves once its
// etcd lease expires; one stopped cleanly removes itself before it exits.
import assert from 'node:assert/strict';
import { FlagError } from '@skiff/common';
import { freePort, makeServingCert, sharedEtcd, sharedPki, startApiserver, uniqueEtcdPrefix, until, type ApiserverHandle } from '@skiff/common/testing/index';

import { loadConfig } from '../src/config.ts';

const A = '127.0.0.2';
const B = '127.0.0.3';

interface Seen {
  endpoints: string[];
  endpointsPorts: unknown;
  slice: string[];
  slicePorts: unknown;
}

async function seen(server: ApiserverHandle): Promise<Seen> {
  const ep = await server.request('GET', '/api/v1/namespaces/default/endpoints/kubernetes');
  const sl = await server.request('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes');
  assert.equal(ep.status, 200, ep.body);
  assert.equal(sl.status, 200, sl.body);
  const e = JSON.parse(ep.body);
  const s = JSON.parse(sl.body);
  assert.equal(e.subsets.length, 1, ep.body);
  return {
    endpoints: e.subsets[0].addresses.map((a: { ip: string }) => a.ip),
    endpointsPorts: e.subsets[0].ports,
    slice: s.endpoints.map((x: { addresses: string[] }) => x.addresses[0]),
    slicePorts: s.ports,
  };
}

describe('kubernetes Service endpoints with two apiservers (lease reconciler)', function () {
  this.timeout(180_000);
  let a: ApiserverHandle | undefined;
  let b: ApiserverHandle | undefined;
  let port = 0;

  before(async () => {
    const etcd = await sharedEtcd();
    const pki = await sharedPki();
    const servingCert = await makeServingCert(pki, 'apiserver-two', 'kube-apiserver', [A, B]);
    const prefix = uniqueEtcdPrefix();
    port = await freePort();
    const common = { etcdUrl: etcd.url, ...(etcd.tls ? { etcdTls: etcd.tls } : {}), prefix, port, servingCert };
    a = await startApiserver({ ...common, address: A });
    b = await startApiserver({ ...common, address: B });
  });

  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('lists both addresses, sorted, with the secure port, in the Endpoints and the EndpointSlice', async () => {
    // b wrote the endpoints with both once it was up: a's lease was live then
    const s = await seen(a!);
    assert.deepEqual(s.endpoints, [A, B]);
    assert.deepEqual(s.slice, [A, B]);
    assert.deepEqual(s.endpointsPorts, [{ name: 'https', port, protocol: 'TCP' }]);
    assert.deepEqual(s.slicePorts, [{ name: 'https', port, protocol: 'TCP' }]);
    const e = JSON.parse((await a!.request('GET', '/api/v1/namespaces/default/endpoints/kubernetes')).body);
    assert.equal(e.metadata.labels['endpointslice.kubernetes.io/skip-mirror'], 'true');
  });

  it('drops an apiserver killed with SIGKILL once its lease expires', async () => {
    const started = Date.now();
    process.kill(b!.pid, 'SIGKILL');
    // lease TTL 15 s (16 with the lease manager's reuse window) after its last renewal; a
    // watches the leases and rewrites the endpoints when it expires (else within 10 s more)
    await until('the killed apiserver to leave the endpoints', async () => (await seen(a!)).endpoints.join() === A, 60_000, 500);
    const s = await seen(a!);
    assert.deepEqual(s.slice, [A]);
    console.log(`      killed apiserver left the kubernetes endpoints after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('comes back when started again, and leaves at once when stopped cleanly', async () => {
    await b!.halt(); // reaps the killed process
    await b!.start();
    // b's own first reconcile ran before it said ready
    assert.deepEqual((await seen(b!)).endpoints, [A, B]);
    await b!.halt(); // SIGTERM: removes its lease and rewrites the endpoints before exiting
    const s = await seen(a!);
    assert.deepEqual(s.endpoints, [A]);
    assert.deepEqual(s.slice, [A]);
  });
});

describe('endpoint reconciler flags', () => {
  const base = ['--etcd-servers=http://127.0.0.1:1', '--etcd-allow-insecure'];
  it('takes lease (the default) or none, and refuses anything else', () => {
    assert.equal(loadConfig(base).endpointReconcilerType, 'lease');
    assert.equal(loadConfig([...base, '--endpoint-reconciler-type=none']).endpointReconcilerType, 'none');
    assert.throws(() => loadConfig([...base, '--endpoint-reconciler-type=master-count']), FlagError);
  });
  it('takes an IPv4 advertise address, not a name', () => {
    assert.equal(loadConfig([...base, '--advertise-address=10.0.0.7']).advertiseAddress, '10.0.0.7');
    assert.throws(() => loadConfig([...base, '--advertise-address=cp1.example']), FlagError);
  });
});
