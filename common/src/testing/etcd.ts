// A throw-away etcd for tests: free ports, a temp data dir, stopped by PID.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { removeOnExit, removeTempDir, spawnLogged, stopProcess, waitUntilReady } from './processes.ts';

export interface EtcdHandle {
  /** Client URL, e.g. http://127.0.0.1:41234 */
  url: string;
  dataDir: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

export interface StartEtcdOptions {
  /** Fixed client port; by default a free one is picked (and retried on a bind race). */
  clientPort?: number;
  peerPort?: number;
  timeoutMs?: number;
}

const ETCD_BINARY = process.env.SKIFF_ETCD_BINARY ?? 'etcd';

async function isHealthy(url: string): Promise<boolean> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
  if (!res.ok) return false;
  const body = (await res.json()) as { health?: string };
  return body.health === 'true';
}

async function startOnce(opts: StartEtcdOptions): Promise<EtcdHandle> {
  const clientPort = opts.clientPort ?? (await freePort());
  const peerPort = opts.peerPort ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'skiff-etcd-'));
  removeOnExit(dir);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'etcd.log');
  const url = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const proc = spawnLogged(
    ETCD_BINARY,
    [
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
    ],
    logFile,
  );
  const stop = async () => {
    await stopProcess(proc);
    removeTempDir(dir);
  };
  try {
    await waitUntilReady(`etcd on ${url}`, () => isHealthy(url), { proc, logFile, timeoutMs: opts.timeoutMs ?? 30_000 });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, dataDir, pid: proc.pid, logFile, stop };
}

/** Starts etcd and waits until /health says so. */
export async function startEtcd(opts: StartEtcdOptions = {}): Promise<EtcdHandle> {
  const fixedPorts = opts.clientPort !== undefined || opts.peerPort !== undefined;
  // Freshly picked ports can be taken before etcd binds them; new ones fix that.
  const attempts = fixedPorts ? 1 : 3;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await startOnce(opts);
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
