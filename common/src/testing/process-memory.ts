// What a process holds in memory, as the kernel counts it: its resident set (and proportional set).
import { readFileSync } from 'node:fs';

/** A `Field:   N kB` line of a /proc file, in MiB. */
function procMiB(file: string, field: string): number {
  const kib = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(file, 'utf8'))?.[1];
  if (kib === undefined) throw new Error(`no ${field} in ${file} (a zombie or a kernel thread?)`);
  return Number(kib) / 1024;
}

/** VmRSS of process PID in MiB (Linux). */
export function rssMiB(pid: number): number {
  return procMiB(`/proc/${pid}/status`, 'VmRSS');
}

/**
 * A process's proportional set size in MiB (Pss of /proc/PID/smaps_rollup): its resident pages
 * with each shared page divided among the processes sharing it. RSS counts the node binary's
 * resident text (about 54 MiB) whole in every Node process, though the kernel keeps it once.
 */
export function pssMiB(pid: number): number {
  return procMiB(`/proc/${pid}/smaps_rollup`, 'Pss');
}
