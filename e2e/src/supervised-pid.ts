// The PID files of a service that scripts/cluster.sh or the lab started: NAME.pid names the
// process started (scripts/supervise.sh when supervised, else the service itself), and
// supervise.sh keeps the service's own PID as pid= in NAME.state beside it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function readPid(file: string, pattern: RegExp): number | undefined {
  try {
    const pid = Number(pattern.exec(readFileSync(file, 'utf8'))?.[1]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** What DIR's files say of NAME: the started process (NAME.pid) and, when supervised, the service's own PID (NAME.state). */
export function servicePids(dir: string, name: string): { started?: number; service?: number } {
  return { started: readPid(join(dir, `${name}.pid`), /^(\d+)\s*$/), service: readPid(join(dir, `${name}.state`), /^pid=(\d+)$/m) };
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
