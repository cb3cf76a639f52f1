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

/** How long the program must have printed nothing before the next typed line goes in. */
const QUIET_MS = 3000;

/** bash -c, optionally behind a prefix (nsenter into the cluster's network namespace). */
export function bashShell(opts: { cwd: string; env: NodeJS.ProcessEnv; prefix?: string[] }): Shell {
  return (script, input, timeoutMs) =>
    new Promise((resolve) => {
      // a step with typed input gets a terminal, as the student has: script(1) gives bash a pty
      // (`kubectl run -i --tty ... -- sh` wants one), and the lines are typed one by one, each
      // once the program has gone quiet, as a student types at a prompt
      const typed = input !== undefined;
      const run = typed ? ['script', '-qfec', 'bash -c "$SKIFF_STEP_SCRIPT"', '/dev/null'] : ['bash', '-c', script];
      const [cmd, ...args] = [...(opts.prefix ?? []), ...run];
      const env = typed ? { ...opts.env, SKIFF_STEP_SCRIPT: script, SHELL: '/bin/bash' } : opts.env;
      // a process group of its own: a step that times out is killed with everything it started
      // (a hung `kubectl run -i` must not outlive its lesson)
      const child = spawn(cmd!, args, { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const chunks: Buffer[] = [];
      let lastOutput = Date.now();
      const collect = (b: Buffer) => {
        chunks.push(b);
        lastOutput = Date.now();
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
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
      if (!typed) {
        child.stdin.end('');
        return;
      }
      const lines = input.split(/(?<=\n)/);
      const typeNext = () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        if (Date.now() - lastOutput < QUIET_MS) {
          setTimeout(typeNext, 200);
          return;
        }
        const line = lines.shift();
        if (line === undefined) return;
        child.stdin.write(line);
        lastOutput = Date.now();
        setTimeout(typeNext, 200);
      };
      setTimeout(typeNext, QUIET_MS);
    });
}
