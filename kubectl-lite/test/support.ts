// Drives kubectl-lite in-process against a test apiserver and captures what it prints.
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { repoRoot } from '@skiff/common/testing/index';
import type { ApiserverHandle } from '@skiff/common/testing/index';
import { run } from '../src/cli.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliCall {
  stdin?: string;
  signal?: AbortSignal;
  cwd?: string;
}

export async function kubectlLite(server: ApiserverHandle | undefined, argv: string[], call: CliCall = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.KUBECONFIG;
  const code = await run(server ? [`--kubeconfig=${server.kubeconfigPath}`, ...argv] : argv, {
    stdout: {
      write: (c: string) => {
        stdout += c;
      },
    },
    stderr: {
      write: (c: string) => {
        stderr += c;
      },
    },
    stdin: Readable.from([call.stdin ?? '']),
    env,
    cwd: call.cwd ?? repoRoot(),
    signal: call.signal,
  });
  return { code, stdout, stderr };
}

export function fixture(...parts: string[]): string {
  return join(repoRoot(), 'kubectl-lite', 'test', 'fixtures', ...parts);
}

export function manifestsDir(): string {
  return join(repoRoot(), 'manifests');
}

/** Polls until check passes or the time is up. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
