// Starts a throwaway etcd for one test file and stops it again by PID. Each test file uses
// its own port pair (22379-22399) so that files can run side by side.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestEtcd {
  endpoint: string;
  /** stops etcd and removes its data unless `keepData` (for restart tests) */
  stop(opts?: { keepData?: boolean }): Promise<void>;
  /** stop and start again on the same data and port: clients see etcd go away and come back */
  restart(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startEtcd(clientPort: number): Promise<TestEtcd> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-storage-etcd-'));
  const endpoint = `http://127.0.0.1:${clientPort}`;
  let proc: ChildProcess | undefined;
  let output = '';

  const launch = async () => {
    if (await portOpen(clientPort)) throw new Error(`port ${clientPort} is already in use`);
    proc = spawn(
      'etcd',
      [
        '--data-dir',
        dataDir,
        '--name',
        'storage-test',
        '--listen-client-urls',
        endpoint,
        '--advertise-client-urls',
        endpoint,
        '--listen-peer-urls',
        `http://127.0.0.1:${clientPort + 1}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${clientPort + 1}`,
        '--initial-cluster',
        `storage-test=http://127.0.0.1:${clientPort + 1}`,
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc.stdout?.on('data', (b: Buffer) => {
      output += b.toString();
    });
    proc.stderr?.on('data', (b: Buffer) => {
      output += b.toString();
    });
    const exited = new Promise<never>((_, reject) => proc!.once('exit', (code) => reject(new Error(`etcd exited with ${code}: ${output.slice(-2000)}`))));
    exited.catch(() => {});
    await Promise.race([waitFor(() => portOpen(clientPort), `etcd on ${clientPort}`), exited]);
  };

  const kill = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.pid === undefined) return;
    const gone = new Promise((r) => p.once('exit', r));
    process.kill(p.pid, 'SIGTERM');
    await gone;
  };

  await launch();
  return {
    endpoint,
    async stop(opts) {
      await kill();
      if (!opts?.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await kill();
      await launch();
    },
  };
}
