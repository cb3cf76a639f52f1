// Runs scripts/lab.sh, the one implementation of the lab's network, workers and teardown.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@skiff/common/testing/index';

export interface ScriptResult {
  code: number;
  output: string;
}

/** Runs `scripts/lab.sh ARGS` with ENV added; output is stdout+stderr interleaved. */
export function runLabScript(args: string[], env: Record<string, string>, opts: { echo?: boolean; timeoutMs?: number } = {}): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(repoRoot(), 'scripts', 'lab.sh'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (opts.echo) process.stderr.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), output });
    });
  });
}

/** Like runLabScript, but a non-zero exit is an error carrying the script's output. */
export async function labScript(args: string[], env: Record<string, string>, opts: { echo?: boolean; timeoutMs?: number } = {}): Promise<string> {
  const r = await runLabScript(args, env, opts);
  if (r.code !== 0) throw new Error(`scripts/lab.sh ${args.join(' ')} exited ${r.code}:\n${r.output.slice(-4000)}`);
  return r.output;
}
