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

// A reader that goes away (`| head -1`, `| grep -q`) closes the pipe: from then on what we
// print is dropped, but the command carries on, so that every object of an apply is applied.
// At the end we exit as a process killed by SIGPIPE would (128 + 13), unless the command
// itself failed. No stack trace: the 'error' event has a listener.
const SIGPIPE_EXIT = 141;
let stdoutClosed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE' && !stdoutClosed) throw err;
  stdoutClosed = true;
});

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
const exitCode = () => (stdoutClosed && code === 0 ? SIGPIPE_EXIT : code);
process.exitCode = exitCode();
// a follow or a watch may leave sockets open after the abort; do not wait for them
if (stdoutClosed) process.exit(exitCode());
process.stdout.write('', () => process.exit(exitCode()));
