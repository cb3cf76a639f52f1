// What `make down` leaves behind on purpose (pods keep running in their shims so that a
// restarted kubelet finds them) but a test run must not: this node's containers, shims and
// mounts. Only things of this node are touched: containers by their bundle path under the
// node's containerd state dir, shims by this node's socket on their command line.
import { readdirSync, readFileSync } from 'node:fs';
import { run } from './run.ts';

// runc's state dir for containerd's k8s.io namespace, shared by every containerd on the host
const RUNC_ROOT = '/run/containerd/runc/k8s.io';

interface RuncContainer {
  id: string;
  bundle: string;
}

export async function killNodeContainers(containerdStateDir: string): Promise<number> {
  const listed = await run('runc', ['--root', RUNC_ROOT, 'list', '-f', 'json']);
  if (listed.code !== 0) return 0;
  const all = (JSON.parse(listed.stdout.trim() || 'null') ?? []) as RuncContainer[];
  const ours = all.filter((c) => c.bundle.startsWith(`${containerdStateDir}/`));
  for (const c of ours) {
    await run('runc', ['--root', RUNC_ROOT, 'kill', c.id, 'KILL']);
    await run('runc', ['--root', RUNC_ROOT, 'delete', '-f', c.id]);
  }
  return ours.length;
}

function isZombie(pid: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .startsWith('Z');
  } catch {
    return true;
  }
}

/** PIDs of live processes (other than this one; zombies are already dead) whose argument list passes `match`. */
export function pidsWhere(match: (argv: string[]) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (match(argv) && !isZombie(entry)) pids.push(Number(entry));
  }
  return pids;
}

/** SIGKILLs the node's shims and waits (up to 5 s) until they are gone. */
export async function killShims(containerdSocket: string): Promise<number> {
  const shims = () => pidsWhere((argv) => argv.includes('-address') && argv.includes(containerdSocket));
  const pids = shims();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + 5000;
  while (shims().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return pids.length;
}

/** Lazily unmounts everything mounted below `dir` (overlay rootfs, netns files, volumes), deepest first. */
export async function unmountUnder(dir: string): Promise<void> {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && m.startsWith(`${dir}/`))
    .sort()
    .reverse();
  for (const m of mounts) await run('umount', ['-l', m]);
}
