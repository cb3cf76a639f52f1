import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './repo.ts';

const run = promisify(execFile);

export interface KubeconfigSpec {
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  context?: string;
  user?: string;
}

/** Writes a kubeconfig with the CA and client cert embedded (scripts/kubeconfig.sh). */
export async function writeKubeconfig(path: string, spec: KubeconfigSpec): Promise<void> {
  const args = [spec.server, spec.caFile, spec.certFile, spec.keyFile, spec.context ?? 'skiff', spec.user ?? 'admin'];
  try {
    await run('bash', [join(repoRoot(), 'scripts', 'kubeconfig.sh'), path, ...args]);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`writing kubeconfig ${path} failed: ${e.stderr?.trim() || e.message}`);
  }
}
