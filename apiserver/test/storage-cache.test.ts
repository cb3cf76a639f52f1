import { expect } from 'chai';
import { EtcdStorage } from '../src/storage/etcd-storage.ts';
import { CachedStorage } from '../src/storage/cached-storage.ts';
import { createStorage } from '../src/storage/index.ts';
import type { WatchEvent } from '../src/storage/interface.ts';
import type { KObject } from '../src/registry/types.ts';
import { startEtcd } from './storage-etcd-helper.ts';
import type { TestEtcd } from './storage-etcd-helper.ts';

const pod = (name: string, ns = 'default', extra: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels: { app: 'x' } },
  spec: { n: 1 },
  ...extra,
});

function collect() {
  const events: WatchEvent[] = [];
  return {
    events,
    onEvent: (ev: WatchEvent) => {
      events.push(ev);
    },
    waitFor: async (n: number, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      while (events.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${events.length} of ${n} events: ${JSON.stringify(events.map((e) => e.type))}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return events;
    },
  };
}

const names = (items: KObject[]) => items.map((o) => o.metadata.name ?? '');

describe('storage: CachedStorage (watch cache) on a real etcd', function () {
  this.timeout(120_000);
  let etcd: TestEtcd;
  let raw: EtcdStorage;
  let store: CachedStorage;
  let n = 0;

  before(async () => {
    etcd = await startEtcd(22381);
  });
  after(async () => {
    await etcd?.stop();
  });
  beforeEach(() => {
    n++;
    raw = new EtcdStorage({ endpoints: [etcd.endpoint], prefix: `/c${n}` });
    store = new CachedStorage(raw, { bookmarkIntervalMs: 100 });
  });
  afterEach(async () => {
    await store.close();
  });

  it('a consistent list sees every write made before it', async () => {
    await store.list('/registry/pods/', {});
    for (let i = 0; i < 30; i++) {
      const made = await store.create(`/registry/pods/default/p${i}`, pod(`p${i}`));
      const res = await store.list('/registry/pods/default/', {});
      expect(res.items).to.have.length(i + 1);
      expect(res.resourceVersion).to.be.at.least(Number(made.metadata.resourceVersion));
    }
  });

  it('a consistent list does not wait out the timeout when the newest write is another resource', async () => {
    await store.create('/registry/pods/default/a', pod('a'));
    await store.list('/registry/pods/', {});
    await new Promise((r) => setTimeout(r, 400));
    await store.create('/registry/configmaps/default/c', pod('c'));
    const t0 = Date.now();
    const res = await store.list('/registry/pods/', {});
    expect(Date.now() - t0).to.be.below(1000);
    expect(res.resourceVersion).to.equal(await store.currentRevision());
  });

  it('serves resourceVersion 0 and pages with limit/continue from the cache', async () => {
    const all = Array.from({ length: 250 }, (_, i) => `p-${String(i).padStart(4, '0')}`);
    await Promise.all(all.map((name) => store.create(`/registry/pods/ns/${name}`, pod(name, 'ns'))));
    await store.create('/registry/pods/zz/other', pod('other', 'zz'));
    const any = await store.list('/registry/pods/ns/', { resourceVersion: '0' });
    expect(names(any.items)).to.deep.equal(all);

    const seen: string[] = [];
    let page = await store.list('/registry/pods/ns/', { limit: 100 });
    expect(page.remainingItemCount).to.equal(150);
    for (;;) {
      seen.push(...names(page.items));
      if (!page.continue) break;
      page = await store.list('/registry/pods/ns/', { limit: 100, continue: page.continue });
    }
    expect(seen).to.deep.equal(all);

    // a change between pages: the next page comes from etcd at the first page's revision
    const first = await store.list('/registry/pods/ns/', { limit: 100 });
    await store.delete('/registry/pods/ns/p-0150');
    const second = await store.list('/registry/pods/ns/', { limit: 200, continue: first.continue });
    expect(second.resourceVersion).to.equal(first.resourceVersion);
    expect(names(second.items)).to.deep.equal(all.slice(100, 250));

    const filtered = await store.list('/registry/pods/ns/', { limit: 3, predicate: (o) => o.metadata.name!.endsWith('7') });
    expect(names(filtered.items)).to.deep.equal(['p-0007', 'p-0017', 'p-0027']);
  });

  it('hands out copies of frozen objects', async () => {
    await store.create('/registry/pods/default/f', pod('f'));
    const [item] = (await store.list('/registry/pods/default/', {})).items;
    item.kind = 'Changed';
    item.metadata.resourceVersion = 'x';
    expect(() => {
      item.spec.n = 2;
    }).to.throw(TypeError);
    const [again] = (await store.list('/registry/pods/default/', {})).items;
    expect(again.kind).to.equal('Pod');
    expect(again.metadata.resourceVersion).to.not.equal('x');
  });

  it('watches from the cache with prevObject, replaying from a revision', async () => {
    const live = collect();
    const w = await store.watch('/registry/pods/default/', {}, live.onEvent);
    const a = await store.create('/registry/pods/default/w', pod('w'));
    await store.create('/registry/pods/elsewhere/w', pod('w', 'elsewhere'));
    const b = await store.guaranteedUpdate('/registry/pods/default/w', (c) => ({ ...c!, spec: { n: 2 } }));
    const d = await store.delete('/registry/pods/default/w');
    const evs = await live.waitFor(3);
    expect(evs.map((e) => e.type)).to.deep.equal(['ADDED', 'MODIFIED', 'DELETED']);
    expect(evs[1].object).to.deep.equal(b);
    expect(evs[1].prevObject).to.deep.equal(a);
    expect(evs[2].object).to.deep.equal(d);

    const replay = collect();
    const w2 = await store.watch('/registry/pods/default/', { resourceVersion: a.metadata.resourceVersion }, replay.onEvent);
    expect((await replay.waitFor(2)).map((e) => e.type)).to.deep.equal(['MODIFIED', 'DELETED']);
    const initial = collect();
    await store.create('/registry/pods/default/v', pod('v'));
    await store.list('/registry/pods/', {}); // resourceVersion '0' may be served from a cache that has not seen the write yet
    const w3 = await store.watch('/registry/pods/', { resourceVersion: '0' }, initial.onEvent);
    const got = await initial.waitFor(2);
    expect(got.map((e) => `${e.type}:${e.object.metadata.namespace}/${e.object.metadata.name}`)).to.deep.equal(['ADDED:default/v', 'ADDED:elsewhere/w']);
    w.stop();
    w2.stop();
    w3.stop();
  });

  it("offers a watcher with a trigger only the events whose object had or has its value (kubelets' spec.nodeName)", async () => {
    const nodeOf = (o: KObject) => String((o.spec as { nodeName?: string } | undefined)?.nodeName ?? '');
    const onA = collect();
    const onB = collect();
    const unbound = collect();
    const everyone = collect();
    const watches = [
      await store.watch('/registry/pods/', { trigger: { value: 'a', of: nodeOf } }, onA.onEvent),
      await store.watch('/registry/pods/', { trigger: { value: 'b', of: nodeOf } }, onB.onEvent),
      await store.watch('/registry/pods/', { trigger: { value: '', of: nodeOf } }, unbound.onEvent),
      await store.watch('/registry/pods/', {}, everyone.onEvent),
    ];
    await store.create('/registry/pods/default/p', pod('p'));
    await store.guaranteedUpdate('/registry/pods/default/p', (c) => ({ ...c!, spec: { nodeName: 'a' } }));
    await store.create('/registry/pods/default/q', pod('q', 'default', { spec: { nodeName: 'b' } }));
    // moved from a to b (a store would not allow it for pods; the cache must not lose the old node's watcher)
    await store.guaranteedUpdate('/registry/pods/default/p', (c) => ({ ...c!, spec: { nodeName: 'b' } }));
    await store.delete('/registry/pods/default/q');
    await everyone.waitFor(5);
    await onB.waitFor(3);
    const seen = (c: ReturnType<typeof collect>) => c.events.map((e) => `${e.type}:${e.object.metadata.name}`);
    expect(seen(onA)).to.deep.equal(['MODIFIED:p', 'MODIFIED:p']);
    expect(seen(onB)).to.deep.equal(['ADDED:q', 'MODIFIED:p', 'DELETED:q']);
    expect(seen(unbound)).to.deep.equal(['ADDED:p', 'MODIFIED:p']);
    expect(seen(everyone)).to.have.length(5);
    for (const w of watches) w.stop();
    // a stopped watcher is filed nowhere any more
    expect(store.stats().find((c) => c.resource.includes('pods'))?.watchers).to.equal(0);

    // a trigger that cannot read an object hands that event to all its watchers, not to none
    const picky = (o: KObject) => {
      if (o.metadata.name === 'odd') throw new Error('unreadable');
      return nodeOf(o);
    };
    const onC = collect();
    const w = await store.watch('/registry/pods/', { trigger: { value: 'c', of: picky } }, onC.onEvent);
    await store.create('/registry/pods/default/odd', pod('odd'));
    await store.create('/registry/pods/default/on-c', pod('on-c', 'default', { spec: { nodeName: 'c' } }));
    await onC.waitFor(2);
    expect(seen(onC)).to.deep.equal(['ADDED:odd', 'ADDED:on-c']);
    w.stop();
  });

  it('answers a watch older than the event ring with 410 Expired', async () => {
    const small = new CachedStorage(new EtcdStorage({ endpoints: [etcd.endpoint], prefix: `/small${n}` }), { eventsPerResource: 5 });
    try {
      await small.list('/registry/pods/', {});
      const first = await small.create('/registry/pods/default/r0', pod('r0'));
      for (let i = 1; i < 10; i++) await small.create(`/registry/pods/default/r${i}`, pod(`r${i}`));
      await small.list('/registry/pods/', {});
      const c = collect();
      await small.watch('/registry/pods/', { resourceVersion: first.metadata.resourceVersion }, c.onEvent);
      const [ev] = await c.waitFor(1);
      expect(ev.type).to.equal('ERROR');
      expect(ev.object).to.deep.include({ code: 410, reason: 'Expired' });
      expect(ev.object.message).to.match(/^too old resource version: \d+ \(\d+\)$/);
    } finally {
      await small.close();
    }
  });

  it('sends bookmarks on its timer and on request', async () => {
    await store.create('/registry/pods/default/bm', pod('bm'));
    const with_ = collect();
    const without = collect();
    const w1 = await store.watch('/registry/pods/', { allowBookmarks: true }, with_.onEvent);
    const w2 = await store.watch('/registry/pods/', {}, without.onEvent);
    const [bm] = await with_.waitFor(1);
    expect(bm.type).to.equal('BOOKMARK');
    expect(bm.object).to.deep.equal({ metadata: { resourceVersion: String(bm.revision) } });
    const before = with_.events.length;
    w1.requestBookmark?.();
    expect(with_.events.length).to.equal(before + 1);
    await new Promise((r) => setTimeout(r, 250));
    expect(without.events).to.have.length(0);
    w1.stop();
    w2.stop();
  });

  it('serves thousands of watchers from one etcd watch', async () => {
    let etcdWatches = 0;
    const watchClient = raw.client.watchClient;
    const original = watchClient.watch.bind(watchClient);
    watchClient.watch = (...args) => {
      etcdWatches++;
      return original(...args);
    };
    const counts = new Array(3000).fill(0);
    const watchers = await Promise.all(
      counts.map((_, i) =>
        store.watch(i % 2 ? '/registry/pods/' : '/registry/pods/default/', {}, () => {
          counts[i]++;
        }),
      ),
    );
    await store.create('/registry/pods/default/one', pod('one'));
    await store.create('/registry/pods/other/two', pod('two', 'other'));
    const deadline = Date.now() + 5000;
    while (counts.some((c, i) => c < (i % 2 ? 2 : 1)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(counts.filter((c, i) => c === (i % 2 ? 2 : 1))).to.have.length(3000);
    expect(etcdWatches).to.equal(1);
    expect(store.stats()).to.deep.equal([{ resource: '/registry/pods/', revision: await store.currentRevision(), watchers: 3000 }]);
    for (const w of watchers) w.stop();
    expect(store.stats()[0].watchers).to.equal(0);
  });

  it('lists 10,000 pods from the cache in well under 150 ms', async () => {
    const total = 10_000;
    for (let i = 0; i < total; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, j) => {
          const name = `pod-${i + j}`;
          return raw.create(`/registry/pods/bulk/${name}`, pod(name, 'bulk', { status: { phase: 'Running', podIP: '10.0.0.1' } }));
        }),
      );
    }
    await store.list('/registry/pods/', { resourceVersion: '0' });
    let best = Infinity;
    for (let round = 0; round < 5; round++) {
      const t0 = performance.now();
      const res = await store.list('/registry/pods/', {});
      best = Math.min(best, performance.now() - t0);
      expect(res.items).to.have.length(total);
    }
    console.log(`      best cached LIST of ${total} pods: ${best.toFixed(1)} ms`);
    expect(best).to.be.below(75);
  });

  it('keeps the cache and its watchers going across an etcd restart', async () => {
    const c = collect();
    const w = await store.watch('/registry/services/', {}, c.onEvent);
    await store.create('/registry/services/default/s1', pod('s1'));
    await c.waitFor(1);
    await etcd.restart();
    await store.create('/registry/services/default/s2', pod('s2'));
    expect(names((await store.list('/registry/services/', {})).items)).to.deep.equal(['s1', 's2']);
    expect(names((await c.waitFor(2)).map((e) => e.object))).to.deep.equal(['s1', 's2']);
    w.stop();
  });

  it('createStorage builds a cached storage that closes cleanly', async () => {
    const s = await createStorage({ endpoints: [etcd.endpoint], prefix: `/factory${n}`, cache: true, compactIntervalMs: 0 });
    await s.create('/registry/namespaces/default', { metadata: { name: 'default' } });
    expect(names((await s.list('/registry/namespaces/', {})).items)).to.deep.equal(['default']);
    expect(s).to.be.instanceOf(CachedStorage);
    await s.close();
  });
});
