// `scale`: sets spec.replicas through the scale subresource, as kubectl does.
import { intFlag, parseArgs } from '../args.ts';
import { PATCH_TYPES } from '../client.ts';
import { kindLabel, resourcePath } from '../discovery.ts';
import { CliError, UsageError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { openSession } from '../session.ts';
import { resolveTargets } from '../targets.ts';

const USAGE = 'Usage: kubectl-lite scale (TYPE NAME | TYPE/NAME) --replicas=COUNT [--current-replicas=COUNT] [-n NS]';

export async function scaleCommand(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(
    argv,
    {
      replicas: { kind: 'string' },
      'current-replicas': { kind: 'string' },
      selector: { kind: 'string', short: 'l' },
      all: { kind: 'boolean' },
      timeout: { kind: 'string' },
    },
    USAGE,
  );
  const replicas = intFlag(args, 'replicas', USAGE);
  if (replicas === undefined) throw new UsageError('required flag(s) "replicas" not set', USAGE);
  if (replicas < 0) throw new UsageError('the --replicas=COUNT flag must be 0 or greater', USAGE);
  const current = intFlag(args, 'current-replicas', USAGE);
  const s = openSession(args, io);
  const targets = await resolveTargets(s, args.positionals, USAGE);
  for (const t of targets) {
    if (!['Deployment', 'ReplicaSet', 'StatefulSet', 'ReplicationController'].includes(t.info.kind)) {
      throw new CliError(`cannot scale ${kindLabel(t.info)}: only Deployments, ReplicaSets, StatefulSets and ReplicationControllers have replicas`);
    }
    let names = t.names;
    if (names.length === 0) {
      if (!args.strings.get('selector') && !args.booleans.get('all')) throw new UsageError('give a NAME, -l SELECTOR or --all', USAGE);
      const list = await s.client.get(resourcePath(t.info, s.namespace), { query: { labelSelector: args.strings.get('selector') } });
      names = (list.items ?? []).map((o: any) => o.metadata.name);
    }
    for (const name of names) {
      const path = resourcePath(t.info, s.namespace, name, 'scale');
      if (current !== undefined) {
        const scale = await s.client.get(path);
        if ((scale.spec?.replicas ?? 0) !== current) {
          throw new CliError(`Expected replicas to be ${current}, was ${scale.spec?.replicas ?? 0}`);
        }
      }
      await s.client.call('PATCH', path, { body: { spec: { replicas } }, contentType: PATCH_TYPES.merge, query: { fieldManager: 'kubectl-lite' } });
      io.stdout.write(`${kindLabel(t.info)}/${name} scaled\n`);
    }
  }
  return 0;
}
