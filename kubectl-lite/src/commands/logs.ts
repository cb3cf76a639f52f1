// `logs`: a container's log through pods/NAME/log, streamed while following.
import { durationFlag, intFlag, parseArgs } from '../args.ts';
import { UsageError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { findPod, pickContainer } from '../pods.ts';
import { openSession } from '../session.ts';

const USAGE = 'Usage: kubectl-lite logs (POD | TYPE/NAME) [-c CONTAINER] [-f] [--tail=N] [--since=DURATION] [-p] [--timestamps]';

export async function logsCommand(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(
    argv,
    {
      container: { kind: 'string', short: 'c' },
      follow: { kind: 'boolean', short: 'f' },
      tail: { kind: 'string' },
      since: { kind: 'string' },
      previous: { kind: 'boolean', short: 'p' },
      timestamps: { kind: 'boolean' },
      'limit-bytes': { kind: 'string' },
    },
    USAGE,
  );
  if (args.positionals.length === 0) throw new UsageError('a pod name is required', USAGE);
  if (args.positionals.length > 2) throw new UsageError(`too many arguments: ${args.positionals.join(' ')}`, USAGE);
  const s = openSession(args, io);
  const pod = await findPod(s, args.positionals[0]!, USAGE);
  // kubectl also takes the container as a second argument: `logs POD CONTAINER`
  const container = pickContainer(s, pod, args.strings.get('container') ?? args.positionals[1]);
  const tail = intFlag(args, 'tail', USAGE);
  const since = durationFlag(args, 'since', USAGE);
  const query = {
    container,
    follow: args.booleans.get('follow') ? 'true' : undefined,
    tailLines: tail !== undefined && tail >= 0 ? tail : undefined,
    sinceSeconds: since ? Math.ceil(since / 1000) : undefined,
    previous: args.booleans.get('previous') ? 'true' : undefined,
    timestamps: args.booleans.get('timestamps') ? 'true' : undefined,
    limitBytes: intFlag(args, 'limit-bytes', USAGE),
  };
  const res = await s.client.open('GET', `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace)}/pods/${encodeURIComponent(pod.metadata.name)}/log`, {
    query,
    accept: '*/*',
    signal: io.signal,
  });
  try {
    for await (const chunk of res) io.stdout.write((chunk as Buffer).toString('utf8'));
  } catch (err) {
    if (!io.signal?.aborted) throw err;
  }
  return 0;
}
