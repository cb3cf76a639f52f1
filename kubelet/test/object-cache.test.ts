// The kubelet's short-lived cache of the objects pod volumes refer to.
import { expect } from 'chai';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { ObjectCache } from '../src/api/object-cache.ts';
import type { PodObjectSource } from '../src/api/objects.ts';

function countingSource(store: Map<string, V1ConfigMap>) {
  const reads: string[] = [];
  const source: PodObjectSource = {
    configMap: async (ns, name) => {
      reads.push(`configmap/${ns}/${name}`);
      return store.get(`${ns}/${name}`) ?? null;
    },
    secret: async (ns, name) => {
      reads.push(`secret/${ns}/${name}`);
      return { metadata: { namespace: ns, name }, data: { k: 'dg==' } };
    },
    persistentVolumeClaim: async () => null,
    persistentVolume: async () => null,
    serviceAccountToken: async () => {
      reads.push('token');
      return 't';
    },
  };
  return { source, reads };
}

const cm = (color: string): V1ConfigMap => ({ metadata: { namespace: 'ns', name: 'cfg' }, data: { color } });

describe('kubelet: object cache for pod volumes', () => {
  it('serves a cached read for its TTL, then reads the apiserver again and sees the update', async () => {
    let now = 1_000;
    const store = new Map([['ns/cfg', cm('blue')]]);
    const { source, reads } = countingSource(store);
    const cache = new ObjectCache(source, 10_000, () => now);
    expect((await cache.cached.configMap('ns', 'cfg'))?.data?.color).to.equal('blue');
    store.set('ns/cfg', cm('green'));
    now += 9_999;
    expect((await cache.cached.configMap('ns', 'cfg'))?.data?.color).to.equal('blue');
    expect(reads).to.deep.equal(['configmap/ns/cfg']);
    now += 1;
    expect((await cache.cached.configMap('ns', 'cfg'))?.data?.color).to.equal('green');
    expect(reads).to.have.length(2);
  });

  it('a fresh read always asks the apiserver and refreshes what cached reads see', async () => {
    const now = 1_000;
    const store = new Map([['ns/cfg', cm('blue')]]);
    const { source, reads } = countingSource(store);
    const cache = new ObjectCache(source, 10_000, () => now);
    await cache.cached.configMap('ns', 'cfg');
    store.set('ns/cfg', cm('green'));
    expect((await cache.fresh.configMap('ns', 'cfg'))?.data?.color).to.equal('green');
    expect((await cache.cached.configMap('ns', 'cfg'))?.data?.color).to.equal('green');
    expect(reads).to.have.length(2);
  });

  it('keeps no missing object: a pod waiting for one sees it as soon as it exists', async () => {
    const store = new Map<string, V1ConfigMap>();
    const { source, reads } = countingSource(store);
    const cache = new ObjectCache(source, 10_000, () => 1_000);
    expect(await cache.cached.configMap('ns', 'cfg')).to.equal(null);
    store.set('ns/cfg', cm('blue'));
    expect((await cache.cached.configMap('ns', 'cfg'))?.data?.color).to.equal('blue');
    expect(reads).to.have.length(2);
    expect(cache.size).to.equal(1);
  });

  it('keeps kinds and namespaces apart, and leaves tokens to their own cache', async () => {
    const { source, reads } = countingSource(
      new Map([
        ['a/x', cm('a')],
        ['b/x', cm('b')],
      ]),
    );
    const cache = new ObjectCache(source, 10_000, () => 1_000);
    expect((await cache.cached.configMap('a', 'x'))?.data?.color).to.equal('a');
    expect((await cache.cached.configMap('b', 'x'))?.data?.color).to.equal('b');
    await cache.cached.secret('a', 'x');
    await cache.cached.serviceAccountToken({ namespace: 'a', serviceAccount: 'default', podName: 'p', podUid: 'u', expirationSeconds: 3600 });
    await cache.cached.serviceAccountToken({ namespace: 'a', serviceAccount: 'default', podName: 'p', podUid: 'u', expirationSeconds: 3600 });
    expect(reads).to.deep.equal(['configmap/a/x', 'configmap/b/x', 'secret/a/x', 'token', 'token']);
  });
});
