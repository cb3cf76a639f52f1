// A test apiserver: own port, own etcd prefix, kubeconfig for the admin user, and
// helpers to drive it with the real kubectl or plain HTTPS requests.
import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKubectl } from './kubectl.ts';
import type { KubectlOptions, KubectlResult } from './kubectl.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { sharedPki } from './pki.ts';
import type { CertPair, Pki } from './pki.ts';
import { freePort } from './ports.ts';
import { removeOnExit, removeTempDir, spawnLogged, stopProcess, waitUntilReady } from './processes.ts';
import type { Spawned } from './processes.ts';
import { componentEntryArgs, repoRoot } from './repo.ts';
import type { EtcdClientTls } from './etcd.ts';
import { benchNodeFlags, benchStopGraceMs } from './bench-node-flags.ts';
import { componentNodeFlags } from './component-node-flags.ts';

export interface StartApiserverOptions {
  etcdUrl: string;
  /**
   * For an https:// etcd (startEtcd({ tls })): its CA and the apiserver's client certificate.
   * Without it an http:// etcd is used with --etcd-allow-insecure.
   */
  etcdTls?: EtcdClientTls;
  /** etcd key prefix; a unique one by default so suites can share one etcd. */
  prefix?: string;
  extraArgs?: string[];
  /** Fixed secure port; a free one by default. */
  port?: number;
  /**
   * The loopback address it listens on and advertises (127.0.0.x), 127.0.0.1 by default: two
   * apiservers on one etcd with their own addresses, as control-plane nodes have. Another
   * address than 127.0.0.1 needs a `servingCert` naming it.
   */
  address?: string;
  /** serving certificate and key (default: the PKI's apiserver certificate) */
  servingCert?: CertPair;
  /** Defaults to one PKI shared by the whole test process. */
  pki?: Pki;
  /** Node arguments that replace the apiserver entry (default: dist or source main). */
  entryArgs?: string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** the body's bytes, for a binary (protobuf) answer */
  bytes: Buffer;
}

export interface RequestOptions {
  body?: string | Buffer | object;
  headers?: Record<string, string>;
  /** Client certificate; the admin one by default, `null` for an anonymous request. */
  client?: CertPair | null;
}

export interface ApiserverHandle {
  url: string;
  port: number;
  prefix: string;
  etcdUrl: string;
  etcdTls?: EtcdClientTls;
  kubeconfigPath: string;
  pki: Pki;
  /** PID of the current process (changes on restart). */
  readonly pid: number;
  logFile: string;
  stop(): Promise<void>;
  /** stops the process but keeps its files, so that start() or restart() can bring it back */
  halt(): Promise<void>;
  /** starts it again after halt() */
  start(): Promise<void>;
  restart(): Promise<void>;
  kubectl(version: string, args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  request(method: string, path: string, opts?: RequestOptions): Promise<HttpResponse>;
  /** Writes a kubeconfig for another client certificate (e.g. pki.scheduler); returns its path. */
  kubeconfigFor(client: CertPair, name: string): Promise<string>;
}

let prefixCounter = 0;

export function uniqueEtcdPrefix(): string {
  prefixCounter += 1;
  return `/skiff-test-${process.pid}-${prefixCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

function httpsCall(url: string, method: string, pki: Pki, opts: RequestOptions): Promise<HttpResponse> {
  const client = opts.client === undefined ? pki.admin : opts.client;
  let body: string | Buffer | undefined;
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) {
    if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) {
      body = opts.body;
    } else {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
  }
  // node's client sends a DELETE body unframed unless told its length
  if (body !== undefined) headers['content-length'] ??= String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method,
        headers,
        ca: readFileSync(pki.caCert),
        ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString(), bytes });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function isReady(url: string, pki: Pki): Promise<boolean> {
  const res = await httpsCall(`${url}/readyz`, 'GET', pki, { client: null });
  return res.status === 200;
}

function apiserverArgs(opts: StartApiserverOptions, port: number, prefix: string, pki: Pki): string[] {
  const address = opts.address ?? '127.0.0.1';
  return [
    `--etcd-servers=${opts.etcdUrl}`,
    ...(opts.etcdTls
      ? [`--etcd-cafile=${opts.etcdTls.caFile}`, `--etcd-certfile=${opts.etcdTls.certFile}`, `--etcd-keyfile=${opts.etcdTls.keyFile}`]
      : opts.etcdUrl.startsWith('http://')
        ? ['--etcd-allow-insecure']
        : []),
    `--etcd-prefix=${prefix}`,
    `--bind-address=${address}`,
    `--secure-port=${port}`,
    `--tls-cert-file=${opts.servingCert?.cert ?? pki.serverCert}`,
    `--tls-private-key-file=${opts.servingCert?.key ?? pki.serverKey}`,
    `--client-ca-file=${pki.caCert}`,
    '--service-cluster-ip-range=10.96.0.0/12',
    '--service-node-port-range=30000-32767',
    `--advertise-address=${address}`,
    // kubelets authorize every request: the apiserver shows its own kubelet-client identity
    `--kubelet-client-certificate=${pki.apiserverKubeletClient.cert}`,
    `--kubelet-client-key=${pki.apiserverKubeletClient.key}`,
    // API aggregation, as make up: the front-proxy CA and the aggregator's client certificate
    `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${pki.frontProxyClient.cert}`,
    `--proxy-client-key-file=${pki.frontProxyClient.key}`,
    ...(opts.extraArgs ?? []),
  ];
}

async function startOnce(opts: StartApiserverOptions, pki: Pki): Promise<ApiserverHandle> {
  const port = opts.port ?? (await freePort());
  const prefix = opts.prefix ?? uniqueEtcdPrefix();
  const url = `https://${opts.address ?? '127.0.0.1'}:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'skiff-apiserver-'));
  removeOnExit(dir);
  const logFile = join(dir, 'apiserver.log');
  const kubeconfigPath = join(dir, 'kubeconfig');
  const cacheDir = join(dir, 'kube-cache');
  await writeKubeconfig(kubeconfigPath, { server: url, caFile: pki.caCert, certFile: pki.admin.cert, keyFile: pki.admin.key });
  const nodeArgs = [
    ...componentNodeFlags('apiserver'),
    ...benchNodeFlags('apiserver'),
    ...(opts.entryArgs ?? componentEntryArgs('apiserver')),
    ...apiserverArgs(opts, port, prefix, pki),
  ];
  const timeoutMs = opts.timeoutMs ?? 60_000;

  let proc: Spawned | undefined;
  const launch = async () => {
    proc = spawnLogged(process.execPath, nodeArgs, logFile, { cwd: repoRoot(), env: { ...process.env, ...opts.env } });
    await waitUntilReady(`apiserver on ${url}`, () => isReady(url, pki), { proc, logFile, timeoutMs });
  };
  const halt = async () => {
    if (proc) await stopProcess(proc, benchStopGraceMs());
  };

  const handle: ApiserverHandle = {
    url,
    port,
    prefix,
    etcdUrl: opts.etcdUrl,
    ...(opts.etcdTls ? { etcdTls: opts.etcdTls } : {}),
    kubeconfigPath,
    pki,
    get pid() {
      return proc?.pid ?? -1;
    },
    logFile,
    async stop() {
      await halt();
      removeTempDir(dir);
    },
    async restart() {
      await halt();
      await launch();
    },
    halt,
    start: () => launch(),
    kubectl: (version, args, kubectlOpts = {}) => runKubectl(kubeconfigPath, version, args, { cacheDir, ...kubectlOpts }),
    request: (method, path, requestOpts = {}) => httpsCall(`${url}${path}`, method, pki, requestOpts),
    async kubeconfigFor(client, name) {
      if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`invalid kubeconfig name "${name}"`);
      const path = join(dir, `${name}.kubeconfig`);
      await writeKubeconfig(path, { server: url, caFile: pki.caCert, certFile: client.cert, keyFile: client.key, user: name });
      return path;
    },
  };
  try {
    await launch();
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

/** Starts an apiserver against the given etcd and waits for /readyz. */
export async function startApiserver(opts: StartApiserverOptions): Promise<ApiserverHandle> {
  const pki = opts.pki ?? (await sharedPki());
  // A freshly picked port can be taken before the apiserver binds it.
  const attempts = opts.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await startOnce(opts, pki);
    } catch (err) {
      lastError = err;
      if (!/EADDRINUSE|address already in use/i.test(String(err))) break;
    }
  }
  throw lastError;
}
