// REST semantics straight over HTTPS: Status errors for bad input, optimistic concurrency,
// selectors, paging, watch transitions, deletion rules, Service allocations.
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { useApiserver, type ApiserverHandle } from '@skiff/common/testing/index';

const ns = 'sem';
const pod = (name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: '127.0.0.1:5000/skiff/busybox:latest' }], ...extra },
});

/** Opens a watch and collects events until stopped. */
function openWatch(server: ApiserverHandle, path: string, headers: Record<string, string> = {}): { events: any[]; stop(): void; ended: Promise<void> } {
  const events: any[] = [];
  let req: import('node:http').ClientRequest;
  const ended = new Promise<void>((resolve, reject) => {
    req = https.request(
      `${server.url}${path}`,
      {
        ca: readFileSync(server.pki.caCert),
        cert: readFileSync(server.pki.admin.cert),
        key: readFileSync(server.pki.admin.key),
        headers,
      },
      (res) => {
        let buf = '';
        res.on('data', (c) => {
          buf += c.toString();
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            events.push(JSON.parse(buf.slice(0, i)));
            buf = buf.slice(i + 1);
          }
        });
        res.on('end', () => resolve());
        res.on('close', () => resolve());
      },
    );
    req.on('error', (e) => (e.message.includes('socket hang up') || e.message.includes('aborted') ? resolve() : reject(e)));
    req.end();
  });
  return { events, stop: () => req.destroy(), ended };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('API semantics over HTTPS', function () {
  this.timeout(60_000);
  const cluster = useApiserver();
  const req = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    cluster.server.request(method, path, { body: body as any, headers });
  const json = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const r = await req(method, path, body, headers);
    return { status: r.status, body: r.body ? JSON.parse(r.body) : undefined, headers: r.headers };
  };

  before(async () => {
    expect((await json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status).to.equal(201);
  });

  describe('Status errors for bad input', () => {
    it('400 for malformed JSON and YAML, and the server keeps serving', async () => {
      const a = await json('POST', `/api/v1/namespaces/${ns}/configmaps`, '{"kind": "ConfigMap", ', { 'content-type': 'application/json' });
      expect(a.status).to.equal(400);
      expect(a.body).to.include({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
      const b = await json('POST', `/api/v1/namespaces/${ns}/configmaps`, 'a: [b', { 'content-type': 'application/yaml' });
      expect(b.status).to.equal(400);
      expect((await json('GET', `/api/v1/namespaces/${ns}/configmaps`)).status).to.equal(200);
    });
    it('400 for the wrong kind or apiVersion for the endpoint', async () => {
      const a = await json('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } });
      expect(a.status).to.equal(400);
      const b = await json('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } });
      expect(b.status).to.equal(400);
      expect(b.body.message).to.contain('does not match the expected API version');
    });
    it('404 for unknown paths and objects, 405 for unsupported methods, 415 for bad content types', async () => {
      const a = await json('GET', '/api/v1/widgets');
      expect(a.status).to.equal(404);
      const b = await json('GET', `/api/v1/namespaces/${ns}/pods/nope`);
      expect(b.status).to.equal(404);
      expect(b.body).to.include({ reason: 'NotFound', message: 'pods "nope" not found' });
      expect(b.body.details).to.include({ name: 'nope', kind: 'pods' });
      const c = await json('POST', `/api/v1/namespaces/${ns}/pods/nope`, pod('nope'));
      expect(c.status).to.equal(405);
      const d = await json('POST', `/api/v1/namespaces/${ns}/configmaps`, 'x', { 'content-type': 'text/csv' });
      expect(d.status).to.equal(415);
      const e = await json('PATCH', `/api/v1/namespaces/${ns}/configmaps/x`, '{}', { 'content-type': 'application/json' });
      expect(e.status).to.equal(415);
    });
    it('413 for a body over 3 MiB', async () => {
      const big = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { a: 'x'.repeat(3 * 1024 * 1024 + 10) } };
      const r = await json('POST', `/api/v1/namespaces/${ns}/configmaps`, big);
      expect(r.status).to.equal(413);
      expect(r.body.reason).to.equal('RequestEntityTooLarge');
    });
    it('422 with one cause per field', async () => {
      const r = await json('POST', '/apis/apps/v1/namespaces/sem/deployments', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web2' },
        spec: {
          replicas: -1,
          selector: { matchLabels: { app: 'a' } },
          template: {
            metadata: { labels: { app: 'b' } },
            spec: {
              containers: [
                { name: 'c', image: 'x' },
                { name: 'c', image: 'y' },
              ],
            },
          },
        },
      });
      expect(r.status).to.equal(422);
      expect(r.body.reason).to.equal('Invalid');
      expect(r.body.message).to.match(/^Deployment.apps "web2" is invalid: \[/);
      const fields = r.body.details.causes.map((c: any) => c.field);
      expect(fields).to.include.members(['spec.replicas', 'spec.template.metadata.labels', 'spec.template.spec.containers[1].name']);
    });
    it('fieldValidation Strict refuses unknown fields, Warn adds a Warning header', async () => {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fv' }, data: { a: 'b' }, bogus: 1 };
      const strict = await json('POST', `/api/v1/namespaces/${ns}/configmaps?fieldValidation=Strict`, cm);
      // create.go: a strict decoding error is a decode error, 400 through transformDecodeError
      expect(strict.status).to.equal(400);
      expect(strict.body.message).to.equal('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"');
      const warn = await json('POST', `/api/v1/namespaces/${ns}/configmaps?fieldValidation=Warn`, cm);
      expect(warn.status).to.equal(201);
      expect(String(warn.headers.warning)).to.equal('299 - "unknown field \\"bogus\\""');
    });
  });

  describe('concurrency and dry run', () => {
    it('409 AlreadyExists on create, 409 Conflict on a stale resourceVersion', async () => {
      const a = await json('POST', `/api/v1/namespaces/${ns}/pods`, pod('p1'));
      expect(a.status).to.equal(201);
      expect(a.body.metadata.uid).to.be.a('string');
      expect(a.body.spec.restartPolicy).to.equal('Always');
      const dup = await json('POST', `/api/v1/namespaces/${ns}/pods`, pod('p1'));
      expect(dup.status).to.equal(409);
      expect(dup.body).to.include({ reason: 'AlreadyExists', message: 'pods "p1" already exists' });
      const stale = { ...a.body, metadata: { ...a.body.metadata, labels: { x: '1' } } };
      expect((await json('PUT', `/api/v1/namespaces/${ns}/pods/p1`, stale)).status).to.equal(200);
      const again = await json('PUT', `/api/v1/namespaces/${ns}/pods/p1`, { ...stale, metadata: { ...stale.metadata, labels: { x: '2' } } });
      expect(again.status).to.equal(409);
      expect(again.body.message).to.equal(
        'Operation cannot be fulfilled on pods "p1": the object has been modified; please apply your changes to the latest version and try again',
      );
    });
    it('dryRun=All writes nothing', async () => {
      const r = await json('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, pod('dry'));
      expect(r.status).to.equal(201);
      expect((await json('GET', `/api/v1/namespaces/${ns}/pods/dry`)).status).to.equal(404);
    });
    it('generation moves with spec changes only', async () => {
      const d = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'gen' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'g' } },
          template: { metadata: { labels: { app: 'g' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
        },
      };
      const c = await json('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, d);
      expect(c.body.metadata.generation).to.equal(1);
      const l = await json(
        'PATCH',
        `/apis/apps/v1/namespaces/${ns}/deployments/gen`,
        { metadata: { labels: { a: 'b' } } },
        { 'content-type': 'application/merge-patch+json' },
      );
      expect(l.body.metadata.generation).to.equal(1);
      const s = await json(
        'PATCH',
        `/apis/apps/v1/namespaces/${ns}/deployments/gen`,
        { spec: { replicas: 2 } },
        { 'content-type': 'application/merge-patch+json' },
      );
      expect(s.body.metadata.generation).to.equal(2);
      const st = await json(
        'PATCH',
        `/apis/apps/v1/namespaces/${ns}/deployments/gen/status`,
        { status: { replicas: 7 } },
        { 'content-type': 'application/merge-patch+json' },
      );
      expect(st.body.metadata.generation).to.equal(2);
      expect(st.body.status.replicas).to.equal(7);
      const scale = await json('GET', `/apis/apps/v1/namespaces/${ns}/deployments/gen/scale`);
      expect(scale.body).to.deep.include({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 } });
      expect(scale.body.status.selector).to.equal('app=g');
    });
  });

  describe('lists', () => {
    before(async () => {
      for (let i = 0; i < 7; i++)
        await json('POST', `/api/v1/namespaces/${ns}/configmaps`, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `page-${i}`, labels: { page: 'yes', n: String(i % 2) } },
        });
    });
    it('label selectors, equality and set-based', async () => {
      const a = await json('GET', `/api/v1/namespaces/${ns}/configmaps?labelSelector=${encodeURIComponent('page=yes,n in (1)')}`);
      expect(a.body.items.map((i: any) => i.metadata.name)).to.deep.equal(['page-1', 'page-3', 'page-5']);
      const b = await json('GET', `/api/v1/namespaces/${ns}/configmaps?labelSelector=${encodeURIComponent('page,n notin (1)')}`);
      expect(b.body.items).to.have.length(4);
    });
    it('field selectors with != and several terms, 400 for unknown fields', async () => {
      const a = await json('GET', `/api/v1/pods?fieldSelector=${encodeURIComponent('metadata.namespace=sem,status.phase!=Succeeded,status.phase!=Failed')}`);
      expect(a.status).to.equal(200);
      expect(a.body.items.map((i: any) => i.metadata.name)).to.include('p1');
      const b = await json('GET', `/api/v1/namespaces/${ns}/pods?fieldSelector=spec.bogus=1`);
      expect(b.status).to.equal(400);
    });
    it('limit and continue page through everything once', async () => {
      const seen: string[] = [];
      let cont = '';
      let pages = 0;
      do {
        const r = await json(
          'GET',
          `/api/v1/namespaces/${ns}/configmaps?labelSelector=page%3Dyes&limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
        );
        seen.push(...r.body.items.map((i: any) => i.metadata.name));
        cont = r.body.metadata.continue ?? '';
        pages++;
      } while (cont);
      expect(pages).to.equal(3);
      expect(seen).to.deep.equal(['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
      // without a selector the server knows how many remain
      const first = await json('GET', `/api/v1/namespaces/${ns}/configmaps?limit=2`);
      const total = (await json('GET', `/api/v1/namespaces/${ns}/configmaps`)).body.items.length;
      expect(first.body.metadata.remainingItemCount).to.equal(total - 2);
    });
    it('resourceVersionMatch=Exact reads the past', async () => {
      const before = await json('GET', `/api/v1/namespaces/${ns}/configmaps`);
      await json('DELETE', `/api/v1/namespaces/${ns}/configmaps/page-6`);
      const exact = await json('GET', `/api/v1/namespaces/${ns}/configmaps?resourceVersion=${before.body.metadata.resourceVersion}&resourceVersionMatch=Exact`);
      expect(exact.body.items.map((i: any) => i.metadata.name)).to.include('page-6');
      const now = await json('GET', `/api/v1/namespaces/${ns}/configmaps`);
      expect(now.body.items.map((i: any) => i.metadata.name)).to.not.include('page-6');
    });
    it('Table and PartialObjectMetadataList representations', async () => {
      const t = await json('GET', `/api/v1/namespaces/${ns}/pods`, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
      expect(t.body.kind).to.equal('Table');
      expect(t.body.columnDefinitions.map((c: any) => c.name)).to.deep.equal([
        'Name',
        'Ready',
        'Status',
        'Restarts',
        'Age',
        'IP',
        'Node',
        'Nominated Node',
        'Readiness Gates',
      ]);
      const m = await json('GET', `/api/v1/namespaces/${ns}/pods`, undefined, { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' });
      expect(m.body.kind).to.equal('PartialObjectMetadataList');
      expect(m.body.items[0].spec).to.equal(undefined);
    });
  });

  describe('watch', () => {
    it('starts with synthetic ADDED, turns selector exits into DELETED, ends at timeoutSeconds', async () => {
      const w = openWatch(
        cluster.server,
        `/api/v1/namespaces/${ns}/configmaps?watch=true&labelSelector=watched%3Dyes&timeoutSeconds=3&allowWatchBookmarks=true`,
      );
      await json('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w1', labels: { watched: 'yes' } } });
      await until(() => w.events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'w1'));
      await json(
        'PATCH',
        `/api/v1/namespaces/${ns}/configmaps/w1`,
        { metadata: { labels: { watched: 'no' } } },
        { 'content-type': 'application/merge-patch+json' },
      );
      await until(() => w.events.some((e) => e.type === 'DELETED' && e.object.metadata.name === 'w1'));
      const t0 = Date.now();
      await w.ended;
      expect(Date.now() - t0).to.be.lessThan(4000);
    });
    it("gives each kubelet's watch (spec.nodeName=NODE) the pods of its node and no other", async () => {
      const watch = (node: string) => openWatch(cluster.server, `/api/v1/pods?watch=true&fieldSelector=spec.nodeName%3D${node}&timeoutSeconds=10`);
      const n1 = watch('sem-n1');
      const n2 = watch('sem-n2');
      const unscheduled = openWatch(
        cluster.server,
        `/api/v1/namespaces/${ns}/pods?watch=true&fieldSelector=spec.nodeName%3D&labelSelector=trig%3Dyes&timeoutSeconds=10`,
      );
      await new Promise((r) => setTimeout(r, 300));
      await json('POST', `/api/v1/namespaces/${ns}/pods`, pod('trig', { trig: 'yes' }));
      await json('POST', `/api/v1/namespaces/${ns}/pods`, pod('trig-direct', {}, { nodeName: 'sem-n2' }));
      await json('POST', `/api/v1/namespaces/${ns}/pods/trig/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'trig' },
        target: { apiVersion: 'v1', kind: 'Node', name: 'sem-n1' },
      });
      await json('DELETE', `/api/v1/namespaces/${ns}/pods/trig?gracePeriodSeconds=0`);
      const seen = (w: { events: any[] }) => w.events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type}:${e.object.metadata.name}`);
      await until(() => seen(n1).includes('DELETED:trig') && seen(n2).includes('ADDED:trig-direct') && seen(unscheduled).includes('DELETED:trig'));
      await new Promise((r) => setTimeout(r, 300));
      // binding makes the pod start matching n1's selector and stop matching the unscheduled one
      expect(seen(n1)).to.deep.equal(['ADDED:trig', 'DELETED:trig']);
      expect(seen(n2)).to.deep.equal(['ADDED:trig-direct']);
      expect(seen(unscheduled)).to.deep.equal(['ADDED:trig', 'DELETED:trig']);
      for (const w of [n1, n2, unscheduled]) w.stop();
      await json('DELETE', `/api/v1/namespaces/${ns}/pods/trig-direct?gracePeriodSeconds=0`);
    });
    it('from a resourceVersion replays what followed it', async () => {
      const list = await json('GET', `/api/v1/namespaces/${ns}/configmaps`);
      await json('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after' } });
      const w = openWatch(
        cluster.server,
        `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${list.body.metadata.resourceVersion}&timeoutSeconds=2`,
      );
      await until(() => w.events.some((e) => e.object.metadata.name === 'after'));
      expect(w.events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name)).to.deep.equal(['after']);
      w.stop();
    });
    it('as=PartialObjectMetadata: each event carries the metadata only (a metadata informer)', async () => {
      const w = openWatch(cluster.server, `/api/v1/namespaces/${ns}/configmaps?watch=true&labelSelector=partial%3Dyes&timeoutSeconds=3`, {
        accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json',
      });
      await json('POST', `/api/v1/namespaces/${ns}/configmaps`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'partial', labels: { partial: 'yes' } },
        data: { secret: 'not in the event' },
      });
      await until(() => w.events.some((e) => e.type === 'ADDED'));
      w.stop();
      const added = w.events.find((e) => e.type === 'ADDED');
      expect(added.object).to.include({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1' });
      expect(added.object.metadata).to.include({ name: 'partial', namespace: ns });
      expect(added.object.data).to.equal(undefined);
    });
    it('410 Expired as an ERROR event for a compacted or too old resourceVersion', async () => {
      const w = openWatch(cluster.server, `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=1`);
      await w.ended;
      expect(w.events).to.have.length(1);
      expect(w.events[0].type).to.equal('ERROR');
      expect(w.events[0].object).to.include({ kind: 'Status', code: 410, reason: 'Expired' });
    });
  });

  describe('deletion', () => {
    it('finalizers hold an object with a deletionTimestamp until they are removed', async () => {
      await json('POST', `/api/v1/namespaces/${ns}/configmaps`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'fin', finalizers: ['example.com/hold'] },
      });
      const d = await json('DELETE', `/api/v1/namespaces/${ns}/configmaps/fin`);
      expect(d.status).to.equal(200);
      const held = await json('GET', `/api/v1/namespaces/${ns}/configmaps/fin`);
      expect(held.body.metadata.deletionTimestamp).to.be.a('string');
      await json('PATCH', `/api/v1/namespaces/${ns}/configmaps/fin`, { metadata: { finalizers: null } }, { 'content-type': 'application/merge-patch+json' });
      expect((await json('GET', `/api/v1/namespaces/${ns}/configmaps/fin`)).status).to.equal(404);
    });
    it('a pod bound to a node is deleted gracefully, then for good with grace 0', async () => {
      await json('POST', `/api/v1/namespaces/${ns}/pods`, pod('bound'));
      const b = await json('POST', `/api/v1/namespaces/${ns}/pods/bound/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'bound' },
        target: { apiVersion: 'v1', kind: 'Node', name: 'n1' },
      });
      expect(b.status).to.equal(201);
      const again = await json('POST', `/api/v1/namespaces/${ns}/pods/bound/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'bound' },
        target: { kind: 'Node', name: 'n2' },
      });
      expect(again.status).to.equal(409);
      const d = await json('DELETE', `/api/v1/namespaces/${ns}/pods/bound`);
      expect(d.body.metadata.deletionGracePeriodSeconds).to.equal(30);
      expect((await json('GET', `/api/v1/namespaces/${ns}/pods/bound`)).status).to.equal(200);
      await json('DELETE', `/api/v1/namespaces/${ns}/pods/bound`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 });
      expect((await json('GET', `/api/v1/namespaces/${ns}/pods/bound`)).status).to.equal(404);
    });
    it('the legacy bindings collection binds the pod the Binding names; other kinds have no binding', async () => {
      await json('POST', `/api/v1/namespaces/${ns}/pods`, pod('legacy-bound'));
      const b = await json('POST', `/api/v1/namespaces/${ns}/bindings`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'legacy-bound' },
        target: { kind: 'Node', name: 'n1' },
      });
      expect(b.status).to.equal(201);
      const bound = await json('GET', `/api/v1/namespaces/${ns}/pods/legacy-bound`);
      expect(bound.body.spec.nodeName).to.equal('n1');
      expect(bound.body.status.conditions.map((c: any) => c.type)).to.include('PodScheduled');
      const onConfigMap = await json('POST', `/api/v1/namespaces/${ns}/configmaps/x/binding`, { apiVersion: 'v1', kind: 'Binding', target: { name: 'n1' } });
      expect(onConfigMap.status).to.equal(404);
    });
    it('PUT creates a missing object only where the resource allows it', async () => {
      const lease = await json('PUT', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/put-made`, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'put-made' },
        spec: { holderIdentity: 'a' },
      });
      expect(lease.status).to.equal(201);
      const cm = await json('PUT', `/api/v1/namespaces/${ns}/configmaps/put-made`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'put-made' } });
      expect(cm.status).to.equal(404);
    });
    it('a cluster-scoped resource under a namespace path is not found', async () => {
      expect((await json('GET', `/api/v1/namespaces/${ns}/nodes`)).status).to.equal(404);
      expect((await json('GET', `/api/v1/namespaces/${ns}/namespaces`)).status).to.equal(404);
    });
    it('propagationPolicy is recorded as the orphan or foregroundDeletion finalizer', async () => {
      await json('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'orph' } });
      const d = await json('DELETE', `/api/v1/namespaces/${ns}/configmaps/orph`, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Orphan' });
      expect(d.body.metadata.finalizers).to.deep.equal(['orphan']);
    });
    it('a namespace being deleted is Terminating and refuses new objects', async () => {
      await json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
      const d = await json('DELETE', '/api/v1/namespaces/doomed');
      expect(d.body.status.phase).to.equal('Terminating');
      const c = await json('POST', '/api/v1/namespaces/doomed/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' } });
      expect(c.status).to.equal(403);
      expect(c.body.message).to.contain('because it is being terminated');
      const f = await json('PUT', '/api/v1/namespaces/doomed/finalize', { ...d.body, spec: { finalizers: [] } });
      expect(f.status).to.equal(200);
      expect((await json('GET', '/api/v1/namespaces/doomed')).status).to.equal(404);
    });
  });

  describe('services', () => {
    it('allocates a ClusterIP and NodePort, refuses a taken address with 422, frees both on delete', async () => {
      const svc = (name: string, extra: Record<string, unknown> = {}) => ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name },
        spec: { selector: { app: name }, ports: [{ port: 80 }], ...extra },
      });
      const a = await json('POST', `/api/v1/namespaces/${ns}/services`, svc('a', { type: 'NodePort' }));
      expect(a.status).to.equal(201);
      expect(a.body.spec.clusterIP).to.match(/^10\.(9[6-9]|10[0-9]|11[01])\./);
      expect(a.body.spec.ports[0]).to.include({ protocol: 'TCP', targetPort: 80 });
      const port = a.body.spec.ports[0].nodePort;
      expect(port).to.be.within(30000, 32767);
      const taken = await json('POST', `/api/v1/namespaces/${ns}/services`, svc('b', { clusterIP: a.body.spec.clusterIP }));
      expect(taken.status).to.equal(422);
      expect(taken.body.message).to.contain('provided IP is already allocated');
      const takenPort = await json('POST', `/api/v1/namespaces/${ns}/services`, svc('c', { type: 'NodePort', ports: [{ port: 80, nodePort: port }] }));
      expect(takenPort.status).to.equal(422);
      await json('DELETE', `/api/v1/namespaces/${ns}/services/a`);
      const reuse = await json(
        'POST',
        `/api/v1/namespaces/${ns}/services`,
        svc('d', { type: 'NodePort', clusterIP: a.body.spec.clusterIP, ports: [{ port: 80, nodePort: port }] }),
      );
      expect(reuse.status).to.equal(201);
    });
    it('the kubernetes Service has the first address of the range', async () => {
      const k = await json('GET', '/api/v1/namespaces/default/services/kubernetes');
      expect(k.body.spec.clusterIP).to.equal('10.96.0.1');
      for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) expect((await json('GET', `/api/v1/namespaces/${n}`)).status).to.equal(200);
    });
  });

  describe('authentication', () => {
    it('answers 401 to anonymous API requests and serves health and version to anyone', async () => {
      const anon = await cluster.server.request('GET', '/api/v1/pods', { client: null });
      expect(anon.status).to.equal(401);
      expect((await cluster.server.request('GET', '/version', { client: null })).status).to.equal(200);
      expect((await cluster.server.request('GET', '/readyz', { client: null })).status).to.equal(200);
      expect((await cluster.server.request('GET', '/livez', { client: null })).status).to.equal(200);
      const metrics = await cluster.server.request('GET', '/metrics');
      expect(metrics.body).to.contain('apiserver_request_total');
    });
  });
});
