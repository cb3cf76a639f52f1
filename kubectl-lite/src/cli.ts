// kubectl-lite's entry point as a function, so tests drive it in-process:
//   const code = await run(['get', 'pods'], { stdout, stderr, env });
import { GLOBAL_FLAGS } from './args.ts';
import { ApiStatusError, CliError, errorLine, UsageError } from './errors.ts';
import type { CliIO } from './io.ts';
import { applyCommand } from './commands/apply.ts';
import { composeCommand } from './commands/compose.ts';
import { deleteCommand } from './commands/delete.ts';
import { describeCommand } from './commands/describe.ts';
import { execCommand } from './commands/exec.ts';
import { getCommand } from './commands/get.ts';
import { logsCommand } from './commands/logs.ts';
import { rolloutCommand } from './commands/rollout.ts';
import { scaleCommand } from './commands/scale.ts';

export type { CliIO, Sink } from './io.ts';

type Command = (argv: string[], io: CliIO) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  apply: { run: applyCommand, summary: 'create or update objects from files (server-side apply)' },
  get: { run: getCommand, summary: 'list objects as tables, yaml, json or names' },
  describe: { run: describeCommand, summary: 'show an object in detail with its events' },
  delete: { run: deleteCommand, summary: 'delete objects by name, file or label selector' },
  logs: { run: logsCommand, summary: "print a container's logs" },
  exec: { run: execCommand, summary: 'run a command in a container' },
  scale: { run: scaleCommand, summary: 'set the replicas of a Deployment, ReplicaSet or StatefulSet' },
  rollout: { run: rolloutCommand, summary: 'status, history, undo and restart of Deployments' },
  compose: { run: composeCommand, summary: 'convert or start a docker-compose file' },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'Usage: kubectl-lite COMMAND [ARGS] [--kubeconfig FILE] [--context NAME] [-n NAMESPACE]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

/** Global flags may come before the command (`kubectl-lite -n x get pods`); they move behind it. */
function splitCommand(argv: readonly string[]): { name: string | undefined; rest: string[] } {
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '-h' && argv[i] !== '--help') {
    const arg = argv[i]!;
    const flag = arg.replace(/^--?/, '').split('=')[0]!;
    const known = Object.entries(GLOBAL_FLAGS).some(([long, def]) => long === flag || def.short === flag);
    if (!known) break;
    leading.push(arg);
    if (!arg.includes('=') && i + 1 < argv.length) leading.push(argv[++i]!);
    i++;
  }
  // behind the command's arguments, but before `--`: what follows it is the command to exec
  const rest = argv.slice(i + 1);
  const dashes = rest.indexOf('--');
  if (dashes >= 0) return { name: argv[i], rest: [...rest.slice(0, dashes), ...leading, ...rest.slice(dashes)] };
  return { name: argv[i], rest: [...rest, ...leading] };
}

/** Runs one command line; resolves with the exit code and never throws. */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const { name, rest } = splitCommand(argv);
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    (name ? io.stdout : io.stderr).write(usage());
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`error: unknown command "${name}" for "kubectl-lite"\n${usage()}`);
    return 1;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`error: ${err.message}\n${err.usage ? `${err.usage}\n` : ''}`);
      return 1;
    }
    io.stderr.write(`${errorLine(err)}\n`);
    if (err instanceof CliError) return err.exitCode;
    if (!(err instanceof ApiStatusError) && process.env.KUBECTL_LITE_DEBUG) io.stderr.write(`${(err as Error).stack}\n`);
    return 1;
  }
}
