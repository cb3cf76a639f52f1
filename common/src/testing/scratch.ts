// Where tests keep data that is written often and thrown away: etcd's write-ahead log is
// fsynced on every write, and on the CI machine's virtual disk those fsyncs were a large part of
// each API write's latency. A memory-backed /dev/shm makes them free; the data is lost with the
// machine, which for a test's etcd is what we want. SKIFF_TEST_SCRATCH names another folder.
import { accessSync, constants, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MEMORY_BACKED = '/dev/shm';

let root: string | undefined;

/** The folder under which fsync-heavy test data goes: SKIFF_TEST_SCRATCH, /dev/shm, or the OS's temp dir. */
export function scratchRoot(): string {
  if (root !== undefined) return root;
  root = process.env.SKIFF_TEST_SCRATCH || (writableDir(MEMORY_BACKED) ? MEMORY_BACKED : tmpdir());
  return root;
}

/** A new folder under scratchRoot(), named PREFIX plus a random tail. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(scratchRoot(), prefix));
}

function writableDir(path: string): boolean {
  try {
    if (!statSync(path).isDirectory()) return false;
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
