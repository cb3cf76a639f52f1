// Routing of metrics.k8s.io paths to SubjectAccessReview attributes, and the handler's
// answers (discovery, lists with label selectors, 401, 403, 404 as Status) over an HTTP
// server with fixed authentication and authorization (those are tested against a real
// apiserver in metrics-server.test.ts).
import { expect } from 'chai';
import http from 'node:http';
import { metricsHandler, route, type PodMeta } from '../src/api.ts';
import { decodeResourceMetrics } from '../src/decode.ts';
import type { NodeInfo } from '../src/node-watcher.ts';
import { MetricsStorage } from '../src/storage.ts';
import type { RequestAttributes } from '../src/authorization.ts';

describe('metrics-server: routes', () => {
  const q = new URLSearchParams();
  it('maps paths to resource attributes', () => {
    expect(route('GET', '/apis/metrics.k8s.io/v1beta1/nodes', q)).to.deep.include({ kind: 'nodes', resource: 'nodes', verb: 'list' });
    expect(route('GET', '/apis/metrics.k8s.io/v1beta1/nodes/n1', q)).to.deep.include({ resource: 'nodes', verb: 'get', name: 'n1' });
    expect(route('GET', '/apis/metrics.k8s.io/v1beta1/pods', q)).to.deep.include({ resource: 'pods', verb: 'list' });
    expect(route('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/kube-system/pods/x', q)).to.deep.include({
      resource: 'pods',
      verb: 'get',
      namespace: 'kube-system',
      name: 'x',
    });
    expect(route('GET', '/apis/metrics.k8s.io/v1beta1/pods', new URLSearchParams('watch=true'))).to.deep.include({ verb: 'watch' });
    expect(route('GET', '/apis/metrics.k8s.io/v1beta1', q)).to.deep.include({ kind: 'discovery', verb: 'get', path: '/apis/metrics.k8s.io/v1beta1' });
    expect(() => route('GET', '/apis/metrics.k8s.io/v1beta1/services', q)).to.throw('could not find');
    expect(() => route('GET', '/api/v1/pods', q)).to.throw('could not find');
  });
});

describe('metrics-server: handler', () => {
  let server: http.Server;
  let base: string;
  const asked: RequestAttributes[] = [];
  const storage = new MetricsStorage();
  const nodes: NodeInfo[] = [
    { name: 'n1', labels: { zone: 'a' }, addresses: [] },
    { name: 'n2', labels: { zone: 'b' }, addresses: [] },
  ];
  const pods: PodMeta[] = [
    { namespace: 'd', name: 'web-1', labels: { app: 'web' } },
    { namespace: 'd', name: 'db-1', labels: { app: 'db' } },
  ];
  const text = (at: number, cpu: number) =>
    [
      `node_cpu_usage_seconds_total ${cpu} ${at}`,
      `node_memory_working_set_bytes 1048576 ${at}`,
      ...['web-1', 'db-1'].flatMap((p) => [
        `container_cpu_usage_seconds_total{container="c",namespace="d",pod="${p}"} ${cpu / 2} ${at}`,
        `container_memory_working_set_bytes{container="c",namespace="d",pod="${p}"} 2048 ${at}`,
      ]),
    ].join('\n');

  before(async () => {
    for (const at of [1e12, 1e12 + 10_000]) {
      storage.store('n1', decodeResourceMetrics(text(at, at / 1000), at));
      storage.store('n2', decodeResourceMetrics(text(at, at / 1000).replace(/pod="/g, 'pod="x'), at));
    }
    const handler = metricsHandler({
      storage,
      nodes: () => nodes,
      // the apiserver's answer to a pods list: by namespace and label selector (equality only here)
      listPods: async (ns, labels, fields) =>
        pods.filter(
          (p) =>
            (!ns || p.namespace === ns) &&
            (!fields || fields === `metadata.name=${p.name}`) &&
            (!labels || labels.split(',').every((kv) => p.labels?.[kv.split('=')[0]!] === kv.split('=')[1])),
        ),
      authenticate: async (req) =>
        req.headers['x-user'] ? { ok: true, via: 'requestheader', user: { name: String(req.headers['x-user']), groups: [] } } : { ok: false, message: 'no' },
      authorize: async (user, attrs) => {
        asked.push(attrs);
        return { allowed: user.name === 'admin' };
      },
      ready: () => true,
    });
    server = http.createServer((req, res) => void handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => server.close());

  const get = async (path: string, user = 'admin') => {
    const r = await fetch(base + path, { headers: user ? { 'x-user': user } : {} });
    return { status: r.status, body: (await r.json()) as any };
  };

  it('answers 401 without credentials and 403 as Status when refused', async () => {
    expect((await get('/apis/metrics.k8s.io/v1beta1/nodes', '')).body).to.include({ kind: 'Status', code: 401, reason: 'Unauthorized' });
    const r = await get('/apis/metrics.k8s.io/v1beta1/namespaces/d/pods', 'mallory');
    expect(r.status).to.equal(403);
    expect(r.body.message).to.equal(
      'pods.metrics.k8s.io is forbidden: User "mallory" cannot list resource "pods" in API group "metrics.k8s.io" in the namespace "d"',
    );
  });

  it('serves discovery', async () => {
    const r = await get('/apis/metrics.k8s.io/v1beta1');
    expect(r.body.resources.map((x: any) => [x.name, x.kind, x.namespaced])).to.deep.equal([
      ['nodes', 'NodeMetrics', false],
      ['pods', 'PodMetrics', true],
    ]);
    expect((await get('/apis/metrics.k8s.io')).body.preferredVersion.groupVersion).to.equal('metrics.k8s.io/v1beta1');
  });

  it('lists and gets NodeMetrics, with label selectors', async () => {
    const all = await get('/apis/metrics.k8s.io/v1beta1/nodes');
    expect(all.body.kind).to.equal('NodeMetricsList');
    expect(all.body.items.map((i: any) => [i.metadata.name, i.usage.cpu, i.usage.memory, i.window])).to.deep.equal([
      ['n1', '1', '1Mi', '10s'],
      ['n2', '1', '1Mi', '10s'],
    ]);
    const b = await get(`/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=${encodeURIComponent('zone in (b)')}`);
    expect(b.body.items.map((i: any) => i.metadata.name)).to.deep.equal(['n2']);
    expect((await get('/apis/metrics.k8s.io/v1beta1/nodes/n1')).body).to.include({ kind: 'NodeMetrics', apiVersion: 'metrics.k8s.io/v1beta1' });
    const missing = await get('/apis/metrics.k8s.io/v1beta1/nodes/nope');
    expect(missing.status).to.equal(404);
    expect(missing.body.message).to.equal('nodemetrics.metrics.k8s.io "nope" not found');
    expect((await get('/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=a%20in%20(')).status).to.equal(400);
  });

  it('lists and gets PodMetrics of existing pods, with label selectors', async () => {
    const list = await get('/apis/metrics.k8s.io/v1beta1/namespaces/d/pods?labelSelector=app%3Dweb');
    expect(list.body.items).to.have.length(1);
    expect(list.body.items[0]).to.deep.include({ window: '10s' });
    expect(list.body.items[0].metadata).to.deep.include({ name: 'web-1', namespace: 'd', labels: { app: 'web' } });
    expect(list.body.items[0].containers).to.deep.equal([{ name: 'c', usage: { cpu: '500m', memory: '2Ki' } }]);
    // pods n2 reported (x-prefixed) do not exist per the apiserver: not listed
    expect((await get('/apis/metrics.k8s.io/v1beta1/pods')).body.items.map((i: any) => i.metadata.name).sort()).to.deep.equal(['db-1', 'web-1']);
    const missing = await get('/apis/metrics.k8s.io/v1beta1/namespaces/d/pods/xweb-1');
    expect(missing.body.message).to.equal('podmetrics.metrics.k8s.io "d/xweb-1" not found');
    expect(asked.at(-1)).to.deep.include({ verb: 'get', resource: 'pods', namespace: 'd', name: 'xweb-1' });
  });
});
