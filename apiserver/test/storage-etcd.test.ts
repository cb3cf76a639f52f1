import { expect } from 'chai';
import { ApiError } from '../src/errors.ts';
import { EtcdStorage } from '../src/storage/etcd-storage.ts';
import type { WatchEvent } from '../src/storage/interface.ts';
import type { KObject } from '../src/registry/types.ts';
import { startEtcd } from './storage-etcd-helper.ts';
import type { TestEtcd } from './storage-etcd-helper.ts';

const pod = (name: string, extra: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { n: 1 },
  ...extra,
});

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected a rejection');
}

function collect(): { events: WatchEvent[]; onEvent: (ev: WatchEvent) => void; waitFor: (n: number) => Promise<WatchEvent[]> } {
  const events: WatchEvent[] = [];
  const waiters: Array<() => void> = [];
  return {
    events,
    onEvent: (ev) => {
      events.push(ev);
      for (const w of waiters.splice(0)) w();
    },
    waitFor: async (n) => {
      const deadline = Date.now() + 5000;
      while (events.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${events.length} of ${n} events: ${JSON.stringify(events.map((e) => e.type))}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
      return events;
    },
  };
}

describe('storage: EtcdStorage on a real etcd', function () {
  this.timeout(60_000);
  let etcd: TestEtcd;
  let store: EtcdStorage;
  let n = 0;
  const prefix = () => `/t${n}`;

  before(async () => {
    etcd = await startEtcd(22379);
  });
  after(async () => {
    await etcd?.stop();
  });
  beforeEach(() => {
    n++;
    store = new EtcdStorage({ endpoints: [etcd.endpoint], prefix: prefix() });
  });
  afterEach(async () => {
    await store.close();
  });

  it('creates, reads, updates and deletes with resourceVersion = mod revision', async () => {
    const created = await store.create('/registry/pods/default/a', pod('a'));
    const rv1 = Number(created.metadata.resourceVersion);
    expect(rv1).to.be.greaterThan(0);
    const got = await store.get('/registry/pods/default/a');
    expect(got).to.deep.equal(created);
    const raw = await store.client.get(`${prefix()}/registry/pods/default/a`).string();
    expect(JSON.parse(raw!).metadata).to.not.have.property('resourceVersion');

    const updated = await store.guaranteedUpdate('/registry/pods/default/a', (cur) => ({ ...cur!, spec: { n: 2 } }));
    expect(Number(updated.metadata.resourceVersion)).to.be.greaterThan(rv1);
    expect(updated.spec).to.deep.equal({ n: 2 });

    const unchanged = await store.guaranteedUpdate('/registry/pods/default/a', (cur) => ({ ...cur! }));
    expect(unchanged.metadata.resourceVersion).to.equal(updated.metadata.resourceVersion);

    const deleted = await store.delete('/registry/pods/default/a');
    expect(deleted.spec).to.deep.equal({ n: 2 });
    expect(Number(deleted.metadata.resourceVersion)).to.be.greaterThan(Number(updated.metadata.resourceVersion));
    expect(await store.get('/registry/pods/default/a')).to.equal(undefined);
    expect(await store.currentRevision()).to.equal(Number(deleted.metadata.resourceVersion));
  });

  it('reports AlreadyExists, NotFound and Conflict as apimachinery words them', async () => {
    await store.create('/registry/pods/default/x', pod('x'));
    const exists = await rejection(store.create('/registry/pods/default/x', pod('x')));
    expect(exists.code).to.equal(409);
    expect(exists.reason).to.equal('AlreadyExists');
    expect(exists.message).to.equal('pods "x" already exists');

    const missing = await rejection(store.delete('/registry/pods/default/nope'));
    expect(missing.code).to.equal(404);
    expect(missing.message).to.equal('pods "nope" not found');
    expect((await rejection(store.guaranteedUpdate('/registry/pods/default/nope', (c) => c))).code).to.equal(404);

    const conflict = await rejection(store.guaranteedUpdate('/registry/pods/default/x', (c) => ({ ...c!, spec: {} }), { expectedResourceVersion: '1' }));
    expect(conflict.code).to.equal(409);
    expect(conflict.reason).to.equal('Conflict');
    expect(conflict.message).to.equal(
      'Operation cannot be fulfilled on pods "x": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect((await rejection(store.delete('/registry/pods/default/x', { expectedResourceVersion: '1' }))).reason).to.equal('Conflict');

    const nodes = new EtcdStorage({
      endpoints: [etcd.endpoint],
      prefix: prefix(),
      describeKey: (k) => ({ group: 'apps', resource: 'deployments', name: k.split('/').pop()! }),
    });
    await nodes.create('/registry/deployments/default/d', pod('d'));
    expect((await rejection(nodes.create('/registry/deployments/default/d', pod('d')))).message).to.equal('deployments.apps "d" already exists');
    await nodes.close();
  });

  it('retries guaranteedUpdate when another writer wins the race', async () => {
    await store.create('/registry/configmaps/default/c', pod('c', { data: { count: 0 } }));
    const bump = () =>
      store.guaranteedUpdate('/registry/configmaps/default/c', async (cur) => {
        await new Promise((r) => setTimeout(r, Math.random() * 5));
        return { ...cur!, data: { count: cur!.data.count + 1 } };
      });
    await Promise.all(Array.from({ length: 20 }, bump));
    expect((await store.get('/registry/configmaps/default/c'))!.data.count).to.equal(20);
  });

  it('creates through guaranteedUpdate with ignoreNotFound', async () => {
    const made = await store.guaranteedUpdate(
      '/registry/leases/kube-system/l',
      (cur) => {
        expect(cur).to.equal(undefined);
        return pod('l');
      },
      { ignoreNotFound: true },
    );
    expect(made.metadata.resourceVersion).to.be.a('string');
  });

  it('lists in pages with continue over more than 1000 keys and more than 4 MiB', async function () {
    const filler = 'x'.repeat(5000);
    const names = Array.from({ length: 1200 }, (_, i) => `p-${String(i).padStart(5, '0')}`);
    for (let i = 0; i < names.length; i += 100) {
      await Promise.all(
        names.slice(i, i + 100).map((name) => store.create(`/registry/pods/ns1/${name}`, pod(name, { filler, even: Number(name.slice(2)) % 2 === 0 }))),
      );
    }
    await store.create('/registry/pods/ns2/other', pod('other'));
    const all = await store.list('/registry/pods/ns1/', {});
    expect(all.items.map((p) => p.metadata.name)).to.deep.equal(names);
    expect(all.continue).to.equal(undefined);
    expect(JSON.stringify(all.items).length).to.be.greaterThan(4 * 1024 * 1024);

    // a write between pages must not show: all pages read at the first page's revision
    const seen: string[] = [];
    let page = await store.list('/registry/pods/ns1/', { limit: 500 });
    expect(page.remainingItemCount).to.equal(700);
    await store.create('/registry/pods/ns1/p-00000a', pod('p-00000a'));
    const firstRv = page.resourceVersion;
    for (;;) {
      seen.push(...page.items.map((p) => p.metadata.name!));
      expect(page.resourceVersion).to.equal(firstRv);
      if (!page.continue) break;
      page = await store.list('/registry/pods/ns1/', { limit: 500, continue: page.continue });
    }
    expect(seen).to.deep.equal(names);

    const even = await store.list('/registry/pods/ns1/', { limit: 10, predicate: (o) => o.even === true });
    expect(even.items).to.have.length(10);
    expect(even.items.every((o) => o.even)).to.equal(true);
    expect(even.continue).to.be.a('string');
    expect(even.remainingItemCount).to.equal(undefined);

    const bad = await rejection(store.list('/registry/pods/ns1/', { continue: 'garbage' }));
    expect(bad.code).to.equal(400);
  });

  it('honours resourceVersion and resourceVersionMatch', async () => {
    const a = await store.create('/registry/secrets/default/a', pod('a'));
    const rvA = Number(a.metadata.resourceVersion);
    await store.create('/registry/secrets/default/b', pod('b'));
    const exact = await store.list('/registry/secrets/', { resourceVersion: String(rvA), resourceVersionMatch: 'Exact' });
    expect(exact.items.map((o) => o.metadata.name)).to.deep.equal(['a']);
    expect(exact.resourceVersion).to.equal(rvA);
    const newer = await store.list('/registry/secrets/', { resourceVersion: String(rvA), resourceVersionMatch: 'NotOlderThan' });
    expect(newer.items).to.have.length(2);
    const future = await rejection(store.list('/registry/secrets/', { resourceVersion: '999999', resourceVersionMatch: 'NotOlderThan' }));
    expect(future.code).to.equal(504);
    expect(future.message).to.match(/^Timeout: Too large resource version: 999999, current: \d+$/);
    expect((await rejection(store.list('/registry/secrets/', { resourceVersion: 'abc' }))).code).to.equal(400);

    const b2 = await store.guaranteedUpdate('/registry/secrets/default/b', (c) => ({ ...c!, spec: { n: 9 } }));
    await store.client.kv.compact({ revision: b2.metadata.resourceVersion!, physical: true });
    const old = await rejection(store.list('/registry/secrets/', { resourceVersion: String(rvA), resourceVersionMatch: 'Exact' }));
    expect(old.code).to.equal(410);
    expect(old.reason).to.equal('Expired');
    expect(old.message).to.equal('The resourceVersion for the provided list is too old.');
  });

  it('watches ADDED, MODIFIED and DELETED with the previous state', async () => {
    const c = collect();
    const w = await store.watch('/registry/pods/default/', {}, c.onEvent);
    const a = await store.create('/registry/pods/default/w', pod('w'));
    await store.create('/registry/pods/other/w', pod('w'));
    const b = await store.guaranteedUpdate('/registry/pods/default/w', (cur) => ({ ...cur!, spec: { n: 2 } }));
    const d = await store.delete('/registry/pods/default/w');
    const [added, modified, deleted] = await c.waitFor(3);
    expect(added).to.deep.include({ type: 'ADDED', revision: Number(a.metadata.resourceVersion) });
    expect(added.object).to.deep.equal(a);
    expect(modified.type).to.equal('MODIFIED');
    expect(modified.object).to.deep.equal(b);
    expect(modified.prevObject).to.deep.equal(a);
    expect(deleted.type).to.equal('DELETED');
    expect(deleted.object).to.deep.equal(d);
    expect(deleted.prevObject).to.deep.equal(b);
    w.stop();
    await store.create('/registry/pods/default/after-stop', pod('after-stop'));
    await new Promise((r) => setTimeout(r, 200));
    expect(c.events).to.have.length(3);
  });

  it('watches from a revision, with initial events for resourceVersion 0', async () => {
    const a = await store.create('/registry/nodes/n1', pod('n1'));
    await store.create('/registry/nodes/n2', pod('n2'));
    const fromA = collect();
    const w1 = await store.watch('/registry/nodes/', { resourceVersion: a.metadata.resourceVersion }, fromA.onEvent);
    expect((await fromA.waitFor(1))[0].object.metadata.name).to.equal('n2');
    const initial = collect();
    const w2 = await store.watch('/registry/nodes/', { resourceVersion: '0' }, initial.onEvent);
    expect((await initial.waitFor(2)).map((e) => `${e.type}:${e.object.metadata.name}`)).to.deep.equal(['ADDED:n1', 'ADDED:n2']);
    w1.stop();
    w2.stop();
  });

  it('ends a watch from a compacted revision with 410 Expired', async () => {
    const a = await store.create('/registry/pods/default/old', pod('old'));
    const b = await store.guaranteedUpdate('/registry/pods/default/old', (c) => ({ ...c!, spec: { n: 5 } }));
    await store.client.kv.compact({ revision: b.metadata.resourceVersion!, physical: true });
    const c = collect();
    const w = await store.watch('/registry/pods/', { resourceVersion: String(Number(a.metadata.resourceVersion) - 1) }, c.onEvent);
    const [ev] = await c.waitFor(1);
    expect(ev.type).to.equal('ERROR');
    expect(ev.object).to.deep.include({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(ev.object.message).to.match(/^too old resource version: \d+ \(\d+\)$/);
    w.stop();
  });

  it('sends bookmarks when asked to', async () => {
    const s = new EtcdStorage({ endpoints: [etcd.endpoint], prefix: prefix(), bookmarkIntervalMs: 100 });
    await s.create('/registry/pods/default/bm', pod('bm'));
    const c = collect();
    const w = await s.watch('/registry/pods/', { allowBookmarks: true }, c.onEvent);
    const [ev] = await c.waitFor(1);
    expect(ev.type).to.equal('BOOKMARK');
    expect(Number(ev.object.metadata.resourceVersion)).to.equal(await s.currentRevision());
    w.stop();
    await s.close();
  });

  it('resumes a watch after etcd restarts', async () => {
    const c = collect();
    const w = await store.watch('/registry/pods/default/', {}, c.onEvent);
    await store.create('/registry/pods/default/before', pod('before'));
    await c.waitFor(1);
    await etcd.restart();
    const writer = new EtcdStorage({ endpoints: [etcd.endpoint], prefix: prefix() });
    await writer.create('/registry/pods/default/after', pod('after'));
    await writer.close();
    const events = await c.waitFor(2);
    expect(events.map((e) => e.object.metadata.name)).to.deep.equal(['before', 'after']);
    w.stop();
  });
});
