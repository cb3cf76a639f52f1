// The node's own CPU and memory, from /proc: CPU time is every non-idle jiffy of
// /proc/stat's `cpu` line (user, nice, system, irq, softirq, steal; guest time is already in
// user); memory as the kubelet reports the node: usage = MemTotal - MemFree, working set =
// usage less Inactive(file), available = MemTotal less the working set.
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of /proc/stat, 100 on every Linux architecture the kernel exports it for */
const NS_PER_JIFFY = 1e7;

export interface NodeUsage {
  cpuUsageCoreNanoSeconds: number;
  memoryUsageBytes: number;
  memoryWorkingSetBytes: number;
  memoryAvailableBytes: number;
}

export function parseProcStatCpu(text: string): number {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no cpu line');
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) * NS_PER_JIFFY;
}

export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]) * (line.endsWith('kB') ? 1024 : 1));
  }
  return out;
}

export function nodeUsage(procStat = '/proc/stat', procMeminfo = '/proc/meminfo'): NodeUsage {
  const cpu = parseProcStatCpu(readFileSync(procStat, 'utf8'));
  const mem = parseMeminfo(readFileSync(procMeminfo, 'utf8'));
  const total = mem.get('MemTotal') ?? 0;
  const usage = total - (mem.get('MemFree') ?? 0);
  const workingSet = Math.max(0, usage - (mem.get('Inactive(file)') ?? 0));
  return { cpuUsageCoreNanoSeconds: cpu, memoryUsageBytes: usage, memoryWorkingSetBytes: workingSet, memoryAvailableBytes: Math.max(0, total - workingSet) };
}
