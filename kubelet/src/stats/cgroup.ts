// CPU and memory of one cgroup from its files, for cgroup v1 (cpuacct and memory
// controllers mounted apart) and v2 (one unified tree). Working set as cadvisor computes it:
// usage less inactive file pages (v2: memory.current less inactive_file of memory.stat;
// v1: memory.usage_in_bytes less total_inactive_file), never below zero.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CgroupUsage {
  cpuUsageCoreNanoSeconds: number;
  memoryUsageBytes: number;
  memoryWorkingSetBytes: number;
  memoryRssBytes: number;
}

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

export function cgroupVersion(root = DEFAULT_CGROUP_ROOT): 1 | 2 {
  return existsSync(join(root, 'cgroup.controllers')) ? 2 : 1;
}

/** `key value` lines (memory.stat, cpu.stat) as a map. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out.set(k, Number(v));
  }
  return out;
}

const read = (path: string) => readFileSync(path, 'utf8');

/** The usage of the cgroup at `path` (as in /proc/<pid>/cgroup, e.g. /k8s.io/<id>), or undefined when it is gone. */
export function readCgroup(path: string, root = DEFAULT_CGROUP_ROOT, version = cgroupVersion(root)): CgroupUsage | undefined {
  try {
    if (version === 2) {
      const dir = join(root, path);
      const cpu = parseFlatKeyed(read(join(dir, 'cpu.stat')));
      const mem = parseFlatKeyed(read(join(dir, 'memory.stat')));
      const usage = Number(read(join(dir, 'memory.current')).trim());
      return {
        cpuUsageCoreNanoSeconds: (cpu.get('usage_usec') ?? 0) * 1000,
        memoryUsageBytes: usage,
        memoryWorkingSetBytes: Math.max(0, usage - (mem.get('inactive_file') ?? 0)),
        memoryRssBytes: mem.get('anon') ?? 0,
      };
    }
    const cpuNs = Number(read(join(root, 'cpuacct', path, 'cpuacct.usage')).trim());
    const memDir = join(root, 'memory', path);
    const mem = parseFlatKeyed(read(join(memDir, 'memory.stat')));
    const usage = Number(read(join(memDir, 'memory.usage_in_bytes')).trim());
    return {
      cpuUsageCoreNanoSeconds: cpuNs,
      memoryUsageBytes: usage,
      memoryWorkingSetBytes: Math.max(0, usage - (mem.get('total_inactive_file') ?? 0)),
      memoryRssBytes: mem.get('total_rss') ?? 0,
    };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
