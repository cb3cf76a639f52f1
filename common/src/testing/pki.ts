// Certificates for tests, made by scripts/pki.sh: the same recipe as `make up`.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { removeOnExit } from './processes.ts';
import { repoRoot } from './repo.ts';

const run = promisify(execFile);

export interface CertPair {
  cert: string;
  key: string;
}

/** Paths of the files scripts/pki.sh writes. */
export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  /** apiserver serving certificate (SANs: localhost, 127.0.0.1, kubernetes.default..., 10.96.0.1) */
  serverCert: string;
  serverKey: string;
  /** CN=kubernetes-admin, O=system:masters */
  admin: CertPair;
  /** CN=system:kube-controller-manager */
  controllerManager: CertPair;
  /** CN=system:kube-scheduler */
  scheduler: CertPair;
  /** CN=system:node:<hostname>, O=system:nodes */
  kubelet: CertPair;
  /** CN=kube-apiserver-kubelet-client, O=kubeadm:cluster-admins (kubeadm's subject): what the
   * apiserver shows kubelets; bound to system:kubelet-api-admin, nothing more */
  apiserverKubeletClient: CertPair;
  /** CN=system:kube-proxy (system:node-proxier) */
  kubeProxy: CertPair;
  /** CN=system:skiff-dns (system:skiff-dns) */
  dns: CertPair;
  /** front-proxy CA (--requestheader-client-ca-file) and its CN=front-proxy-client certificate (--proxy-client-*) */
  frontProxyCaCert: string;
  frontProxyClient: CertPair;
  /** service-account token signing key pair */
  serviceAccountKey: string;
  serviceAccountPub: string;
}

function pair(dir: string, name: string): CertPair {
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

async function pkiScript(args: string[]): Promise<void> {
  try {
    await run('bash', [join(repoRoot(), 'scripts', 'pki.sh'), ...args], { timeout: 60_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`scripts/pki.sh ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/** Creates (or completes) the cluster PKI in DIR; existing files are kept. */
export async function makePki(dir: string): Promise<Pki> {
  await pkiScript([dir]);
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'apiserver.crt'),
    serverKey: join(dir, 'apiserver.key'),
    admin: pair(dir, 'admin'),
    controllerManager: pair(dir, 'controller-manager'),
    scheduler: pair(dir, 'scheduler'),
    kubelet: pair(dir, 'kubelet'),
    apiserverKubeletClient: pair(dir, 'apiserver-kubelet-client'),
    kubeProxy: pair(dir, 'kube-proxy'),
    dns: pair(dir, 'dns'),
    frontProxyCaCert: join(dir, 'front-proxy-ca.crt'),
    frontProxyClient: pair(dir, 'front-proxy-client'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
  };
}

/** One more client certificate signed by the PKI's CA, e.g. for an RBAC test user. */
export async function makeClientCert(pki: Pki, name: string, commonName: string, organization?: string): Promise<CertPair> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`invalid certificate file name "${name}"`);
  await pkiScript([pki.dir, 'client', name, commonName, ...(organization ? [organization] : [])]);
  return pair(pki.dir, name);
}

/** One more serving certificate signed by the PKI's CA, with DNS:commonName and the IPs as its names. */
export async function makeServingCert(pki: Pki, name: string, commonName: string, ips: string[]): Promise<CertPair> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`invalid certificate file name "${name}"`);
  await pkiScript([pki.dir, 'server', name, commonName, ...ips]);
  return pair(pki.dir, name);
}

let shared: Promise<Pki> | undefined;

/** etcd's own CA and certificates (scripts/pki.sh DIR etcd, kubeadm's layout). */
export interface EtcdPki {
  caCert: string;
  server: CertPair;
  peer: CertPair;
  /** CN=kube-etcd-healthcheck-client: what probes (and tests reading etcd directly) show */
  healthcheckClient: CertPair;
  /** CN=kube-apiserver-etcd-client: the apiserver's --etcd-certfile/--etcd-keyfile */
  apiserverClient: CertPair;
}

/** Creates (or completes) the etcd certificates under DIR/etcd (ECDSA keys: well under a second). */
export async function makeEtcdPki(dir: string): Promise<EtcdPki> {
  await pkiScript([dir, 'etcd']);
  return {
    caCert: join(dir, 'etcd', 'ca.crt'),
    server: pair(join(dir, 'etcd'), 'server'),
    peer: pair(join(dir, 'etcd'), 'peer'),
    healthcheckClient: pair(join(dir, 'etcd'), 'healthcheck-client'),
    apiserverClient: pair(dir, 'apiserver-etcd-client'),
  };
}

let sharedEtcdCerts: Promise<EtcdPki> | undefined;

/** etcd certificates for the whole test process, beside the shared PKI. */
export function sharedEtcdPki(): Promise<EtcdPki> {
  if (!sharedEtcdCerts) {
    sharedEtcdCerts = sharedPki().then((pki) => makeEtcdPki(pki.dir));
    sharedEtcdCerts.catch(() => {
      sharedEtcdCerts = undefined;
    });
  }
  return sharedEtcdCerts;
}

/** A PKI for the whole test process (key generation takes about a second). */
export function sharedPki(): Promise<Pki> {
  if (!shared) {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-pki-'));
    removeOnExit(dir);
    shared = makePki(join(dir, 'pki'));
    shared.catch(() => {
      shared = undefined;
    });
  }
  return shared;
}
