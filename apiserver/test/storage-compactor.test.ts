import { expect } from 'chai';
import { ApiError } from '../src/errors.ts';
import { EtcdStorage } from '../src/storage/etcd-storage.ts';
import { CachedStorage } from '../src/storage/cached-storage.ts';
import { Compactor } from '../src/storage/compactor.ts';
import type { WatchEvent } from '../src/storage/interface.ts';
import { startEtcd } from './storage-etcd-helper.ts';
import type { TestEtcd } from './storage-etcd-helper.ts';

const obj = (name: string) => ({ metadata: { name, namespace: 'default' }, data: { v: name } });

async function expired(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).code).to.equal(410);
    return err as ApiError;
  }
  throw new Error('expected 410');
}

async function firstEvent(events: WatchEvent[]): Promise<WatchEvent> {
  const deadline = Date.now() + 5000;
  while (events.length === 0) {
    if (Date.now() > deadline) throw new Error('no watch event');
    await new Promise((r) => setTimeout(r, 10));
  }
  return events[0];
}

describe('storage: compaction', function () {
  this.timeout(60_000);
  let etcd: TestEtcd;
  let store: EtcdStorage;

  before(async () => {
    etcd = await startEtcd(22383);
    store = new EtcdStorage({ endpoints: [etcd.endpoint], prefix: '/compact' });
  });
  after(async () => {
    await store?.close();
    await etcd?.stop();
  });

  it("lets only one of several API servers compact per interval, to the previous tick's revision", async () => {
    const a = new Compactor({ client: store.client, prefix: '/compact', intervalMs: 0 });
    const b = new Compactor({ client: store.client, prefix: '/compact', intervalMs: 0 });
    // first interval: a claims it, but there is no previous revision to compact to yet
    const a1 = await a.tick();
    const b1 = await b.tick();
    expect(a1.compacted).to.equal(undefined);
    expect(b1.compacted).to.equal(undefined);

    const old = await store.create('/registry/configmaps/default/c1', obj('c1'));
    await store.guaranteedUpdate('/registry/configmaps/default/c1', (c) => ({ ...c!, data: { v: 'changed' } }));

    // second interval: a holds the clock and compacts to what it saw at its first tick
    const a2 = await a.tick();
    const b2 = await b.tick();
    expect(a2.compacted).to.equal(a1.nextRevision);
    expect(b2.compacted).to.equal(undefined);

    // third interval: b caught up with the clock and now wins the race it runs first in
    const b3 = await b.tick();
    const a3 = await a.tick();
    expect(b3.compacted).to.equal(b2.nextRevision);
    expect(a3.compacted).to.equal(undefined);

    const err = await expired(store.list('/registry/configmaps/', { resourceVersion: old.metadata.resourceVersion, resourceVersionMatch: 'Exact' }));
    expect(err.message).to.equal('The resourceVersion for the provided list is too old.');

    const events: WatchEvent[] = [];
    const w = await store.watch('/registry/configmaps/', { resourceVersion: String(Number(old.metadata.resourceVersion) - 1) }, (e) => events.push(e));
    const ev = await firstEvent(events);
    expect(ev.type).to.equal('ERROR');
    expect(ev.object).to.deep.include({ code: 410, reason: 'Expired' });
    w.stop();
  });

  it('compacts on its timer, after which a continue token from before is too old', async () => {
    for (let i = 0; i < 5; i++) await store.create(`/registry/secrets/default/s${i}`, obj(`s${i}`));
    const page = await store.list('/registry/secrets/', { limit: 2 });
    expect(page.continue).to.be.a('string');
    await store.create('/registry/secrets/default/s9', obj('s9'));
    const timed = new Compactor({ client: store.client, prefix: '/timed', intervalMs: 50 });
    timed.start();
    const deadline = Date.now() + 5000;
    let err: ApiError | undefined;
    while (!err && Date.now() < deadline) {
      try {
        await store.list('/registry/secrets/', { limit: 2, continue: page.continue });
        await new Promise((r) => setTimeout(r, 25));
      } catch (e) {
        err = e as ApiError;
      }
    }
    await timed.stop();
    expect(err).to.be.instanceOf(ApiError);
    expect(err!.code).to.equal(410);
    expect(err!.message).to.match(/^The provided continue parameter is too old/);
  });

  it('a cached watch keeps going across compaction once it is past the compacted revision', async () => {
    const cached = new CachedStorage(new EtcdStorage({ endpoints: [etcd.endpoint], prefix: '/compact' }));
    const events: WatchEvent[] = [];
    const w = await cached.watch('/registry/leases/', {}, (e) => events.push(e));
    // a write first: the timed compactor of the case before may have compacted up to the
    // current revision on its last tick, and compacting a compacted revision is refused
    await store.create('/registry/secrets/default/before-compaction', obj('before-compaction'));
    await store.client.kv.compact({ revision: await store.currentRevision() });
    await store.create('/registry/leases/default/l', obj('l'));
    expect((await firstEvent(events)).type).to.equal('ADDED');
    w.stop();
    await cached.close();
  });
});
