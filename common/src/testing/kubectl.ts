// Runs the real kubectl of a given minor version (kubectl.1.27 ... kubectl.1.33 from the
// Google Cloud SDK) against a test apiserver.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

const FALLBACK_DIR = '/usr/lib/google-cloud-sdk/bin';

export interface KubectlOptions {
  /** Written to kubectl's stdin (for `apply -f -`). */
  stdin?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Discovery cache; defaults to a per-apiserver dir when called through the handle. */
  cacheDir?: string;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let cachedDir: string | undefined;

/** The directory holding kubectl.1.NN, found like `readlink -f $(command -v kubectl)`. */
export function kubectlDir(): string {
  if (cachedDir) return cachedDir;
  const fromEnv = process.env.SKIFF_KUBECTL_DIR;
  if (fromEnv) return (cachedDir = fromEnv);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'kubectl');
    if (dir && isExecutable(candidate)) return (cachedDir = dirname(realpathSync(candidate)));
  }
  if (existsSync(FALLBACK_DIR)) return (cachedDir = FALLBACK_DIR);
  throw new Error('kubectl not found on PATH nor in ' + FALLBACK_DIR);
}

/** Minor versions available, e.g. ['1.27', ..., '1.33'], oldest first. */
export function kubectlVersions(): string[] {
  return readdirSync(kubectlDir())
    .map((name) => /^kubectl\.(1\.\d+)$/.exec(name)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
}

/** Accepts '1.29', 'v1.29', '29' or '1.29.3'; returns the binary's path. */
export function kubectlBinary(version: string): string {
  const match = /^v?(?:1\.)?(\d+)(?:\.\d+)?$/.exec(version.trim());
  if (!match) throw new Error(`kubectl version "${version}" not understood; use e.g. "1.29"`);
  const path = join(kubectlDir(), `kubectl.1.${match[1]}`);
  if (!isExecutable(path)) {
    throw new Error(`no kubectl ${version} at ${path}; available: ${kubectlVersions().join(', ') || 'none'}`);
  }
  return path;
}

/**
 * kubectl runs made through runKubectl by this process, under a global symbol so that the test
 * reporter (scripts/mocha/summary-reporter.cjs, which cannot import this module) can say how
 * many each file made: each costs 0.1-0.2 s of CPU, mostly the Go binary's start.
 */
const KUBECTL_RUNS = Symbol.for('skiff.testing.kubectlRuns');
const counters = globalThis as unknown as Record<symbol, number | undefined>;

/** Runs kubectl with --kubeconfig (and --cache-dir); never throws for a non-zero exit. */
export function runKubectl(kubeconfigPath: string, version: string, args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
  const binary = kubectlBinary(version);
  const fullArgs = [`--kubeconfig=${kubeconfigPath}`, ...(opts.cacheDir ? [`--cache-dir=${opts.cacheDir}`] : []), ...args];
  const env = { ...process.env, ...opts.env };
  // Only --kubeconfig may decide where kubectl goes.
  delete env.KUBECONFIG;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  counters[KUBECTL_RUNS] = (counters[KUBECTL_RUNS] ?? 0) + 1;
  return new Promise((resolve, reject) => {
    const child = spawn(binary, fullArgs, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (signal === 'SIGKILL' && code === null) {
        reject(new Error(`kubectl ${args.join(' ')} timed out after ${timeoutMs} ms\nstdout: ${result.stdout}\nstderr: ${result.stderr}`));
      } else {
        resolve(result);
      }
    });
    child.stdin.on('error', () => {
      /* kubectl may exit before reading stdin */
    });
    child.stdin.end(opts.stdin ?? '');
  });
}
