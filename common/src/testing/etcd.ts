// A throw-away etcd for tests: free ports, a temp data dir, stopped by PID. Plain HTTP by
// default (suites share it and read it directly); `tls` gives the TLS etcd `make up` runs.
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { sharedEtcdPki } from './pki.ts';
import type { EtcdPki } from './pki.ts';
import type { Spawned } from './processes.ts';
import { scratchDir } from './scratch.ts';
import { removeOnExit, removeTempDir, spawnLogged, stopProcess, waitUntilReady } from './processes.ts';

/** What a client needs to reach a TLS etcd (the apiserver's --etcd-cafile, --etcd-certfile, --etcd-keyfile). */
export interface EtcdClientTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface EtcdHandle {
  /** Client URL, e.g. http://127.0.0.1:41234 (https:// with tls) */
  url: string;
  /** the apiserver's client certificate and etcd's CA, when etcd speaks TLS */
  tls?: EtcdClientTls;
  /** the etcd certificates, when etcd speaks TLS (healthcheckClient opens it for tests) */
  pki?: EtcdPki;
  dataDir: string;
  /** PID of the current etcd process (changes on start()) */
  readonly pid: number;
  logFile: string;
  stop(): Promise<void>;
  /** sends `signal` (SIGKILL: a crash) and waits until the process is gone; keeps its data dir and port */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** starts etcd again after kill(), on the same data dir and ports, and waits for /health */
  start(): Promise<void>;
}

export interface StartEtcdOptions {
  /** Fixed client port; by default a free one is picked (and retried on a bind race). */
  clientPort?: number;
  peerPort?: number;
  timeoutMs?: number;
  /**
   * TLS for clients and peers, client certificates required (as `make up` and the lab run it):
   * `true` for the test process's shared etcd certificates, or certificates of your own.
   */
  tls?: true | EtcdPki;
}

const ETCD_BINARY = process.env.SKIFF_ETCD_BINARY ?? 'etcd';

async function isHealthy(url: string, pki?: EtcdPki): Promise<boolean> {
  if (!pki) {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    if (!res.ok) return false;
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  }
  // fetch cannot show a client certificate
  const body = await new Promise<string>((resolve, reject) => {
    const req = httpsRequest(
      `${url}/health`,
      {
        ca: readFileSync(pki.caCert),
        cert: readFileSync(pki.healthcheckClient.cert),
        key: readFileSync(pki.healthcheckClient.key),
        timeout: 1000,
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve(res.statusCode === 200 ? text : ''));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('etcd /health timed out')));
    req.on('error', reject);
    req.end();
  });
  return body !== '' && (JSON.parse(body) as { health?: string }).health === 'true';
}

function tlsArgs(pki: EtcdPki): string[] {
  return [
    `--cert-file=${pki.server.cert}`,
    `--key-file=${pki.server.key}`,
    '--client-cert-auth',
    `--trusted-ca-file=${pki.caCert}`,
    `--peer-cert-file=${pki.peer.cert}`,
    `--peer-key-file=${pki.peer.key}`,
    '--peer-client-cert-auth',
    `--peer-trusted-ca-file=${pki.caCert}`,
  ];
}

async function startOnce(opts: StartEtcdOptions, pki: EtcdPki | undefined): Promise<EtcdHandle> {
  const clientPort = opts.clientPort ?? (await freePort());
  const peerPort = opts.peerPort ?? (await freePort());
  const dir = scratchDir('skiff-etcd-');
  removeOnExit(dir);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'etcd.log');
  const scheme = pki ? 'https' : 'http';
  const url = `${scheme}://127.0.0.1:${clientPort}`;
  const peerUrl = `${scheme}://127.0.0.1:${peerPort}`;
  const args = [
    '--name',
    'test',
    '--data-dir',
    dataDir,
    '--listen-client-urls',
    url,
    '--advertise-client-urls',
    url,
    '--listen-peer-urls',
    peerUrl,
    '--initial-advertise-peer-urls',
    peerUrl,
    '--initial-cluster',
    `test=${peerUrl}`,
    '--initial-cluster-state',
    'new',
    '--logger',
    'zap',
    '--log-outputs',
    'stderr',
    '--log-level',
    'warn',
    ...(pki ? tlsArgs(pki) : []),
  ];
  let proc: Spawned | undefined;
  const launch = async () => {
    if (proc && !proc.hasExited()) throw new Error(`etcd on ${url} is still running (pid ${proc.pid})`);
    // on a restart the data dir holds the member and cluster already; etcd then ignores the --initial-* flags
    proc = spawnLogged(ETCD_BINARY, args, logFile);
    await waitUntilReady(`etcd on ${url}`, () => isHealthy(url, pki), { proc, logFile, timeoutMs: opts.timeoutMs ?? 30_000 });
  };
  const stop = async () => {
    if (proc) await stopProcess(proc);
    removeTempDir(dir);
  };
  try {
    await launch();
  } catch (err) {
    await stop();
    throw err;
  }
  const tls = pki && { caFile: pki.caCert, certFile: pki.apiserverClient.cert, keyFile: pki.apiserverClient.key };
  return {
    url,
    ...(pki ? { tls, pki } : {}),
    dataDir,
    get pid() {
      return proc?.pid ?? -1;
    },
    logFile,
    stop,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (!proc || proc.hasExited()) return;
      process.kill(proc.pid, signal);
      await proc.exited;
    },
    start: launch,
  };
}

/** Starts etcd and waits until /health says so. */
export async function startEtcd(opts: StartEtcdOptions = {}): Promise<EtcdHandle> {
  const fixedPorts = opts.clientPort !== undefined || opts.peerPort !== undefined;
  // Freshly picked ports can be taken before etcd binds them; new ones fix that.
  const attempts = fixedPorts ? 1 : 3;
  const pki = opts.tls === true ? await sharedEtcdPki() : opts.tls;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await startOnce(opts, pki);
    } catch (err) {
      lastError = err;
      if (!/address already in use/i.test(String(err))) break;
    }
  }
  throw lastError;
}

let shared: Promise<EtcdHandle> | undefined;

/**
 * One etcd for the whole test process, started on first use. Suites share it and keep
 * apart by using their own key prefix; the root hook (or process exit) stops it.
 */
export function sharedEtcd(): Promise<EtcdHandle> {
  if (!shared) {
    shared = startEtcd();
    shared.catch(() => {
      shared = undefined;
    });
  }
  return shared;
}

export async function stopSharedEtcd(): Promise<void> {
  const current = shared;
  shared = undefined;
  if (current !== undefined) await (await current.catch(() => undefined))?.stop();
}
