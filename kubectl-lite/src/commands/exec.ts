// `exec`: runs a command in a container through the pods/exec WebSocket (non-interactive;
// with -i, our stdin is sent to the command and then closed).
import { parseArgs } from '../args.ts';
import { UsageError } from '../errors.ts';
import { exitCodeFromStatus, runExecStream } from '../exec-stream.ts';
import type { CliIO } from '../io.ts';
import { findPod, pickContainer } from '../pods.ts';
import { openSession } from '../session.ts';

const USAGE = 'Usage: kubectl-lite exec (POD | TYPE/NAME) [-c CONTAINER] [-i] -- COMMAND [ARGS...]';

export async function execCommand(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(
    argv,
    {
      container: { kind: 'string', short: 'c' },
      stdin: { kind: 'boolean', short: 'i' },
      tty: { kind: 'boolean', short: 't' },
      quiet: { kind: 'boolean', short: 'q' },
    },
    USAGE,
  );
  if (args.positionals.length !== 1) throw new UsageError('exactly one pod name is required before --', USAGE);
  if (args.rest.length === 0) throw new UsageError('a command is required after --', USAGE);
  if (args.booleans.get('tty')) io.stderr.write('Unable to use a TTY - kubectl-lite exec is non-interactive; continuing without one\n');
  const s = openSession(args, io);
  const pod = await findPod(s, args.positionals[0]!, USAGE);
  const container = pickContainer(s, pod, args.strings.get('container'));
  const withStdin = args.booleans.get('stdin') ?? false;
  const status = await runExecStream(
    s.client,
    `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace)}/pods/${encodeURIComponent(pod.metadata.name)}/exec`,
    {
      container,
      command: args.rest,
      stdout: 'true',
      stderr: 'true',
      ...(withStdin ? { stdin: 'true' } : {}),
    },
    { stdout: io.stdout, stderr: io.stderr, stdin: withStdin ? io.stdin : undefined },
  );
  const result = exitCodeFromStatus(status);
  if (result.message && !args.booleans.get('quiet')) io.stderr.write(`${result.message}\n`);
  return result.code;
}
