// What a process holds in memory, as the kernel counts it: the resident set of /proc/PID/status.
import { readFileSync } from 'node:fs';

/** VmRSS of process PID in MiB (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS in /proc/${pid}/status (a zombie or a kernel thread?)`);
  return Number(kib) / 1024;
}
