// The kubectl-lite executable: process streams in, exit code out.
import { run } from './cli.ts';

const controller = new AbortController();
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // first Ctrl-C ends a watch or a follow cleanly; a second one ends the process
    if (interrupted) process.exit(130);
    interrupted = true;
    controller.abort();
  });
}

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
process.exitCode = code;
// a follow or a watch may leave sockets open after the abort; do not wait for them
process.stdout.write('', () => process.exit(code));
