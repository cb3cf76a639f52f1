// A component's client with two apiservers on one etcd: when the one it talks to is killed,
// its calls and its informer's watch go on through the other.
import assert from 'node:assert/strict';
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { Informer, loadKubeConfig, parseApiserverEndpoints, withApiserverFailover } from '../src/index.ts';
import { freePort, makeServingCert, sharedEtcd, sharedPki, startApiserver, uniqueEtcdPrefix, until, type ApiserverHandle } from '../src/testing/index.ts';

const A = '127.0.0.4';
const B = '127.0.0.5';

describe('apiserver endpoints: parsing', () => {
  it('takes URLs or host:port, de-duplicated, 443 by default', () => {
    assert.deepEqual(parseApiserverEndpoints(' https://10.0.0.11:6443, 10.0.0.12:6443,10.0.0.11:6443,cp3 '), [
      { host: '10.0.0.11', port: 6443 },
      { host: '10.0.0.12', port: 6443 },
      { host: 'cp3', port: 443 },
    ]);
    assert.deepEqual(parseApiserverEndpoints(undefined), []);
    assert.throws(() => parseApiserverEndpoints('http://10.0.0.11:8080'), /not https/);
  });
});

describe('apiserver fail-over in the shared client', function () {
  this.timeout(180_000);
  let a: ApiserverHandle | undefined;
  let b: ApiserverHandle | undefined;
  const ns = 'default';
  const labels = { test: 'apiserver-failover' };

  before(async () => {
    const etcd = await sharedEtcd();
    const pki = await sharedPki();
    const servingCert = await makeServingCert(pki, 'apiserver-failover', 'kube-apiserver', [A, B]);
    const prefix = uniqueEtcdPrefix();
    const port = await freePort();
    const common = { etcdUrl: etcd.url, ...(etcd.tls ? { etcdTls: etcd.tls } : {}), prefix, port, servingCert };
    a = await startApiserver({ ...common, address: A });
    b = await startApiserver({ ...common, address: B });
  });

  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  const configMap = (name: string): V1ConfigMap => ({ metadata: { name, labels }, data: { name } });

  it('keeps creating objects and watching them through the other apiserver when one is killed', async () => {
    // the kubeconfig names a; the list adds b, as the lab gives every component
    const kc = loadKubeConfig(a!.kubeconfigPath, b!.url);
    const api = kc.makeApiClient(CoreV1Api);
    const seen = new Set<string>();
    const informer = new Informer<V1ConfigMap>({
      kubeConfig: kc,
      path: `/api/v1/namespaces/${ns}/configmaps`,
      labelSelector: 'test=apiserver-failover',
      list: () => api.listNamespacedConfigMap({ namespace: ns, labelSelector: 'test=apiserver-failover' }),
      maxBackoffMs: 1000,
    }).on({ add: (cm) => seen.add(cm.metadata!.name!) });
    await informer.start();
    try {
      await informer.waitForSync();
      await api.createNamespacedConfigMap({ namespace: ns, body: configMap('before') });
      await until('the informer to see the first ConfigMap', () => seen.has('before'), 20_000, 100);

      process.kill(a!.pid, 'SIGKILL');
      // a request on a kept-alive connection to a can fail once; the caller's retry goes to b
      let failures = 0;
      await until(
        'a create after the kill',
        async () => {
          try {
            await api.createNamespacedConfigMap({ namespace: ns, body: configMap('after') });
            return true;
          } catch (e) {
            if ((e as { code?: number }).code === 409) return true; // the failed try was written after all
            failures++;
            return false;
          }
        },
        30_000,
        200,
      );
      assert.ok(failures <= 2, `${failures} failed creates before the fail-over`);
      console.log(`      ${failures} failed create(s) between the kill and the fail-over`);
      // from now on every call goes to b at the first try
      for (let i = 0; i < 10; i++) await api.createNamespacedConfigMap({ namespace: ns, body: configMap(`later-${i}`) });
      const read = await api.readNamespacedConfigMap({ namespace: ns, name: 'later-9' });
      assert.equal(read.data?.name, 'later-9');
      // the informer's watch ended with a; it listed and watches again through b
      await until('the informer to see the ConfigMaps created after the kill', () => seen.has('after') && seen.has('later-9'), 60_000, 200);
    } finally {
      informer.stop();
    }
  });

  it('without the list, a client of the killed apiserver fails (the baseline)', async () => {
    const kc = loadKubeConfig(a!.kubeconfigPath, '');
    const api = kc.makeApiClient(CoreV1Api);
    await assert.rejects(api.readNamespacedConfigMap({ namespace: ns, name: 'later-9' }), /ECONNREFUSED|connect/);
    // the same with b added answers
    const kc2 = loadKubeConfig(a!.kubeconfigPath, '');
    const endpoints = withApiserverFailover(kc2, parseApiserverEndpoints(b!.url));
    const cm = await kc2.makeApiClient(CoreV1Api).readNamespacedConfigMap({ namespace: ns, name: 'later-9' });
    assert.equal(cm.data?.name, 'later-9');
    assert.equal(endpoints.current.host, B);
  });
});
