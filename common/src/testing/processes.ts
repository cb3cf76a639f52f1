// Child processes of the test harness: started with output to a log file, tracked by
// PID, and killed when the test process exits even if a suite forgot to stop them.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const livePids = new Set<number>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL and rmSync are.
  process.on('exit', () => {
    for (const pid of livePids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    if (process.env.SKIFF_KEEP_TEST_DIRS === '1') return;
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Removes DIR when the process exits, unless SKIFF_KEEP_TEST_DIRS=1. */
export function removeOnExit(dir: string): void {
  installExitHook();
  tempDirs.add(dir);
}

export function forgetTempDir(dir: string): void {
  tempDirs.delete(dir);
}

/** Removes DIR now (and forgets it for the exit hook), unless SKIFF_KEEP_TEST_DIRS=1. */
export function removeTempDir(dir: string): void {
  if (process.env.SKIFF_KEEP_TEST_DIRS === '1') return;
  rmSync(dir, { recursive: true, force: true });
  forgetTempDir(dir);
}

export interface Spawned {
  pid: number;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  hasExited(): boolean;
}

export function spawnLogged(command: string, args: string[], logFile: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Spawned {
  installExitHook();
  const fd = openSync(logFile, 'a');
  let child;
  try {
    child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', (err) => {
      done = true;
      resolve(`spawn error: ${err.message}`);
    });
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
  });
  if (child.pid === undefined) {
    throw new Error(`cannot start ${command}: is it installed?`);
  }
  const pid = child.pid;
  livePids.add(pid);
  void exited.then(() => livePids.delete(pid));
  // The harness must not keep the test process alive on its own.
  child.unref();
  return { pid, exited, hasExited: () => done };
}

/** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
export async function stopProcess(proc: Spawned, graceMs = 5000): Promise<void> {
  if (proc.hasExited()) return;
  try {
    process.kill(proc.pid, 'SIGTERM');
  } catch {
    return;
  }
  const graceful = await Promise.race([proc.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!graceful) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
    await proc.exited;
  }
}

export function tailOf(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Polls `check` until it returns true. Fails early, with the log's tail, when the
 * process it waits for has died.
 */
export async function waitUntilReady(what: string, check: () => Promise<boolean>, opts: { proc: Spawned; logFile: string; timeoutMs: number }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (opts.proc.hasExited()) {
      const status = await opts.proc.exited;
      throw new Error(`${what} exited during startup (${status}); last lines of ${opts.logFile}:\n${tailOf(opts.logFile)}`);
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(`${what} not ready after ${opts.timeoutMs} ms; last lines of ${opts.logFile}:\n${tailOf(opts.logFile)}`);
    }
    await sleep(100);
  }
}
