// Runs one of the repository's bash scripts and reports its output on failure.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findRepoRoot } from './repo-root.ts';

const execFileAsync = promisify(execFile);

export async function runScript(relativePath: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const path = join(findRepoRoot(), relativePath);
  try {
    const { stdout } = await execFileAsync('bash', [path, ...args], { timeout: timeoutMs });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${relativePath} ${args.join(' ')} failed: ${(e.stderr || e.stdout || e.message).trim()}`);
  }
}
