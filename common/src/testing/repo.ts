// Where the repository is and whether this code runs from TypeScript source or from
// dist/, so the harness can start the other components the same way.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

let cachedRoot: string | undefined;

/** The repository root: the nearest ancestor holding scripts/pki.sh. */
export function repoRoot(): string {
  if (cachedRoot) return cachedRoot;
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'scripts', 'pki.sh')) && existsSync(join(dir, 'package.json'))) {
      cachedRoot = dir;
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the Skiff repository root above ${here}`);
  }
}

/** True when the harness itself was loaded from src/*.ts (node --conditions=source). */
export function runningFromSource(): boolean {
  return import.meta.url.endsWith('.ts');
}

/**
 * The node arguments that start a workspace's main module. SKIFF_TEST_MODE=dist|source
 * forces one; otherwise source when the harness runs from source (dist may be stale
 * then), dist when it exists, source as the last resort.
 */
export function componentEntryArgs(workspace: string): string[] {
  const root = repoRoot();
  const dist = join(root, workspace, 'dist', 'src', 'main.js');
  const source = join(root, workspace, 'src', 'main.ts');
  const mode = process.env.SKIFF_TEST_MODE;
  if (mode !== undefined && mode !== 'dist' && mode !== 'source') {
    throw new Error(`SKIFF_TEST_MODE must be "dist" or "source", not "${mode}"`);
  }
  const useSource = mode === 'source' || (mode !== 'dist' && (runningFromSource() || !existsSync(dist)));
  if (useSource) {
    if (!existsSync(source)) throw new Error(`${workspace}: ${source} does not exist`);
    return ['--conditions=source', source];
  }
  if (!existsSync(dist)) throw new Error(`${workspace}: ${dist} does not exist (build with: npx tsc -b)`);
  return [dist];
}
