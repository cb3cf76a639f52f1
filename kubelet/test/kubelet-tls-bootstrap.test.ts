// The kubelet's TLS bootstrap against the real apiserver and controller-manager (simulated
// runtime: no containerd needed): with only a bootstrap token it gets a client certificate
// (CSR from system:bootstrap:ID) and a serving certificate (CSR from system:node:NAME),
// registers its Node, serves :10250 with a certificate the cluster CA verifies, keeps both
// across a restart, serves its API only to callers RBAC lets use nodes/proxy (the apiserver's
// kubelet client, admins; not other nodes, not itself), and exits with a clear error when the
// token is refused.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caHashOf, clusterInfoKubeconfig } from '@skiff/common/bootstrap/discovery';
import { createNodeCsr } from '@skiff/common/bootstrap/csr';
import { kubeconfigYaml, writeFileAtomic } from '@skiff/common/bootstrap/kubeconfig-file';
import { writeBootstrapKubeconfig } from '@skiff/common/bootstrap/tls-bootstrap';
import { componentEntryArgs, freePort, makeClientCert, repoRoot, startComponent, removeOnExit, useApiserver, until } from '@skiff/common/testing/index';
import type { ComponentHandle } from '@skiff/common/testing/index';

type Json = Record<string, any>;
const NODE = 'boot-1';
const TOKEN_ID = 'kbboot';
const TOKEN = `${TOKEN_ID}.0123456789abcdef`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** The certificate the kubelet presents on 127.0.0.1:port, verified against `ca` (IP SAN included). */
function servedCertificate(port: number, ca: Buffer): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca, rejectUnauthorized: true }, () => {
      const raw = s.getPeerX509Certificate();
      s.end();
      if (raw) resolve(raw);
      else reject(new Error('no peer certificate'));
    });
    s.on('error', reject);
  });
}

describe('kubelet TLS bootstrap (--bootstrap-kubeconfig, --rotate-server-certificates)', function () {
  this.timeout(120_000);
  const cluster = useApiserver({ extraArgs: ['--enable-bootstrap-token-auth=true'] });
  const work = mkdtempSync(join(tmpdir(), 'skiff-kubelet-bootstrap-'));
  removeOnExit(work);
  let cm: ComponentHandle | undefined;
  let kubelet: ComponentHandle | undefined;
  let port = 0;

  const get = async (path: string): Promise<Json> => {
    const r = await cluster.server.request('GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.body.slice(0, 200)}`);
    return JSON.parse(r.body) as Json;
  };
  const csrs = async () => (await get('/apis/certificates.k8s.io/v1/certificatesigningrequests')).items as Json[];
  const kubeletArgs = (bootstrapKubeconfig: string, dir: string, nodeName: string, kubeletPort: number) => [
    `--bootstrap-kubeconfig=${bootstrapKubeconfig}`,
    `--kubeconfig=${join(dir, 'kubelet.kubeconfig')}`,
    `--cert-dir=${join(dir, 'pki')}`,
    '--rotate-server-certificates',
    `--client-ca-file=${cluster.server.pki.caCert}`,
    '--runtime=simulated',
    `--node-name=${nodeName}`,
    '--node-ip=127.0.0.1',
    '--bind-address=127.0.0.1',
    `--port=${kubeletPort}`,
    `--root-dir=${join(dir, 'root')}`,
    `--cni-conf-dir=${join(dir, 'cni')}`,
    '--bootstrap-timeout=60',
  ];

  before(async function () {
    this.timeout(60_000);
    const admin = (path: string, body: Json) => cluster.server.request('POST', path, { body });
    const secret = await admin('/api/v1/namespaces/kube-system/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'bootstrap.kubernetes.io/token',
      metadata: { name: `bootstrap-token-${TOKEN_ID}`, namespace: 'kube-system' },
      data: {
        'token-id': b64(TOKEN_ID),
        'token-secret': b64('0123456789abcdef'),
        'usage-bootstrap-authentication': b64('true'),
        'auth-extra-groups': b64('system:bootstrappers:worker'),
        expiration: b64(new Date(Date.now() + 3600_000).toISOString()),
      },
    });
    expect(secret.status, secret.body).to.equal(201);
    const info = await admin('/api/v1/namespaces/kube-public/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cluster-info', namespace: 'kube-public' },
      data: { kubeconfig: clusterInfoKubeconfig(cluster.server.url, readFileSync(cluster.server.pki.caCert, 'utf8')) },
    });
    expect(info.status, info.body).to.equal(201);
    const pki = cluster.server.pki;
    const cmPort = await freePort();
    cm = await startComponent({
      workspace: 'controller-manager',
      args: [
        `--kubeconfig=${await cluster.server.kubeconfigFor(pki.controllerManager, 'controller-manager')}`,
        `--port=${cmPort}`,
        '--leader-elect=false',
        `--cluster-signing-cert-file=${pki.caCert}`,
        `--cluster-signing-key-file=${pki.caKey}`,
      ],
      ready: async () => (await fetch(`http://127.0.0.1:${cmPort}/healthz`).catch(() => undefined))?.ok ?? false,
    });
  });
  after(async () => {
    await kubelet?.stop();
    await cm?.stop();
  });

  it('joins with only a token: both certificates by CSR, the Node registers, :10250 verifies against the CA', async () => {
    const dir = join(work, NODE);
    const caHash = caHashOf(readFileSync(cluster.server.pki.caCert, 'utf8'));
    const bootstrap = await writeBootstrapKubeconfig({ server: cluster.server.url, token: TOKEN, caHash, path: join(dir, 'bootstrap-kubeconfig') });
    port = await freePort();
    kubelet = await startComponent({
      workspace: 'kubelet',
      args: kubeletArgs(bootstrap, dir, NODE, port),
      ready: () =>
        servedCertificate(port, readFileSync(cluster.server.pki.caCert)).then(
          () => true,
          () => false,
        ),
    });
    const node = await until(
      'Node Ready',
      async () => {
        const n = await get(`/api/v1/nodes/${NODE}`);
        return n.status?.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True') && n;
      },
      30_000,
    );
    expect(node.status.addresses.find((a: Json) => a.type === 'InternalIP').address).to.equal('127.0.0.1');

    const all = await csrs();
    const client = all.filter((c) => c.spec.signerName === 'kubernetes.io/kube-apiserver-client-kubelet');
    const serving = all.filter((c) => c.spec.signerName === 'kubernetes.io/kubelet-serving');
    expect(client).to.have.length(1);
    expect(client[0]!.spec.username).to.equal(`system:bootstrap:${TOKEN_ID}`);
    expect(serving).to.have.length(1);
    expect(serving[0]!.spec.username).to.equal(`system:node:${NODE}`);
    for (const c of all) expect(c.status.conditions.map((x: Json) => x.type)).to.deep.equal(['Approved']);

    const ca = new X509Certificate(readFileSync(cluster.server.pki.caCert));
    const clientCert = new X509Certificate(readFileSync(join(dir, 'pki', 'kubelet-client.crt')));
    expect(clientCert.subject.split('\n')).to.include.members([`CN=system:node:${NODE}`, 'O=system:nodes']);
    expect(clientCert.verify(ca.publicKey)).to.equal(true);
    const kubeconfig = readFileSync(join(dir, 'kubelet.kubeconfig'), 'utf8');
    expect(kubeconfig)
      .to.include(join(dir, 'pki', 'kubelet-client.crt'))
      .and.not.include(TOKEN);
    const served = await servedCertificate(port, readFileSync(cluster.server.pki.caCert));
    expect(served.subject.split('\n')).to.include(`CN=system:node:${NODE}`);
    expect(served.subjectAltName).to.include('IP Address:127.0.0.1').and.include(`DNS:${NODE}`);
  });

  it("serves its API only to the apiserver's kubelet client and admins, /healthz included; not to nodes", async () => {
    const dir = join(work, NODE);
    const pki = cluster.server.pki;
    const other = await makeClientCert(pki, 'node-other', 'system:node:other', 'system:nodes');
    const self = { cert: join(dir, 'pki', 'kubelet-client.crt'), key: join(dir, 'pki', 'kubelet-client.key') };
    const get = (path: string, client: { cert: string; key: string }) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpsRequest(
          { host: '127.0.0.1', port, path, ca: readFileSync(pki.caCert), cert: readFileSync(client.cert), key: readFileSync(client.key) },
          (res) => {
            let body = '';
            res.on('data', (d: Buffer) => {
              body += d.toString();
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect((await get('/healthz', other)).status).to.equal(403);
    const refused = await get('/pods', other);
    expect(refused.status).to.equal(403);
    expect(refused.body.trim()).to.equal('Forbidden (user=system:node:other, verb=get, resource=nodes, subresource=pods)');
    expect((await get('/metrics', other)).body.trim()).to.match(/subresource=metrics\)$/);
    // as in Kubernetes, a node's own credential holds no nodes/proxy either
    expect((await get('/pods', self)).status).to.equal(403);
    expect((await get('/pods', pki.admin)).status).to.equal(200);
    expect((await get('/pods', pki.apiserverKubeletClient)).status).to.equal(200);
    expect((await get('/healthz', pki.apiserverKubeletClient)).status).to.equal(200);
  });

  it('denies a serving CSR from the node for addresses its Node does not report', async () => {
    const dir = join(work, NODE);
    const self = { cert: join(dir, 'pki', 'kubelet-client.crt'), key: join(dir, 'pki', 'kubelet-client.key') };
    const { csrPem } = await createNodeCsr(NODE, { dnsNames: [NODE], ipAddresses: ['127.0.0.1', '10.96.0.1'] });
    const r = await cluster.server.request('POST', '/apis/certificates.k8s.io/v1/certificatesigningrequests', {
      client: self,
      body: {
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name: 'foreign-sans' },
        spec: { request: b64(csrPem), signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] },
      },
    });
    expect(r.status, r.body).to.equal(201);
    let denied: Json | undefined;
    await until('the CSR denied', async () => {
      denied = ((await get('/apis/certificates.k8s.io/v1/certificatesigningrequests/foreign-sans')).status?.conditions as Json[] | undefined)?.find(
        (c) => c.type === 'Denied',
      );
      return !!denied;
    });
    expect(denied).to.include({ status: 'True', reason: 'SubjectAltNamesNotOwned' });
    expect(denied!.message).to.match(/IP addresses \[10\.96\.0\.1\] are not among node boot-1's addresses/);
    const after = await get('/apis/certificates.k8s.io/v1/certificatesigningrequests/foreign-sans');
    expect(after.status?.certificate).to.equal(undefined);
  });

  it('keeps its certificates across a restart: no new CSR', async () => {
    const before = (await csrs()).length;
    await kubelet!.restart();
    await until('kubelet serving again', () => servedCertificate(port, readFileSync(cluster.server.pki.caCert)).then(() => true), 30_000);
    expect((await csrs()).length).to.equal(before);
  });

  it('exits with a clear error when the apiserver refuses the bootstrap token, asking for nothing', async () => {
    const dir = join(work, 'intruder');
    const caPem = readFileSync(cluster.server.pki.caCert, 'utf8');
    const bad = join(dir, 'bootstrap-kubeconfig');
    await writeFileAtomic(bad, kubeconfigYaml({ server: cluster.server.url, caPem, userName: 'bad', user: { token: `${TOKEN_ID}.ffffffffffffffff` } }));
    const before = (await csrs()).length;
    const child = spawn(process.execPath, [...componentEntryArgs('kubelet'), ...kubeletArgs(bad, dir, 'intruder', await freePort())], {
      cwd: repoRoot(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).to.equal(1);
    expect(output).to.match(/bootstrap token was refused by https:\/\/127\.0\.0\.1:\d+ \(401 Unauthorized\)/);
    expect((await csrs()).length).to.equal(before);
    const r = await cluster.server.request('GET', '/api/v1/nodes/intruder');
    expect(r.status).to.equal(404);
    // writeBootstrapKubeconfig refuses the same token before a kubelet is even started
    let joinError: unknown;
    try {
      await writeBootstrapKubeconfig({ server: cluster.server.url, token: `${TOKEN_ID}.ffffffffffffffff`, caHash: caHashOf(caPem), path: join(dir, 'x') });
    } catch (e) {
      joinError = e;
    }
    expect(String(joinError)).to.match(/bootstrap token was refused/);
  });
});
