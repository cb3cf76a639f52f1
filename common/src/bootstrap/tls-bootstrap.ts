// The kubelet's TLS bootstrap: with a bootstrap token, ask for a client certificate
// (CSR for system:node:NAME in system:nodes), wait until the controller-manager approved
// and signed it, and write the kubeconfig the kubelet runs with from then on.
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../log.ts';
import { createNodeCsr, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER, NODE_USER_PREFIX } from './csr.ts';
import { discoverClusterCa } from './discovery.ts';
import { callJson, HttpStatusError } from './http.ts';
import { kubeconfigYaml, writeFileAtomic } from './kubeconfig-file.ts';

export interface TlsBootstrapOptions {
  /** kubeconfig with the cluster (CA embedded) and a bootstrap token user */
  bootstrapKubeconfig: string;
  nodeName: string;
  /** where kubelet-client.key and kubelet-client.crt go (the kubelet's --cert-dir) */
  outDir: string;
  /** the kubeconfig written at the end (the kubelet's --kubeconfig; default outDir/kubelet.conf) */
  kubeconfigPath?: string;
  /** how long to wait for approval and signing (default 5 minutes) */
  timeoutMs?: number;
  pollIntervalMs?: number;
  log?: Logger;
}

interface Csr {
  metadata: { name: string };
  status?: { certificate?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

const CSR_PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `cert` is for `cn`, names every IP in `ips`, and has at least a tenth of its life left. */
function certStillGood(cert: X509Certificate, cn: string, ips: string[] = []): boolean {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  const sans = (cert.subjectAltName ?? '').split(', ');
  return cert.subject.split('\n').includes(`CN=${cn}`) && Date.now() < to - (to - from) / 10 && ips.every((ip) => sans.includes(`IP Address:${ip}`));
}

async function stillGood(certFile: string, keyFile: string, cn: string, ips?: string[]): Promise<boolean> {
  if (!existsSync(certFile) || !existsSync(keyFile)) return false;
  try {
    return certStillGood(new X509Certificate(await readFile(certFile)), cn, ips);
  } catch {
    return false;
  }
}

/**
 * Whether the kubeconfig at `path` already authenticates as `cn` with a certificate that is
 * still good (the kubelet's check before it bootstraps: a restarted node does not join again,
 * a hand-made kubeconfig is respected).
 */
function kubeconfigStillGood(path: string, cn: string): boolean {
  if (!existsSync(path)) return false;
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    const user = kc.getCurrentUser();
    const pem = user?.certData ? Buffer.from(user.certData, 'base64') : user?.certFile ? readFileSync(user.certFile) : undefined;
    const keyThere = Boolean(user?.keyData || (user?.keyFile && existsSync(user.keyFile)));
    return pem !== undefined && keyThere && certStillGood(new X509Certificate(pem), cn);
  } catch {
    return false;
  }
}

/**
 * Runs `call` again, with back-off up to 10 s, while the apiserver cannot be reached or answers
 * 5xx (a worker may boot before the control plane); an answer such as 401 or 403 is final.
 */
async function retryUnreachable<T>(deadline: number, log: Logger | undefined, call: () => Promise<T>): Promise<T> {
  for (let delay = 500; ; delay = Math.min(delay * 2, 10_000)) {
    try {
      return await call();
    } catch (e) {
      const final = e instanceof HttpStatusError && e.status < 500;
      if (final || Date.now() + delay > deadline) throw e;
      log?.warn('apiserver not reachable, retrying', { err: (e as Error).message, retryInMs: delay });
      await sleep(delay);
    }
  }
}

/** Submits a CSR and waits for its certificate (PEM). Denied or Failed requests throw. */
export async function requestCertificate(
  kc: KubeConfig,
  o: {
    csrPem: string;
    signerName: string;
    usages: string[];
    generateName: string;
    expirationSeconds?: number;
    timeoutMs?: number;
    pollIntervalMs?: number;
    log?: Logger;
  },
): Promise<string> {
  const deadline = Date.now() + (o.timeoutMs ?? 5 * 60_000);
  const created = await retryUnreachable(deadline, o.log, () =>
    callJson<Csr>(kc, 'POST', CSR_PATH, {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { generateName: o.generateName },
      spec: {
        request: Buffer.from(o.csrPem).toString('base64'),
        signerName: o.signerName,
        usages: o.usages,
        ...(o.expirationSeconds ? { expirationSeconds: o.expirationSeconds } : {}),
      },
    }),
  );
  const name = created.metadata.name;
  o.log?.info('certificate signing request submitted', { csr: name, signer: o.signerName });
  for (;;) {
    const csr = await retryUnreachable(deadline, o.log, () => callJson<Csr>(kc, 'GET', `${CSR_PATH}/${encodeURIComponent(name)}`));
    const bad = csr.status?.conditions?.find((c) => (c.type === 'Denied' || c.type === 'Failed') && c.status === 'True');
    if (bad) throw new Error(`certificate signing request ${name} ${bad.type.toLowerCase()}: ${bad.reason ?? ''} ${bad.message ?? ''}`.trim());
    if (csr.status?.certificate) return Buffer.from(csr.status.certificate, 'base64').toString('utf8');
    if (Date.now() > deadline) throw new Error(`timed out waiting for certificate signing request ${name} to be approved and signed`);
    await sleep(o.pollIntervalMs ?? 250);
  }
}

function loadKubeconfig(path: string): { kc: KubeConfig; server: string; caPem: string } {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`${path} has no current cluster`);
  const caPem = cluster.caData ? Buffer.from(cluster.caData, 'base64').toString('utf8') : undefined;
  if (!caPem) throw new Error(`${path} must embed the cluster CA (certificate-authority-data)`);
  return { kc, server: cluster.server, caPem };
}

/**
 * Returns the path of a kubeconfig that authenticates as system:node:NAME. An existing one
 * whose certificate is still good is kept (a restarted kubelet does not join again).
 */
export async function tlsBootstrap(o: TlsBootstrapOptions): Promise<string> {
  const cn = `${NODE_USER_PREFIX}${o.nodeName}`;
  const certFile = join(o.outDir, 'kubelet-client.crt');
  const keyFile = join(o.outDir, 'kubelet-client.key');
  const kubeconfigPath = o.kubeconfigPath ?? join(o.outDir, 'kubelet.conf');
  if (kubeconfigStillGood(kubeconfigPath, cn)) {
    o.log?.info('client certificate still valid, skipping TLS bootstrap', { kubeconfig: kubeconfigPath });
    return kubeconfigPath;
  }
  const { kc, server, caPem } = loadKubeconfig(o.bootstrapKubeconfig);
  const { keyPem, csrPem } = await createNodeCsr(o.nodeName);
  let certPem: string;
  try {
    certPem = await requestCertificate(kc, {
      csrPem,
      signerName: KUBELET_CLIENT_SIGNER,
      usages: ['digital signature', 'client auth'],
      generateName: 'node-csr-',
      timeoutMs: o.timeoutMs,
      pollIntervalMs: o.pollIntervalMs,
      log: o.log,
    });
  } catch (e) {
    if (e instanceof HttpStatusError && e.status === 401) throw new Error(`the bootstrap token was refused by ${server} (401 Unauthorized)`);
    throw e;
  }
  // key first: a cert on disk without its key would look like a finished bootstrap
  await writeFileAtomic(keyFile, keyPem);
  await writeFileAtomic(certFile, certPem, 0o644);
  await writeFileAtomic(kubeconfigPath, kubeconfigYaml({ server, caPem, userName: cn, user: { clientCertificate: certFile, clientKey: keyFile } }));
  o.log?.info('TLS bootstrap done', { node: o.nodeName, kubeconfig: kubeconfigPath });
  return kubeconfigPath;
}

/**
 * A serving certificate for the kubelet's own HTTPS port (signer kubernetes.io/kubelet-serving),
 * asked for with the node's client kubeconfig. Returns the written cert and key paths.
 */
export async function requestKubeletServingCertificate(o: {
  kubeconfig: string;
  nodeName: string;
  outDir: string;
  ipAddresses: string[];
  dnsNames?: string[];
  timeoutMs?: number;
  pollIntervalMs?: number;
  log?: Logger;
}): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(o.outDir, 'kubelet-server.crt');
  const keyFile = join(o.outDir, 'kubelet-server.key');
  if (await stillGood(certFile, keyFile, `${NODE_USER_PREFIX}${o.nodeName}`, o.ipAddresses)) return { certFile, keyFile };
  const { kc } = loadKubeconfig(o.kubeconfig);
  const { keyPem, csrPem } = await createNodeCsr(o.nodeName, { ipAddresses: o.ipAddresses, dnsNames: o.dnsNames ?? [o.nodeName] });
  const certPem = await requestCertificate(kc, {
    csrPem,
    signerName: KUBELET_SERVING_SIGNER,
    usages: ['digital signature', 'server auth'],
    generateName: 'csr-',
    timeoutMs: o.timeoutMs,
    pollIntervalMs: o.pollIntervalMs,
    log: o.log,
  });
  await writeFileAtomic(keyFile, keyPem);
  await writeFileAtomic(certFile, certPem, 0o644);
  return { certFile, keyFile };
}

/**
 * The join step before the kubelet starts: the CA by discovery (pinned), a check that the
 * apiserver accepts the token (a wrong token fails here, before anything is started), then a
 * token kubeconfig (and the CA alone at caPath).
 */
export async function writeBootstrapKubeconfig(o: { server: string; token: string; caHash: string; path: string; caPath?: string }): Promise<string> {
  const caPem = await discoverClusterCa(o.server, o.caHash);
  const tokenId = o.token.split('.')[0] ?? 'bootstrap';
  const text = kubeconfigYaml({ server: o.server, caPem, userName: `tls-bootstrap-token-user-${tokenId}`, user: { token: o.token } });
  const kc = new KubeConfig();
  kc.loadFromString(text);
  try {
    await callJson(kc, 'GET', `${CSR_PATH}?limit=1`);
  } catch (e) {
    if (e instanceof HttpStatusError && e.status === 401) throw new Error(`the bootstrap token was refused by ${o.server} (401 Unauthorized)`);
    throw e;
  }
  if (o.caPath) await writeFileAtomic(o.caPath, caPem, 0o644);
  await writeFileAtomic(o.path, text);
  return o.path;
}
