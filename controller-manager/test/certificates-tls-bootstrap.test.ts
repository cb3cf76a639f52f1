// Cluster security against the real apiserver: 401 for anonymous requests, bootstrap tokens,
// the whole TLS bootstrap of a node (token -> CSR -> auto-approve -> signed cert -> the cert
// authenticates as system:node:NAME) with the certificates controller running in-process,
// and ServiceAccount tokens from the TokenRequest subresource.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import { makePki, removeOnExit, until, useApiserver, type Pki } from '@skiff/common/testing/index';
import { createNodeCsr, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER } from '@skiff/common/bootstrap/csr';
import { caHashOf, clusterInfoKubeconfig } from '@skiff/common/bootstrap/discovery';
import { tlsBootstrap, writeBootstrapKubeconfig } from '@skiff/common/bootstrap/tls-bootstrap';
import { start as startCertificates } from '../src/controllers/certificates/controller.ts';

function pkiIn(dir: string): Pki {
  const pair = (n: string) => ({ cert: join(dir, `${n}.crt`), key: join(dir, `${n}.key`) });
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'apiserver.crt'),
    serverKey: join(dir, 'apiserver.key'),
    admin: pair('admin'),
    controllerManager: pair('controller-manager'),
    scheduler: pair('scheduler'),
    kubelet: pair('kubelet'),
    apiserverKubeletClient: pair('apiserver-kubelet-client'),
    kubeProxy: pair('kube-proxy'),
    dns: pair('dns'),
    frontProxyCaCert: join(dir, 'front-proxy-ca.crt'),
    frontProxyClient: pair('front-proxy-client'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
  };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('cluster security: tokens, TLS bootstrap, service accounts', function () {
  this.timeout(120_000);
  const work = mkdtempSync(join(tmpdir(), 'skiff-tls-bootstrap-'));
  removeOnExit(work);
  const pki = pkiIn(join(work, 'pki'));
  before(async function () {
    this.timeout(60_000);
    await makePki(pki.dir);
  });
  const cluster = useApiserver({
    pki,
    extraArgs: [
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--enable-bootstrap-token-auth=true',
    ],
  });

  const tokenId = 'w1boot';
  const token = `${tokenId}.0123456789abcdef`;
  const bearer = (t: string) => ({ client: null, headers: { authorization: `Bearer ${t}` } });

  async function createTokenSecret(id: string, secret: string, expiration: Date): Promise<void> {
    const r = await cluster.server.request('POST', '/api/v1/namespaces/kube-system/secrets', {
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'bootstrap.kubernetes.io/token',
        metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
        data: {
          'token-id': b64(id),
          'token-secret': b64(secret),
          'usage-bootstrap-authentication': b64('true'),
          'auth-extra-groups': b64('system:bootstrappers:worker'),
          expiration: b64(expiration.toISOString()),
        },
      },
    });
    expect(r.status, r.body).to.equal(201);
  }

  before(async () => {
    await createTokenSecret(tokenId, '0123456789abcdef', new Date(Date.now() + 3600_000));
    await createTokenSecret('oldtok', '0123456789abcdef', new Date(Date.now() - 60_000));
    const caPem = readFileSync(pki.caCert, 'utf8');
    const r = await cluster.server.request('POST', '/api/v1/namespaces/kube-public/configmaps', {
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cluster-info', namespace: 'kube-public' },
        data: { kubeconfig: clusterInfoKubeconfig(cluster.server.url, caPem) },
      },
    });
    expect(r.status, r.body).to.equal(201);
  });

  it('answers anonymous requests with 401, except health and version', async () => {
    expect((await cluster.server.request('GET', '/api/v1/namespaces', { client: null })).status).to.equal(401);
    expect((await cluster.server.request('GET', '/apis', { client: null })).status).to.equal(401);
    for (const p of ['/healthz', '/livez', '/readyz', '/version']) {
      expect((await cluster.server.request('GET', p, { client: null })).status, p).to.equal(200);
    }
  });

  it('authenticates a bootstrap token as system:bootstrap:<id> that may only deal with CSRs', async () => {
    expect((await cluster.server.request('GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests', bearer(token))).status).to.equal(200);
    const denied = await cluster.server.request('GET', '/api/v1/namespaces/default/pods', bearer(token));
    expect(denied.status).to.equal(403);
    expect(JSON.parse(denied.body).message).to.equal(
      `pods is forbidden: User "system:bootstrap:${tokenId}" cannot list resource "pods" in API group "" in the namespace "default"`,
    );
  });

  it('refuses a wrong or an expired token with 401', async () => {
    expect(
      (await cluster.server.request('GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests', bearer(`${tokenId}.ffffffffffffffff`))).status,
    ).to.equal(401);
    expect((await cluster.server.request('GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests', bearer('oldtok.0123456789abcdef'))).status).to.equal(
      401,
    );
    expect((await cluster.server.request('GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests', bearer('garbage'))).status).to.equal(401);
  });

  it('bootstraps a node: CSR, auto-approval, signed certificate that authenticates as system:node:NAME', async () => {
    const adminKc = new KubeConfig();
    adminKc.loadFromFile(cluster.server.kubeconfigPath);
    const stop = await startCertificates({ kubeConfig: adminKc, config: { clusterSigningCertFile: pki.caCert, clusterSigningKeyFile: pki.caKey } });
    try {
      const caHash = caHashOf(readFileSync(pki.caCert, 'utf8'));
      const bootstrapKubeconfig = await writeBootstrapKubeconfig({ server: cluster.server.url, token, caHash, path: join(work, 'w1', 'bootstrap-kubeconfig') });
      const wrongPin = `sha256:${'0'.repeat(64)}`;
      let pinError: unknown;
      try {
        await writeBootstrapKubeconfig({ server: cluster.server.url, token, caHash: wrongPin, path: join(work, 'x') });
      } catch (e) {
        pinError = e;
      }
      expect(String(pinError)).to.match(/does not match the pinned hash/);

      const kubeconfig = await tlsBootstrap({ bootstrapKubeconfig, nodeName: 'w1', outDir: join(work, 'w1'), timeoutMs: 60_000, pollIntervalMs: 200 });
      const csrs = JSON.parse((await cluster.server.request('GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests')).body).items;
      expect(csrs).to.have.length(1);
      expect(csrs[0].spec.username).to.equal(`system:bootstrap:${tokenId}`);
      expect(csrs[0].spec.groups).to.include('system:bootstrappers:worker');
      expect(csrs[0].status.conditions.map((c: any) => c.type)).to.deep.equal(['Approved']);

      const node = { cert: join(work, 'w1', 'kubelet-client.crt'), key: join(work, 'w1', 'kubelet-client.key') };
      expect((await cluster.server.request('GET', '/api/v1/nodes', { client: node })).status).to.equal(200);
      const denied = await cluster.server.request('DELETE', '/apis/apps/v1/namespaces/default/deployments/web', { client: node });
      expect(denied.status).to.equal(403);
      expect(JSON.parse(denied.body).message).to.contain('User "system:node:w1"');
      // the written kubeconfig works with the official client and is reused on a restart
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      expect(kc.getCurrentUser()?.certFile).to.equal(node.cert);
      expect(await tlsBootstrap({ bootstrapKubeconfig, nodeName: 'w1', outDir: join(work, 'w1') })).to.equal(kubeconfig);
    } finally {
      await stop();
    }
  });

  it('issues system:node:NAME once per name: a second join, a join as an existing node, or a token asking for more is denied', async () => {
    const adminKc = new KubeConfig();
    adminKc.loadFromFile(cluster.server.kubeconfigPath);
    const stop = await startCertificates({ kubeConfig: adminKc, config: { clusterSigningCertFile: pki.caCert, clusterSigningKeyFile: pki.caKey } });
    const csrPath = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
    const csrsNow = async () => JSON.parse((await cluster.server.request('GET', csrPath)).body).items as any[];
    const deniedOf = (csr: any) => (csr.status?.conditions ?? []).find((c: any) => c.type === 'Denied');
    try {
      const caHash = caHashOf(readFileSync(pki.caCert, 'utf8'));
      const bootstrapKubeconfig = await writeBootstrapKubeconfig({
        server: cluster.server.url,
        token,
        caHash,
        path: join(work, 'again', 'bootstrap-kubeconfig'),
      });
      const joinAs = async (nodeName: string, dir: string) => {
        try {
          await tlsBootstrap({ bootstrapKubeconfig, nodeName, outDir: join(work, dir), timeoutMs: 30_000, pollIntervalMs: 200 });
          return '';
        } catch (e) {
          return (e as Error).message;
        }
      };
      // w1 joined above with this token: the same name again, before its Node even exists
      expect(await joinAs('w1', 'w1-again')).to.match(/denied: NodeNameAlreadyRequested certificate signing request node-csr-\S+ already asked for node "w1"/);
      // the name of a registered node
      const n2 = await cluster.server.request('POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'w2' } } });
      expect(n2.status, n2.body).to.equal(201);
      for (const attempt of ['w2', 'w2-again']) {
        expect(await joinAs('w2', attempt)).to.match(
          /^certificate signing request node-csr-\S+ denied: NodeAlreadyRegistered node "w2" is already registered: a joining node may not take the name of an existing node \(delete the Node first to join again under this name\)$/,
        );
      }
      // a new name joins
      expect(await joinAs('w3', 'w3')).to.equal('');
      // users read the reason in the CSR's condition and in a Warning event
      const w2Denied = (await csrsNow()).filter((c) => deniedOf(c)?.reason === 'NodeAlreadyRegistered');
      expect(w2Denied).to.have.length(2);
      const events = await until('the denial event', async () => {
        const list = JSON.parse((await cluster.server.request('GET', '/api/v1/namespaces/default/events')).body).items as any[];
        const found = list.filter((e) => e.reason === 'NodeAlreadyRegistered' && e.involvedObject.kind === 'CertificateSigningRequest');
        return found.length ? found : undefined;
      });
      expect(events[0].type).to.equal('Warning');
      expect(events[0].message).to.contain('node "w2" is already registered');
      const described = await cluster.server.kubectl('1.33', ['get', 'csr', w2Denied[0].metadata.name]);
      expect(described.stdout).to.contain('Denied');

      // node w3's own credential cannot get a client certificate for w2's name: never approved
      const w3 = { cert: join(work, 'w3', 'kubelet-client.crt'), key: join(work, 'w3', 'kubelet-client.key') };
      const { csrPem } = await createNodeCsr('w2');
      const stolen = await cluster.server.request('POST', csrPath, {
        client: w3,
        body: {
          apiVersion: 'certificates.k8s.io/v1',
          kind: 'CertificateSigningRequest',
          metadata: { name: 'w3-asks-for-w2' },
          spec: { request: Buffer.from(csrPem).toString('base64'), signerName: KUBELET_CLIENT_SIGNER, usages: ['digital signature', 'client auth'] },
        },
      });
      expect(stolen.status, stolen.body).to.equal(201);
      // a bootstrap token asking for anything but a node client certificate is denied
      const serving = await createNodeCsr('w9', { ipAddresses: ['10.0.0.9'], dnsNames: ['w9'] });
      const bootstrapServing = await cluster.server.request('POST', csrPath, {
        ...bearer(token),
        body: {
          apiVersion: 'certificates.k8s.io/v1',
          kind: 'CertificateSigningRequest',
          metadata: { name: 'token-asks-for-serving' },
          spec: { request: Buffer.from(serving.csrPem).toString('base64'), signerName: KUBELET_SERVING_SIGNER, usages: ['digital signature', 'server auth'] },
        },
      });
      expect(bootstrapServing.status, bootstrapServing.body).to.equal(201);
      const servingCsr = await until('the serving CSR denied', async () => {
        const c = (await csrsNow()).find((x) => x.metadata.name === 'token-asks-for-serving');
        return deniedOf(c) ? c : undefined;
      });
      expect(deniedOf(servingCsr).reason).to.equal('NotANodeClientRequest');
      // by then the controller has seen w3's request too, and left it alone
      const w3Csr = (await csrsNow()).find((x) => x.metadata.name === 'w3-asks-for-w2');
      expect(w3Csr.status?.conditions ?? []).to.deep.equal([]);
      expect(w3Csr.status?.certificate).to.equal(undefined);
    } finally {
      await stop();
    }
  });

  it('issues ServiceAccount tokens through TokenRequest that authenticate as system:serviceaccount:NS:NAME', async () => {
    const created = await cluster.server.request('POST', '/api/v1/namespaces/default/serviceaccounts', {
      body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder' } },
    });
    expect(created.status, created.body).to.equal(201);
    const tr = await cluster.server.request('POST', '/api/v1/namespaces/default/serviceaccounts/builder/token', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    });
    expect(tr.status, tr.body).to.equal(201);
    const saToken = JSON.parse(tr.body).status.token as string;
    expect(saToken.split('.')).to.have.length(3);
    // RBAC gives a ServiceAccount discovery and nothing more unless bound
    expect((await cluster.server.request('GET', '/api', bearer(saToken))).status).to.equal(200);
    expect((await cluster.server.request('GET', '/api/v1/namespaces/default/pods', bearer(saToken))).status).to.equal(403);
    const denied = await cluster.server.request('POST', '/api/v1/namespaces/default/configmaps', {
      ...bearer(saToken),
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
    });
    expect(denied.status).to.equal(403);
    expect(JSON.parse(denied.body).message).to.contain('User "system:serviceaccount:default:builder"');
    // the token dies with its ServiceAccount
    expect((await cluster.server.request('DELETE', '/api/v1/namespaces/default/serviceaccounts/builder')).status).to.equal(200);
    expect((await cluster.server.request('GET', '/api', bearer(saToken))).status).to.equal(401);
  });
});
