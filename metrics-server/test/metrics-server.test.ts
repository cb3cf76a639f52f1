// The metrics server against a real apiserver (real etcd, RBAC, API aggregation) and a
// kubelet serving its node API (simulated runtime: usage is requests x factor, so the
// figures are known). The server runs with its own identity (system:skiff-metrics-server and
// the bootstrap RBAC), reads the extension-apiserver-authentication ConfigMap the apiserver
// publishes, verifies the kubelet's serving certificate, registers its APIService, and is
// called directly as the front proxy (the harness's front-proxy-client certificate with
// X-Remote-User / X-Remote-Group) and through the aggregator by the real `kubectl top`.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '@skiff/common';
import { parseQuantity } from '@skiff/common/apimachinery/quantity';
import {
  makeClientCert,
  removeOnExit,
  sharedEtcd,
  sharedPki,
  startApiserver,
  until,
  type ApiserverHandle,
  type CertPair,
  type Pki,
} from '@skiff/common/testing/index';
import { Kubelet } from '@skiff/kubelet/kubelet';
import client from 'prom-client';
import { loadCredentials } from '../src/kubeconfig.ts';
import { startMetricsServer, type MetricsServer } from '../src/metrics-server.ts';
import { Scraper } from '../src/scraper.ts';
import { MetricsStorage } from '../src/storage.ts';
import { ensureSelfSignedCert } from '../src/serving-cert.ts';

const NODE = 'metrics-node';
const V = '1.33';

interface Answer {
  status: number;
  body: any;
}

describe('metrics-server against an apiserver and a kubelet', function () {
  this.timeout(120_000);
  let server: ApiserverHandle;
  let kubelet: Kubelet;
  let metrics: MetricsServer;
  let frontProxy: CertPair;
  let strangerProxy: CertPair;
  let otherCaProxy: CertPair;
  let admin: CertPair;
  const work = mkdtempSync(join(tmpdir(), 'skiff-metrics-server-'));
  removeOnExit(work);

  const call = (path: string, o: { cert?: CertPair; user?: string; groups?: string[]; token?: string } = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: metrics.port,
          path,
          // its self-signed serving certificate: the APIService trusts it with insecureSkipTLSVerify
          rejectUnauthorized: false,
          ...(o.cert ? { cert: readFileSync(o.cert.cert), key: readFileSync(o.cert.key) } : {}),
          headers: {
            ...(o.user ? { 'X-Remote-User': o.user } : {}),
            ...(o.groups ? { 'X-Remote-Group': o.groups } : {}),
            ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}),
          },
        },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => {
            body += d.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.startsWith('{') ? JSON.parse(body) : body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  const asAdmin = (path: string) => call(path, { cert: frontProxy, user: 'alice', groups: ['system:masters', 'system:authenticated'] });
  const kubectl = async (args: string[], stdin?: string) => {
    const r = await server.kubectl(V, args, stdin ? { stdin } : {});
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  const pod = (name: string, labels: Record<string, string>, cpu: string, memory: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'metrics', labels },
    spec: { nodeName: NODE, containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu, memory } } }] },
  });

  before(async function () {
    this.timeout(120_000);
    const pki: Pki = await sharedPki();
    server = await startApiserver({
      etcdUrl: (await sharedEtcd()).url,
      extraArgs: [`--service-account-signing-key-file=${pki.serviceAccountKey}`, `--service-account-key-file=${pki.serviceAccountPub}`],
    });
    admin = pki.admin;
    frontProxy = pki.frontProxyClient;
    // a certificate of the front-proxy CA under a name --requestheader-allowed-names does not list
    const stranger = { cert: join(work, 'stranger.crt'), key: join(work, 'stranger.key') };
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        stranger.key,
        '-out',
        `${stranger.cert}.csr`,
        '-subj',
        '/CN=someone-else',
      ],
      { stdio: 'pipe' },
    );
    execFileSync(
      'openssl',
      [
        'x509',
        '-req',
        '-in',
        `${stranger.cert}.csr`,
        '-CA',
        pki.frontProxyCaCert,
        '-CAkey',
        pki.frontProxyCaCert.replace(/\.crt$/, '.key'),
        '-CAcreateserial',
        '-days',
        '1',
        '-out',
        stranger.cert,
      ],
      { stdio: 'pipe' },
    );
    strangerProxy = stranger;
    otherCaProxy = await makeClientCert({ dir: join(work, 'other-pki') } as Pki, 'front-proxy-client', 'front-proxy-client');
    await kubectl(['create', 'namespace', 'metrics']);
    const nodeCert = await makeClientCert(pki, `node-${NODE}`, `system:node:${NODE}`, 'system:nodes');
    const nodeKc = new KubeConfig();
    nodeKc.loadFromFile(await server.kubeconfigFor(nodeCert, NODE));
    const rootDir = join(work, 'kubelet');
    kubelet = new Kubelet({
      kubeConfig: nodeKc,
      nodeName: NODE,
      nodeIP: '127.0.0.1',
      rootDir,
      runtime: 'simulated',
      simulatedReadyDelayMs: 200,
      simulatedUsageFactor: 0.5,
      port: 0,
      bindAddress: '127.0.0.1',
      resyncMs: 500,
      recordEvents: false,
      logger: createLogger('kubelet-metrics-test'),
    });
    await kubelet.start();
    await kubectl(
      ['apply', '-f', '-'],
      [pod('web-1', { app: 'web' }, '200m', '64Mi'), pod('web-2', { app: 'web' }, '100m', '32Mi'), pod('db-1', { app: 'db' }, '1', '1Gi')]
        .map((p) => JSON.stringify(p))
        .join('\n'),
    );
    await kubectl(['wait', '-n', 'metrics', '--for=condition=Ready', 'pod/web-1', 'pod/web-2', 'pod/db-1', '--timeout=60s']);
    const identity = await makeClientCert(pki, 'metrics-server', 'system:skiff-metrics-server');
    const serving = ensureSelfSignedCert(join(work, 'serving'));
    metrics = await startMetricsServer({
      credentials: loadCredentials(await server.kubeconfigFor(identity, 'metrics-server')),
      resolutionMs: 1000,
      requestTimeoutMs: 5000,
      securePort: 0,
      bindAddress: '127.0.0.1',
      ...serving,
      addressTypes: ['InternalIP'],
      insecureTLS: false,
      // the kubelet's self-signed serving certificate is its own CA: verified, not skipped
      kubeletCA: readFileSync(join(rootDir, 'pki', 'kubelet.crt')),
      authentication: { skipLookup: false },
      registration: { address: '127.0.0.1', caBundle: readFileSync(join(work, 'serving', 'apiserver.crt'), 'utf8') },
      registry: new client.Registry(),
      log: createLogger('metrics-server-test'),
    });
    await until('metrics of every pod', async () => (await asAdmin('/apis/metrics.k8s.io/v1beta1/namespaces/metrics/pods')).body.items?.length === 3, 30_000);
  });

  after(async () => {
    await metrics?.stop();
    await kubelet?.stop();
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('serves NodeMetrics scraped from the kubelet with its own identity: the sum of the pods', async () => {
    const r = await asAdmin('/apis/metrics.k8s.io/v1beta1/nodes');
    expect(r.status).to.equal(200);
    expect(r.body).to.include({ kind: 'NodeMetricsList', apiVersion: 'metrics.k8s.io/v1beta1' });
    const node = r.body.items.find((i: any) => i.metadata.name === NODE);
    // (200m + 100m + 1) x 0.5 of CPU, (64Mi + 32Mi + 1Gi) x 0.5 of memory
    expect(parseQuantity(node.usage.cpu).asApproximateFloat64()).to.be.closeTo(0.65, 0.0065);
    expect(parseQuantity(node.usage.memory).value()).to.equal(560 * 2 ** 20);
    expect(node.window).to.match(/^\d+(\.\d+)?s$/);
    expect((await asAdmin(`/apis/metrics.k8s.io/v1beta1/nodes/${NODE}`)).body).to.include({ kind: 'NodeMetrics' });
  });

  it('serves PodMetrics by namespace, name and label selector', async () => {
    const web = await asAdmin('/apis/metrics.k8s.io/v1beta1/namespaces/metrics/pods?labelSelector=app%3Dweb');
    expect(web.body.items.map((i: any) => i.metadata.name).sort()).to.deep.equal(['web-1', 'web-2']);
    const one = await asAdmin('/apis/metrics.k8s.io/v1beta1/namespaces/metrics/pods/web-1');
    expect(one.body).to.deep.include({ kind: 'PodMetrics' });
    expect(one.body.metadata).to.deep.include({ name: 'web-1', namespace: 'metrics', labels: { app: 'web' } });
    expect(one.body.containers).to.have.length(1);
    expect(parseQuantity(one.body.containers[0].usage.cpu).asApproximateFloat64()).to.be.closeTo(0.1, 0.001);
    expect(one.body.containers[0].usage.memory).to.equal('32Mi');
    const all = await asAdmin('/apis/metrics.k8s.io/v1beta1/pods?labelSelector=app%20notin%20(web)');
    expect(all.body.items.map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`)).to.deep.equal(['metrics/db-1']);
    const missing = await asAdmin('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-1');
    expect(missing.status).to.equal(404);
    expect(missing.body.message).to.equal('podmetrics.metrics.k8s.io "default/web-1" not found');
  });

  it('authorizes the forwarded user by SubjectAccessReview', async () => {
    const r = await call('/apis/metrics.k8s.io/v1beta1/namespaces/metrics/pods', { cert: frontProxy, user: 'bob', groups: ['system:authenticated'] });
    expect(r.status).to.equal(403);
    expect(r.body).to.include({ kind: 'Status', reason: 'Forbidden' });
    // (view, edit and admin aggregate this role where the controller-manager runs)
    await kubectl(['create', 'rolebinding', 'bob-metrics', '-n', 'metrics', '--clusterrole=system:aggregated-metrics-reader', '--user=bob']);
    await until(
      'bob may list pod metrics',
      async () =>
        (await call('/apis/metrics.k8s.io/v1beta1/namespaces/metrics/pods', { cert: frontProxy, user: 'bob', groups: ['system:authenticated'] })).status ===
        200,
      30_000,
      1000,
    );
    expect((await call('/apis/metrics.k8s.io/v1beta1/nodes', { cert: frontProxy, user: 'bob', groups: ['system:authenticated'] })).status).to.equal(403);
  });

  it('authenticates only the front proxy (its CA and allowed name), client certificates of the cluster CA, and tokens', async () => {
    expect((await call('/apis/metrics.k8s.io/v1beta1/nodes')).status, 'anonymous').to.equal(401);
    expect((await call('/apis/metrics.k8s.io/v1beta1/nodes', { cert: otherCaProxy, user: 'alice', groups: ['system:masters'] })).status, 'another CA').to.equal(
      401,
    );
    expect(
      (await call('/apis/metrics.k8s.io/v1beta1/nodes', { cert: strangerProxy, user: 'alice', groups: ['system:masters'] })).status,
      'not an allowed name',
    ).to.equal(401);
    // the cluster CA's admin certificate is a user itself: the X-Remote headers mean nothing from it
    expect((await call('/apis/metrics.k8s.io/v1beta1/nodes', { cert: admin, user: 'bob' })).status).to.equal(200);
    await kubectl(['create', 'serviceaccount', 'reader', '-n', 'metrics']);
    const token = (await kubectl(['create', 'token', 'reader', '-n', 'metrics'])).trim();
    const asToken = await call('/apis/metrics.k8s.io/v1beta1/namespaces/metrics/pods', { token });
    expect(asToken.status, 'a ServiceAccount without the role').to.equal(403);
    expect(asToken.body.message).to.contain('User "system:serviceaccount:metrics:reader" cannot list');
    expect((await call('/apis/metrics.k8s.io/v1beta1/nodes', { token: `${token}x` })).status, 'a bad token').to.equal(401);
    expect((await call('/apis/metrics.k8s.io/v1beta1', { cert: frontProxy, user: 'bob', groups: ['system:authenticated'] })).body).to.include({
      kind: 'APIResourceList',
    });
  });

  it('is registered as v1beta1.metrics.k8s.io: kubectl top through the aggregator', async () => {
    const nodes = await until(
      'kubectl top nodes',
      async () => {
        const r = await server.kubectl(V, ['top', 'nodes']);
        return r.code === 0 && r.stdout.includes(NODE) ? r.stdout : undefined;
      },
      60_000,
      1000,
    );
    expect(nodes.split('\n')[0]).to.match(/^NAME\s+CPU\(cores\)\s+CPU(%|\(%\))\s+MEMORY\(bytes\)\s+MEMORY(%|\(%\))/);
    expect(nodes).to.match(new RegExp(`^${NODE}\\s+650m\\s+`, 'm'));
    const all = await kubectl(['top', 'pods', '-A']);
    expect(all).to.match(/^metrics\s+db-1\s+500m\s+512Mi\s*$/m);
    expect(all).to.match(/^metrics\s+web-1\s+100m\s+32Mi\s*$/m);
    const sorted = await kubectl(['top', 'pod', '-n', 'metrics', '--sort-by=cpu']);
    expect(
      sorted
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[0]),
    ).to.deep.equal(['db-1', 'web-1', 'web-2']);
    const containers = await kubectl(['top', 'pod', 'web-2', '-n', 'metrics', '--containers']);
    expect(containers).to.match(/^web-2\s+main\s+50m\s+16Mi\s*$/m);
    const selected = await kubectl(['top', 'pod', '-n', 'metrics', '-l', 'app=web', '--sort-by=memory']);
    expect(
      selected
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[0]),
    ).to.deep.equal(['web-1', 'web-2']);
  });

  it("verifies the kubelet's serving certificate: a scraper trusting another CA gets nothing", async () => {
    const pki = await sharedPki();
    const scraper = new Scraper({
      credentials: loadCredentials(await server.kubeconfigFor(await makeClientCert(pki, 'metrics-server', 'system:skiff-metrics-server'), 'metrics-server')),
      nodes: () => [],
      storage: new MetricsStorage(),
      resolutionMs: 1000,
      requestTimeoutMs: 5000,
      addressTypes: ['InternalIP'],
      insecureTLS: false,
      kubeletCA: readFileSync(pki.frontProxyCaCert),
      registry: new client.Registry(),
      log: createLogger('scraper-test'),
    });
    const node = { name: NODE, labels: {}, addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], kubeletPort: kubelet.port };
    try {
      await scraper.scrapeNode(node).then(
        () => expect.fail('scraped a kubelet whose certificate it cannot verify'),
        (e: Error) => expect(e.message).to.match(/certificate/i),
      );
    } finally {
      scraper.stop();
    }
  });

  it('answers the health probes without authentication', async () => {
    expect(await call('/healthz')).to.deep.equal({ status: 200, body: 'ok' });
    expect(await call('/readyz')).to.deep.equal({ status: 200, body: 'ok' });
  });
});
