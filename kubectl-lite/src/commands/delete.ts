// `delete`: by TYPE NAME, TYPE/NAME, -f manifests or TYPE -l selector / --all.
import { parseArgs } from '../args.ts';
import { kindLabel, resourcePath, type ResourceInfo } from '../discovery.ts';
import { errorLine, isNotFound, UsageError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { readManifests } from '../manifests.ts';
import { openSession, type Session } from '../session.ts';
import { resolveTargets } from '../targets.ts';
import { dryRunFlag, dryRunSuffix, namespaceFor, type DryRun } from './apply.ts';

const USAGE =
  'Usage: kubectl-lite delete (TYPE NAME... | TYPE/NAME... | -f FILE | TYPE -l SELECTOR | TYPE --all) [-n NS] [--ignore-not-found] [--cascade=background|foreground|orphan] [--grace-period=N] [--wait=false]';

interface DeleteItem {
  info: ResourceInfo;
  namespace: string | undefined;
  name: string;
}

export async function deleteCommand(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(
    argv,
    {
      filename: { kind: 'list', short: 'f' },
      recursive: { kind: 'boolean', short: 'R' },
      selector: { kind: 'string', short: 'l' },
      all: { kind: 'boolean' },
      'all-namespaces': { kind: 'boolean', short: 'A' },
      'ignore-not-found': { kind: 'boolean' },
      cascade: { kind: 'string', bare: 'background' },
      'grace-period': { kind: 'string' },
      now: { kind: 'boolean' },
      force: { kind: 'boolean' },
      wait: { kind: 'boolean' },
      'dry-run': { kind: 'string', bare: 'client' },
    },
    USAGE,
  );
  const s = openSession(args, io);
  const files = args.lists.get('filename') ?? [];
  const selector = args.strings.get('selector');
  const all = args.booleans.get('all') ?? false;
  const allNamespaces = args.booleans.get('all-namespaces') ?? false;
  const dryRun = dryRunFlag(args, USAGE);
  const ignoreNotFound = args.booleans.get('ignore-not-found') ?? Boolean(selector || all);
  const cascade = args.strings.get('cascade') ?? 'background';
  const policy = ({ background: 'Background', foreground: 'Foreground', orphan: 'Orphan', true: 'Background', false: 'Orphan' } as Record<string, string>)[
    cascade
  ];
  if (!policy) throw new UsageError(`invalid cascade value "${cascade}": want background, foreground or orphan`, USAGE);
  let grace = args.strings.get('grace-period');
  if (args.booleans.get('now')) grace = '1';
  if (args.booleans.get('force') && grace === undefined) grace = '0';
  if (grace !== undefined && !/^-?\d+$/.test(grace)) throw new UsageError(`--grace-period wants a whole number, got "${grace}"`, USAGE);

  const items: DeleteItem[] = [];
  if (files.length > 0) {
    if (args.positionals.length > 0) throw new UsageError('give either -f or resource arguments, not both', USAGE);
    for (const { obj } of await readManifests(files, io, { recursive: args.booleans.get('recursive'), verb: 'delete' })) {
      const info = await s.discovery.forKind(obj.apiVersion, obj.kind);
      items.push({ info, namespace: namespaceFor(s, info, obj), name: obj.metadata.name });
    }
  } else {
    const targets = await resolveTargets(s, args.positionals, USAGE);
    for (const t of targets) {
      const namespace = t.info.namespaced && !allNamespaces ? s.namespace : undefined;
      if (t.names.length > 0) {
        if (selector || all) throw new UsageError('names cannot be combined with --selector or --all', USAGE);
        for (const name of t.names) items.push({ info: t.info, namespace, name });
        continue;
      }
      if (!selector && !all) throw new UsageError(`resource(s) were provided, but no name was specified: give names, -l SELECTOR or --all`, USAGE);
      const list = await s.client.get(resourcePath(t.info, namespace), { query: { labelSelector: selector } });
      for (const obj of list.items ?? []) items.push({ info: t.info, namespace: obj.metadata?.namespace, name: obj.metadata.name });
    }
  }
  if (items.length === 0) {
    io.stderr.write(allNamespaces || (!items.length && !s.namespace) ? 'No resources found\n' : `No resources found in ${s.namespace} namespace.\n`);
    return 0;
  }
  return deleteItems(s, items, { policy, grace, dryRun, ignoreNotFound });
}

async function deleteItems(s: Session, items: DeleteItem[], o: { policy: string; grace?: string; dryRun: DryRun; ignoreNotFound: boolean }): Promise<number> {
  let failed = 0;
  for (const item of items) {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: o.policy };
    if (o.grace !== undefined) body.gracePeriodSeconds = Number(o.grace);
    if (o.dryRun === 'server') body.dryRun = ['All'];
    try {
      if (o.dryRun === 'client') await s.client.get(resourcePath(item.info, item.namespace, item.name));
      else await s.client.call('DELETE', resourcePath(item.info, item.namespace, item.name), { body });
      s.io.stdout.write(`${kindLabel(item.info)} "${item.name}" deleted${dryRunSuffix(o.dryRun)}\n`);
    } catch (err) {
      if (o.ignoreNotFound && isNotFound(err)) continue;
      failed++;
      s.io.stderr.write(`${errorLine(err)}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}
