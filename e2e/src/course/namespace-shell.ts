// A shell for lessons: bash in the course's working directory (the repository root, where a
// student types), KUBECONFIG a copy of the cluster's admin kubeconfig whose context names the
// lesson's own namespace, so that lessons run side by side with other work and are removed
// with their namespace, while the commands in them stay the plain ones a student types.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync } from 'node:fs';
import type { Shell } from './runner.ts';

/** Writes a copy of `kubeconfig` whose current context uses `namespace` (by kubectl config). */
export function namespacedKubeconfig(kubeconfig: string, namespace: string, target: string): void {
  copyFileSync(kubeconfig, target);
  chmodSync(target, 0o600);
  execFileSync('kubectl', ['config', 'set-context', '--current', `--namespace=${namespace}`, `--kubeconfig=${target}`], { stdio: 'pipe' });
}

/** bash -c, optionally behind a prefix (nsenter into the cluster's network namespace). */
export function bashShell(opts: { cwd: string; env: NodeJS.ProcessEnv; prefix?: string[] }): Shell {
  return (script, input, timeoutMs) =>
    new Promise((resolve) => {
      const [cmd, ...args] = [...(opts.prefix ?? []), 'bash', '-c', script];
      // a process group of its own: a step that times out is killed with everything it started
      // (a hung `kubectl run -i` must not outlive its lesson)
      const child = spawn(cmd!, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const chunks: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => chunks.push(b));
      child.stderr.on('data', (b: Buffer) => chunks.push(b));
      const timer = setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }, timeoutMs);
      child.once('error', (e) => {
        clearTimeout(timer);
        resolve({ code: 127, output: String(e) });
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        const output = Buffer.concat(chunks).toString();
        resolve({ code: code ?? 137, output: code === null ? `${output}\n(killed after ${timeoutMs} ms)` : output });
      });
      child.stdin.on('error', () => {});
      child.stdin.end(input ?? '');
    });
}
