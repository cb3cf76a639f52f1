// The controller as a process against a real apiserver, with its own least-privilege identity
// (system:skiff-ingress): it serves the Ingresses of its default class, follows EndpointSlice
// readiness, leaves other classes alone and reports the address in Ingress status.
import { expect } from 'chai';
import http from 'node:http';
import type net from 'node:net';
import { freePort, makeClientCert, startComponent, until, useApiserver } from '@skiff/common/testing/index';
import type { ComponentHandle } from '@skiff/common/testing/index';

const get = (port: number, host: string, path = '/') =>
  new Promise<{ status: number; body: string }>((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.end();
  });

describe('ingress controller against an apiserver', function () {
  this.timeout(120_000);
  const cluster = useApiserver();
  let upstream: http.Server;
  let controller: ComponentHandle | undefined;
  let httpPort: number;
  let metricsPort: number;

  const send = async (method: string, path: string, body?: object) => {
    const r = await cluster.server.request(method, path, body ? { body } : {});
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.body}`);
    return JSON.parse(r.body);
  };
  const slice = (ready: boolean, port: number) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port, protocol: 'TCP' }],
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready } }],
  });
  const ingress = (name: string, host: string, className?: string) => ({
    metadata: { name },
    spec: {
      ...(className ? { ingressClassName: className } : {}),
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
    },
  });

  before(async () => {
    upstream = http.createServer((req, res) => res.end(`web saw ${req.headers.host}${req.url}`));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const upstreamPort = (upstream.address() as net.AddressInfo).port;
    await send('POST', '/apis/networking.k8s.io/v1/ingressclasses', {
      metadata: { name: 'skiff', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
      spec: { controller: 'skiff.io/ingress' },
    });
    await send('POST', '/apis/networking.k8s.io/v1/ingressclasses', { metadata: { name: 'other' }, spec: { controller: 'example.com/other' } });
    await send('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
    await send('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', slice(true, upstreamPort));
    await send('POST', '/apis/networking.k8s.io/v1/namespaces/default/ingresses', ingress('mine', 'a.example'));
    await send('POST', '/apis/networking.k8s.io/v1/namespaces/default/ingresses', ingress('theirs', 'b.example', 'other'));

    const cert = await makeClientCert(cluster.server.pki, 'ingress-test', 'system:skiff-ingress');
    const kubeconfig = await cluster.server.kubeconfigFor(cert, 'ingress');
    [httpPort, metricsPort] = [await freePort(), await freePort()];
    const httpsPort = await freePort();
    controller = await startComponent({
      workspace: 'ingress',
      args: [
        `--kubeconfig=${kubeconfig}`,
        '--bind-address=127.0.0.1',
        `--http-port=${httpPort}`,
        `--https-port=${httpsPort}`,
        `--metrics-port=${metricsPort}`,
        '--publish-address=10.254.0.9',
      ],
      ready: async () => (await get(metricsPort, 'x', '/readyz')).status === 200,
    });
  });
  after(async () => {
    await controller?.stop();
    await new Promise((r) => upstream?.close(r));
  });

  it('serves the Ingress of its default class and not one of another class', async () => {
    const r = await until(
      'a.example served',
      async () => {
        const x = await get(httpPort, 'a.example', '/shop?x=1');
        return x.status === 200 && x;
      },
      20_000,
    );
    expect(r.body).to.equal('web saw a.example/shop?x=1');
    expect((await get(httpPort, 'b.example')).status).to.equal(404);
  });

  it('writes the address into the status of its Ingresses only', async () => {
    const status = await until(
      'status of mine',
      async () => {
        const ing = await send('GET', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/mine');
        return ing.status?.loadBalancer?.ingress?.length > 0 && ing.status.loadBalancer;
      },
      20_000,
    );
    expect(status).to.deep.equal({ ingress: [{ ip: '10.254.0.9' }] });
    const theirs = await send('GET', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/theirs');
    expect(theirs.status?.loadBalancer?.ingress ?? []).to.deep.equal([]);
  });

  it('stops sending to an endpoint once its slice says not ready (503), and counts the answers', async () => {
    const current = await send('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/web-x');
    await send('PUT', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/web-x', {
      ...slice(false, current.ports[0].port),
      metadata: current.metadata,
    });
    await until('503 once not ready', async () => (await get(httpPort, 'a.example')).status === 503, 20_000);
    const metrics = await get(metricsPort, 'x', '/metrics');
    expect(metrics.body).to.match(/skiff_ingress_requests_total\{code="200",scheme="http"\} [1-9]/);
    expect(metrics.body).to.match(/skiff_ingress_requests_total\{code="503",scheme="http"\} [1-9]/);
    expect(metrics.body).to.contain('skiff_ingress_upstream_latency_seconds_bucket');
  });
});
