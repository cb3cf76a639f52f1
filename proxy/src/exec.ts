// Runs the network tools (iptables-restore, ip, conntrack) with stdin and a clear error.
import { spawn } from 'node:child_process';

export class CommandError extends Error {
  readonly code: number | null;
  readonly stderr: string;
  constructor(cmd: string, code: number | null, stderr: string) {
    super(`${cmd} failed (exit ${code}): ${stderr.trim().slice(0, 2000)}`);
    this.code = code;
    this.stderr = stderr;
  }
}

export function run(cmd: string, args: readonly string[], stdin?: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new CommandError(`${cmd} ${args.join(' ')}`, null, e.message));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out).toString());
      else reject(new CommandError(`${cmd} ${args.join(' ')}`, code, Buffer.concat(err).toString()));
    });
    child.stdin.on('error', () => {
      /* the tool may exit before reading */
    });
    child.stdin.end(stdin ?? '');
  });
}
