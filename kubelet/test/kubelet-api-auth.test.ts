// The kubelet's API port against a real apiserver (Node,RBAC), as issue 14 asks: it refuses
// anonymous callers and certificates from another CA (401) and authenticated users without
// RBAC permission (403), and accepts the apiserver's own kubelet-client certificate (also
// through `kubectl get --raw .../nodes/NODE/proxy/...`) and a ServiceAccount token that was
// granted nodes/proxy. A simulated runtime: no containerd needed.
import { expect } from 'chai';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '@skiff/common';
import {
  makeClientCert,
  removeOnExit,
  runKubectl,
  sharedEtcd,
  sharedPki,
  startApiserver,
  type ApiserverHandle,
  type CertPair,
  type Pki,
} from '@skiff/common/testing/index';
import { Kubelet } from '../src/kubelet.ts';

const NODE = 'auth-node';
const V = '1.33';

interface Answer {
  status: number;
  body: string;
}

describe('kubelet API authentication and authorization (against the apiserver)', function () {
  this.timeout(120_000);
  let server: ApiserverHandle;
  let kubelet: Kubelet;
  let rootDir: string;
  const work = mkdtempSync(join(tmpdir(), 'skiff-kubelet-auth-'));
  removeOnExit(work);

  /** One request to the kubelet port, with a client certificate, a bearer token, or neither. */
  const call = (path: string, o: { cert?: CertPair; token?: string; method?: string; upgrade?: boolean } = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: kubelet.port,
          path,
          method: o.method ?? 'GET',
          // the kubelet's self-signed serving certificate: not what is tested here
          rejectUnauthorized: false,
          ...(o.cert ? { cert: readFileSync(o.cert.cert), key: readFileSync(o.cert.key) } : {}),
          headers: {
            ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}),
            ...(o.upgrade
              ? { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' }
              : {}),
          },
        },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => {
            body += d.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
        },
      );
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode ?? 101, body: '' });
      });
      req.on('error', reject);
      req.end();
    });

  const kubectl = async (args: string[], stdin?: string) => {
    const r = await server.kubectl(V, args, stdin ? { stdin } : {});
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r.stdout.trim();
  };

  before(async function () {
    this.timeout(120_000);
    const pki = await sharedPki();
    server = await startApiserver({
      etcdUrl: (await sharedEtcd()).url,
      extraArgs: [`--service-account-signing-key-file=${pki.serviceAccountKey}`, `--service-account-key-file=${pki.serviceAccountPub}`],
    });
    // the kubelet asks its TokenReviews and SubjectAccessReviews as the node itself
    const nodeCert = await makeClientCert(pki, `node-${NODE}`, `system:node:${NODE}`, 'system:nodes');
    const kc = new KubeConfig();
    kc.loadFromFile(await server.kubeconfigFor(nodeCert, NODE));
    rootDir = mkdtempSync(join(tmpdir(), 'skiff-kubelet-auth-root-'));
    kubelet = new Kubelet({
      kubeConfig: kc,
      nodeName: NODE,
      nodeIP: '127.0.0.1',
      rootDir,
      runtime: 'simulated',
      port: 0,
      bindAddress: '127.0.0.1',
      recordEvents: false,
      logger: createLogger('kubelet-auth-test'),
    });
    await kubelet.start();
  });

  after(async () => {
    if (kubelet) await kubelet.stop();
    if (rootDir) rmSync(rootDir, { recursive: true, force: true });
    await server?.stop();
  });

  it('refuses an anonymous caller with 401, /healthz included', async () => {
    for (const path of ['/pods', '/healthz', '/metrics', '/stats/summary']) {
      expect(await call(path), path).to.deep.equal({ status: 401, body: 'Unauthorized' });
    }
  });

  it('refuses a certificate from another CA (401), even one naming an admin', async () => {
    // scripts/pki.sh makes a CA of its own in a directory that has none
    const otherCa = { dir: join(work, 'other-pki') } as Pki;
    const admin = await makeClientCert(otherCa, 'admin', 'kubernetes-admin', 'system:masters');
    const kubeletClient = await makeClientCert(otherCa, 'kubelet-client', 'kube-apiserver-kubelet-client');
    expect((await call('/pods', { cert: admin })).status).to.equal(401);
    expect((await call('/healthz', { cert: kubeletClient })).status).to.equal(401);
  });

  it('refuses a bearer token the apiserver does not know (401)', async () => {
    expect((await call('/pods', { token: 'not-a-real-token' })).status).to.equal(401);
  });

  it('refuses an authenticated user without RBAC permission (403), in the kubelet wording', async () => {
    const pki = await sharedPki();
    const mallory = await makeClientCert(pki, 'mallory', 'mallory', 'interns');
    expect(await call('/pods', { cert: mallory })).to.deep.equal({
      status: 403,
      body: 'Forbidden (user=mallory, verb=get, resource=nodes, subresource=pods)',
    });
    expect((await call('/healthz', { cert: mallory })).status).to.equal(403);
    expect(await call('/stats/summary', { cert: mallory })).to.deep.equal({
      status: 403,
      body: 'Forbidden (user=mallory, verb=get, resource=nodes, subresource=stats)',
    });
    expect((await call('/exec/default/x/c?command=id', { cert: mallory, upgrade: true })).body).to.equal(
      'Forbidden (user=mallory, verb=create, resource=nodes, subresource=proxy)',
    );
  });

  it("refuses the node's own credential, as the Node authorizer grants no nodes/proxy", async () => {
    const pki = await sharedPki();
    const self = { cert: join(pki.dir, `node-${NODE}.crt`), key: join(pki.dir, `node-${NODE}.key`) };
    expect((await call('/pods', { cert: self })).status).to.equal(403);
  });

  it("accepts the apiserver's kubelet-client certificate and an admin's", async () => {
    const pki = await sharedPki();
    for (const cert of [pki.apiserverKubeletClient, pki.admin]) {
      for (const path of ['/pods', '/healthz', '/metrics', '/stats/summary']) {
        expect((await call(path, { cert })).status, `${cert.cert} ${path}`).to.equal(200);
      }
    }
    expect(JSON.parse((await call('/pods', { cert: pki.apiserverKubeletClient })).body).kind).to.equal('PodList');
  });

  it('serves nodes/NODE/proxy through the apiserver, which shows its kubelet-client certificate', async () => {
    const pods = JSON.parse(await kubectl(['get', '--raw', `/api/v1/nodes/${NODE}/proxy/pods`])) as { kind: string };
    expect(pods.kind).to.equal('PodList');
    expect(await kubectl(['get', '--raw', `/api/v1/nodes/${NODE}/proxy/healthz`])).to.equal('ok');
  });

  it('gives the kubelet-client identity nothing beyond system:kubelet-api-admin', async () => {
    const pki = await sharedPki();
    const kubeconfig = await server.kubeconfigFor(pki.apiserverKubeletClient, 'kubelet-client');
    const can = async (...args: string[]) => (await runKubectl(kubeconfig, V, ['auth', 'can-i', ...args])).stdout.trim();
    expect(await can('get', 'nodes/proxy')).to.equal('yes');
    expect(await can('get', 'nodes/stats')).to.equal('yes');
    expect(await can('list', 'secrets', '-A')).to.equal('no');
    expect(await can('create', 'pods/exec')).to.equal('no');
    expect(await can('delete', 'nodes')).to.equal('no');
  });

  it('accepts a ServiceAccount token granted nodes/proxy, and only what it was granted', async () => {
    await kubectl(['create', 'serviceaccount', 'scraper']);
    await kubectl(['create', 'clusterrole', 'kubelet-proxy-reader', '--verb=get', '--resource=nodes/proxy']);
    await kubectl(['create', 'clusterrolebinding', 'scraper-proxy', '--clusterrole=kubelet-proxy-reader', '--serviceaccount=default:scraper']);
    const token = await kubectl(['create', 'token', 'scraper']);
    expect((await call('/pods', { token })).status).to.equal(200);
    expect((await call('/healthz', { token })).status).to.equal(200);
    // get only: neither a POST nor an exec upgrade, and nodes/stats is not nodes/proxy
    expect((await call('/run/default/x/c', { token, method: 'POST' })).body).to.equal(
      'Forbidden (user=system:serviceaccount:default:scraper, verb=create, resource=nodes, subresource=proxy)',
    );
    expect((await call('/exec/default/x/c?command=id', { token, upgrade: true })).status).to.equal(403);
    expect((await call('/stats/summary', { token })).status).to.equal(403);
    // a token without any grant is known (not 401) but refused
    await kubectl(['create', 'serviceaccount', 'nobody']);
    const plain = await kubectl(['create', 'token', 'nobody']);
    expect((await call('/pods', { token: plain })).status).to.equal(403);
  });

  it('grants nodes/stats apart from nodes/proxy', async () => {
    await kubectl(['create', 'serviceaccount', 'stats-reader']);
    await kubectl(['create', 'clusterrole', 'kubelet-stats-reader', '--verb=get', '--resource=nodes/stats', `--resource-name=${NODE}`]);
    await kubectl(['create', 'clusterrolebinding', 'stats-reader', '--clusterrole=kubelet-stats-reader', '--serviceaccount=default:stats-reader']);
    const token = await kubectl(['create', 'token', 'stats-reader']);
    expect((await call('/stats/summary', { token })).status).to.equal(200);
    expect((await call('/pods', { token })).status).to.equal(403);
    expect((await call('/metrics', { token })).status).to.equal(403);
  });
});
