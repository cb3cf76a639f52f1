// The V8 flags a component runs with in a cluster (scripts/node-flags.conf, which `make up` and
// the systemd units read too), so that what the harness starts, and what a benchmark measures,
// runs as `make up` runs it. SKIFF_NODE_FLAGS_<name> replaces a component's line, as in make up.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './repo.ts';

let table: Map<string, string[]> | undefined;

function flagsTable(): Map<string, string[]> {
  if (table) return table;
  table = new Map();
  for (const line of readFileSync(join(repoRoot(), 'scripts', 'node-flags.conf'), 'utf8').split('\n')) {
    const [name, ...flags] = line.trim().split(/\s+/);
    if (name && !name.startsWith('#')) table.set(name, flags);
  }
  return table;
}

/** Node flags for a workspace's main module (none for a workspace without a line). */
export function componentNodeFlags(workspace: string): string[] {
  const override = process.env[`SKIFF_NODE_FLAGS_${workspace.replaceAll('-', '_')}`];
  if (override !== undefined) return override.trim() ? override.trim().split(/\s+/) : [];
  return flagsTable().get(workspace) ?? [];
}
