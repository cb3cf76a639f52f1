// Any other Skiff workspace (scheduler, controller-manager, kubelet, ...) started the
// way the apiserver is: same node, dist or source main, own log, stopped by PID.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeOnExit, removeTempDir, spawnLogged, stopProcess, waitUntilReady } from './processes.ts';
import type { Spawned } from './processes.ts';
import { componentEntryArgs, repoRoot } from './repo.ts';
import { benchNodeFlags, benchStopGraceMs } from './bench-node-flags.ts';
import { componentNodeFlags } from './component-node-flags.ts';

export interface StartComponentOptions {
  /** Workspace folder, e.g. 'scheduler'; its main is dist/src/main.js or src/main.ts. */
  workspace: string;
  args?: string[];
  /** Node arguments replacing the workspace's main. */
  entryArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Resolves true once the component is usable; by default: alive after 500 ms. */
  ready?: () => Promise<boolean>;
  timeoutMs?: number;
}

export interface ComponentHandle {
  readonly pid: number;
  logFile: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export async function startComponent(opts: StartComponentOptions): Promise<ComponentHandle> {
  const dir = mkdtempSync(join(tmpdir(), `skiff-${opts.workspace.replace(/[^A-Za-z0-9-]/g, '_')}-`));
  removeOnExit(dir);
  const logFile = join(dir, `${opts.workspace}.log`);
  const nodeArgs = [
    ...componentNodeFlags(opts.workspace),
    ...benchNodeFlags(opts.workspace),
    ...(opts.entryArgs ?? componentEntryArgs(opts.workspace)),
    ...(opts.args ?? []),
  ];
  let launchedAt = 0;
  const ready = opts.ready ?? (async () => Date.now() - launchedAt > 500);

  let proc: Spawned | undefined;
  const launch = async () => {
    launchedAt = Date.now();
    proc = spawnLogged(process.execPath, nodeArgs, logFile, { cwd: repoRoot(), env: { ...process.env, ...opts.env } });
    await waitUntilReady(opts.workspace, ready, { proc, logFile, timeoutMs: opts.timeoutMs ?? 60_000 });
  };
  const halt = async () => {
    if (proc) await stopProcess(proc, benchStopGraceMs());
  };
  const handle: ComponentHandle = {
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
  };
  try {
    await launch();
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

/** A `ready` probe for startComponent: GET http://127.0.0.1:PORT/PATH answers 200. */
export async function httpReady(port: number, path: string): Promise<boolean> {
  return (await fetch(`http://127.0.0.1:${port}${path}`).catch(() => undefined))?.status === 200;
}
