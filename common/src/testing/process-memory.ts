// What a process holds in memory, as the kernel counts it: its resident set (and proportional set).
import { readFileSync } from 'node:fs';

/** VmRSS of process PID in MiB (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS in /proc/${pid}/status (a zombie or a kernel thread?)`);
  return Number(kib) / 1024;
}

/**
 * A process's proportional set size in MiB (Pss of /proc/PID/smaps_rollup): its resident pages
 * with each shared page divided among the processes sharing it. RSS counts the node binary's
 * resident text (about 54 MiB) whole in every Node process, though the kernel keeps it once.
 */
export function pssMiB(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kib = /^Pss:\s+(\d+) kB$/m.exec(rollup)?.[1];
  if (kib === undefined) throw new Error(`no Pss in /proc/${pid}/smaps_rollup`);
  return Number(kib) / 1024;
}
