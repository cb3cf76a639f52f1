// The Skiff checkout this module runs from (source or dist), found by its node scripts, so
// that helpers can call scripts/ and default to the shared .skiff/ directory.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function findRepoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'scripts', 'node', 'start-containerd.sh'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no Skiff checkout (scripts/node/start-containerd.sh) above ${from}`);
  }
}

export function skiffDir(): string {
  return process.env.SKIFF_DIR ?? join(findRepoRoot(), '.skiff');
}
