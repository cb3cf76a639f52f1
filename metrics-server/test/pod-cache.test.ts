// The metrics server's pod cache against a real apiserver: the list read in pages, then pods
// added and deleted followed by the watch; PodMetrics' pod selection answered from it, and by
// the apiserver for a field the cache does not hold.
import { expect } from 'chai';
import { useApiserver, until } from '@skiff/common/testing/index';
import { ApiError } from '@skiff/common/apimachinery/status';
import { createLogger } from '@skiff/common/log';
import { ApiserverClient } from '../src/apiserver-client.ts';
import { loadCredentials } from '../src/kubeconfig.ts';
import { PodCache, selectPods } from '../src/pod-cache.ts';

describe('metrics-server: pod cache', function () {
  this.timeout(60_000);
  const cluster = useApiserver();
  let cache: PodCache;
  let api: ApiserverClient;

  const create = async (path: string, body: object) => {
    const r = await cluster.server.request('POST', path, { body });
    expect(r.status, r.body).to.equal(201);
  };
  const pod = (name: string, app: string, nodeName: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app } },
    spec: { nodeName, automountServiceAccountToken: false, containers: [{ name: 'main', image: 'busybox' }] },
  });
  const names = (pods: { namespace: string; name: string }[] | undefined) => pods?.map((p) => `${p.namespace}/${p.name}`);

  before(async () => {
    for (const ns of ['pc-a', 'pc-b']) await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (let i = 0; i < 5; i++) await create('/api/v1/namespaces/pc-a/pods', pod(`p-${i}`, i % 2 ? 'odd' : 'even', 'n1'));
    await create('/api/v1/namespaces/pc-b/pods', pod('p-0', 'even', 'n2'));
    api = new ApiserverClient(loadCredentials(cluster.server.kubeconfigPath));
    // pages of 2: the six pods come in three pages or more (other tests' pods too)
    cache = new PodCache(api, createLogger('pod-cache-test'), 2);
    await cache.start();
  });
  after(() => {
    cache?.stop();
    api?.close();
  });

  it('lists every page, then follows additions and deletions', async () => {
    expect(names(await cache.select('pc-a', undefined, undefined))).to.deep.equal(['pc-a/p-0', 'pc-a/p-1', 'pc-a/p-2', 'pc-a/p-3', 'pc-a/p-4']);
    expect(cache.get('pc-b/p-0')).to.deep.equal({ name: 'p-0', namespace: 'pc-b', labels: { app: 'even' } });
    await create('/api/v1/namespaces/pc-b/pods', pod('late', 'odd', 'n2'));
    await until('pc-b/late seen', () => cache.get('pc-b/late'));
    const deleted = await cluster.server.request('DELETE', '/api/v1/namespaces/pc-a/pods/p-4?gracePeriodSeconds=0');
    expect(deleted.status, deleted.body).to.be.oneOf([200, 202]);
    await until('pc-a/p-4 gone', () => !cache.get('pc-a/p-4'));
    expect(cache.hasSynced()).to.equal(true);
  });

  it('selects by namespace, label selector and metadata field selector from the cache', async () => {
    expect(names(await cache.select(undefined, 'app=even', 'metadata.namespace!=pc-x'))).to.deep.equal(['pc-a/p-0', 'pc-a/p-2', 'pc-b/p-0']);
    expect(names(await cache.select('pc-a', 'app in (odd)', undefined))).to.deep.equal(['pc-a/p-1', 'pc-a/p-3']);
    expect(names(await cache.select('pc-b', undefined, 'metadata.name=p-0'))).to.deep.equal(['pc-b/p-0']);
  });

  it('asks the apiserver for fields it does not hold, and answers 400 to a bad field selector', async () => {
    const cached = cache.list();
    expect(selectPods(cached, undefined, undefined, 'spec.nodeName=n2')).to.equal(undefined);
    expect(names(await cache.select(undefined, undefined, 'spec.nodeName=n2'))).to.deep.equal(['pc-b/late', 'pc-b/p-0']);
    const err = await cache.select(undefined, undefined, 'metadata.name').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).code).to.equal(400);
  });
});
