// Issue 14, acceptance 3: node isolation with two node credentials (client certificates
// system:node:a and system:node:b) against a test apiserver running Node,RBAC with
// NodeRestriction, and the certificates controller in-process. Node a cannot read a Secret only
// a pod on node b uses, cannot patch node b, and cannot get a certificate for b's name: not with
// its own credential, not with a bootstrap token.
import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import { createNodeCsr, KUBELET_CLIENT_SIGNER } from '@skiff/common/bootstrap/csr';
import { makeClientCert, until, useApiserver, type CertPair, type HttpResponse } from '@skiff/common/testing/index';
import { start as startCertificates } from '../src/controllers/certificates/controller.ts';

const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('node isolation: node a against node b', function () {
  this.timeout(120_000);
  const cluster = useApiserver();
  const nodes = {} as Record<'a' | 'b', CertPair>;
  let stopCertificates: (() => Promise<void>) | undefined;

  const as = (who: 'a' | 'b', method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResponse> =>
    cluster.server.request(method, path, { client: nodes[who], body: body as object, headers });
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await cluster.server.request(method, path, { body: body as object });
    expect(r.status, `${method} ${path}: ${r.body}`).to.be.oneOf([200, 201]);
    return JSON.parse(r.body);
  };
  const csrBody = (name: string, pem: string) => ({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: { request: b64(pem), signerName: KUBELET_CLIENT_SIGNER, usages: ['digital signature', 'client auth'] },
  });
  const csr = async (name: string) => JSON.parse((await cluster.server.request('GET', `${CSRS}/${name}`)).body);

  before(async () => {
    const pki = cluster.server.pki;
    for (const n of ['a', 'b'] as const) {
      nodes[n] = await makeClientCert(pki, `iso-${n}`, `system:node:${n}`, 'system:nodes');
      const r = await as(n, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: n } });
      expect(r.status, r.body).to.equal(201);
    }
    await admin('POST', '/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b-only' }, stringData: { k: 'v' } });
    await admin('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'on-b' },
      spec: { nodeName: 'b', containers: [{ name: 'c', image: 'nginx', envFrom: [{ secretRef: { name: 'b-only' } }] }] },
    });
    await until("node b may read its pod's Secret", async () => (await as('b', 'GET', '/api/v1/namespaces/default/secrets/b-only')).status === 200, 10_000);
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.server.kubeconfigPath);
    stopCertificates = await startCertificates({ kubeConfig: kc, config: { clusterSigningCertFile: pki.caCert, clusterSigningKeyFile: pki.caKey } });
  });
  after(async () => {
    await stopCertificates?.();
  });

  it('cannot read a Secret only a pod on node b uses', async () => {
    const r = await as('a', 'GET', '/api/v1/namespaces/default/secrets/b-only');
    expect(r.status).to.equal(403);
    expect(JSON.parse(r.body).message).to.equal(
      'secrets "b-only" is forbidden: User "system:node:a" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node \'a\' and this object',
    );
  });

  it('cannot patch node b, nor its status', async () => {
    for (const path of ['/api/v1/nodes/b', '/api/v1/nodes/b/status']) {
      const r = await as('a', 'PATCH', path, { metadata: { labels: { owned: 'by-a' } } }, { 'content-type': 'application/merge-patch+json' });
      expect(r.status, path).to.equal(403);
      expect(JSON.parse(r.body).message).to.equal('nodes "b" is forbidden: node "a" is not allowed to modify node "b"');
    }
    const b = await admin('GET', '/api/v1/nodes/b');
    expect(b.metadata.labels?.owned).to.equal(undefined);
  });

  it("cannot get a certificate for node b's name", async () => {
    // with its own credential: a's request for b's name is never approved, its own renewal is
    const forB = await createNodeCsr('b');
    expect((await as('a', 'POST', CSRS, csrBody('a-asks-for-b', forB.csrPem))).status).to.equal(201);
    const renewal = await createNodeCsr('a');
    expect((await as('a', 'POST', CSRS, csrBody('a-renews', renewal.csrPem))).status).to.equal(201);
    await until('a renewed', async () => !!(await csr('a-renews')).status?.certificate, 20_000);
    const stolen = await csr('a-asks-for-b');
    expect(stolen.status?.conditions ?? []).to.deep.equal([]);
    expect(stolen.status?.certificate).to.equal(undefined);

    // with a bootstrap token: b is registered, so its name is not given again
    await admin('POST', '/api/v1/namespaces/kube-system/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'bootstrap.kubernetes.io/token',
      metadata: { name: 'bootstrap-token-isoabc', namespace: 'kube-system' },
      stringData: {
        'token-id': 'isoabc',
        'token-secret': '0123456789abcdef',
        'usage-bootstrap-authentication': 'true',
        expiration: new Date(Date.now() + 3600_000).toISOString(),
      },
    });
    const token = { client: null, headers: { authorization: 'Bearer isoabc.0123456789abcdef' } };
    const viaToken = await createNodeCsr('b');
    const posted = await cluster.server.request('POST', CSRS, { ...token, body: csrBody('token-asks-for-b', viaToken.csrPem) });
    expect(posted.status, posted.body).to.equal(201);
    const denied = await until('the token request denied', async () => {
      const c = await csr('token-asks-for-b');
      return (c.status?.conditions ?? []).find((x: { type: string }) => x.type === 'Denied');
    });
    expect(denied.reason).to.equal('NodeAlreadyRegistered');
    expect((await csr('token-asks-for-b')).status?.certificate).to.equal(undefined);
  });
});
