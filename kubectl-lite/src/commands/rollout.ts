// `rollout status|history|undo|restart` for Deployments, with kubectl's semantics:
// status follows the Deployment until it is rolled out (or its progress deadline passes),
// history lists the ReplicaSets' revisions, undo puts an older ReplicaSet's pod template
// back, restart stamps the template with kubectl.kubernetes.io/restartedAt.
import { durationFlag, intFlag, parseArgs } from '../args.ts';
import { PATCH_TYPES } from '../client.ts';
import { kindLabel, resourcePath, type ResourceInfo } from '../discovery.ts';
import { CliError, UsageError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { formatTable, toYaml } from '../output.ts';
import { openSession, type Session } from '../session.ts';
import { resolveTargets } from '../targets.ts';
import { CHANGE_CAUSE_ANNOTATION, comparableTemplate, deploymentRolloutState, ownedReplicaSets, RESTARTED_AT_ANNOTATION, revisionOf } from '../deployments.ts';

const USAGE =
  'Usage: kubectl-lite rollout (status|history|undo|restart) (deployment NAME | deployment/NAME) [--timeout=DURATION] [--watch=false] [--revision=N] [--to-revision=N]';

export async function rolloutCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const action = sub ? ACTIONS[sub] : undefined;
  if (!action) throw new UsageError(sub ? `unknown rollout command "${sub}"` : 'a rollout command is required', USAGE);
  const args = parseArgs(
    rest,
    {
      watch: { kind: 'boolean', short: 'w' },
      timeout: { kind: 'string' },
      revision: { kind: 'string' },
      'to-revision': { kind: 'string' },
      'dry-run': { kind: 'string', bare: 'client' },
    },
    USAGE,
  );
  const s = openSession(args, io);
  const targets = await resolveTargets(s, args.positionals, USAGE);
  for (const t of targets) {
    if (t.info.kind !== 'Deployment') throw new CliError(`rollout ${sub} is only implemented for deployments, not ${kindLabel(t.info)}`);
    if (t.names.length === 0) throw new UsageError('a deployment name is required', USAGE);
    for (const name of t.names) {
      const code = await action(s, t.info, name, {
        watch: args.booleans.get('watch') ?? true,
        timeoutMs: durationFlag(args, 'timeout', USAGE) ?? 0,
        revision: intFlag(args, 'revision', USAGE) ?? intFlag(args, 'to-revision', USAGE) ?? 0,
      });
      if (code !== 0) return code;
    }
  }
  return 0;
}

interface RolloutOptions {
  watch: boolean;
  timeoutMs: number;
  revision: number;
}

type Action = (s: Session, info: ResourceInfo, name: string, o: RolloutOptions) => Promise<number>;

const ACTIONS: Record<string, Action> = { status, history, undo, restart };

async function status(s: Session, info: ResourceInfo, name: string, o: RolloutOptions): Promise<number> {
  const path = resourcePath(info, s.namespace, name);
  let last = '';
  const report = (dep: any): boolean => {
    const state = deploymentRolloutState(dep);
    if (state.failed) throw new CliError(state.failed);
    if (state.message !== last) {
      s.io.stdout.write(`${state.message}\n`);
      last = state.message;
    }
    return state.done;
  };
  // list rather than get: a watch resumes from a list's resourceVersion
  const list = await s.client.get(resourcePath(info, s.namespace), { query: { fieldSelector: `metadata.name=${name}` } });
  const dep = list.items?.[0];
  if (!dep) await s.client.get(path); // the NotFound error, worded by the server
  if (report(dep) || !o.watch) return 0;

  const signals = [s.io.signal, o.timeoutMs > 0 ? AbortSignal.timeout(o.timeoutMs) : undefined].filter((x): x is AbortSignal => Boolean(x));
  const signal = signals.length ? AbortSignal.any(signals) : undefined;
  let resourceVersion = list.metadata.resourceVersion;
  let done = false;
  // the server ends watches after a while; start a new one until done, timed out or aborted
  while (!done && !signal?.aborted) {
    await s.client.watch(
      resourcePath(info, s.namespace),
      { fieldSelector: `metadata.name=${name}`, resourceVersion, allowWatchBookmarks: 'true' },
      (ev) => {
        resourceVersion = ev.object?.metadata?.resourceVersion ?? resourceVersion;
        if (ev.type === 'DELETED') throw new CliError(`deployment "${name}" was deleted`);
        if (ev.type === 'BOOKMARK') return;
        done = report(ev.object);
        return done;
      },
      { signal },
    );
  }
  if (done) return 0;
  if (s.io.signal?.aborted) return 130;
  throw new CliError('timed out waiting for the condition');
}

async function history(s: Session, info: ResourceInfo, name: string, o: RolloutOptions): Promise<number> {
  const dep = await s.client.get(resourcePath(info, s.namespace, name));
  const sets = (await ownedReplicaSets(s, dep)).filter((r) => revisionOf(r) > 0);
  if (o.revision > 0) {
    const rs = sets.find((r) => revisionOf(r) === o.revision);
    if (!rs) throw new CliError(`unable to find the specified revision ${o.revision}`);
    s.io.stdout.write(`${kindLabel(info)}/${name} with revision #${o.revision}\nPod Template:\n`);
    s.io.stdout.write(toYaml(comparableTemplate(rs.spec?.template)).replace(/^/gm, '  '));
    return 0;
  }
  s.io.stdout.write(`${kindLabel(info)}/${name} \n`);
  if (sets.length === 0) {
    s.io.stdout.write('No rollout history found.\n');
    return 0;
  }
  const rows = sets.map((r) => [String(revisionOf(r)), r.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION] ?? '<none>']);
  s.io.stdout.write(formatTable(['REVISION', 'CHANGE-CAUSE'], rows) + '\n');
  return 0;
}

async function undo(s: Session, info: ResourceInfo, name: string, o: RolloutOptions): Promise<number> {
  const path = resourcePath(info, s.namespace, name);
  const dep = await s.client.get(path);
  if (dep.spec?.paused)
    throw new CliError(`you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume ${kindLabel(info)}/${name}' and try again`);
  const sets = (await ownedReplicaSets(s, dep)).filter((r) => revisionOf(r) > 0);
  let target: any;
  if (o.revision > 0) {
    target = sets.find((r) => revisionOf(r) === o.revision);
    if (!target) throw new CliError(`unable to find specified revision ${o.revision} in history`);
  } else {
    // the previous revision: the highest one below the newest
    if (sets.length < 2) throw new CliError(`no rollout history found for deployment "${name}"`);
    target = sets[sets.length - 2];
  }
  const template = comparableTemplate(target.spec.template);
  if (JSON.stringify(template) === JSON.stringify(comparableTemplate(dep.spec.template))) {
    s.io.stdout.write(`${kindLabel(info)}/${name} skipped rollback (current template already matches revision ${revisionOf(target)})\n`);
    return 0;
  }
  const ops: unknown[] = [
    { op: 'test', path: '/metadata/resourceVersion', value: dep.metadata.resourceVersion },
    { op: 'replace', path: '/spec/template', value: template },
  ];
  const cause = target.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION];
  if (cause) {
    ops.push(
      dep.metadata.annotations
        ? { op: 'add', path: `/metadata/annotations/${CHANGE_CAUSE_ANNOTATION.replace(/~/g, '~0').replace(/\//g, '~1')}`, value: cause }
        : { op: 'add', path: '/metadata/annotations', value: { [CHANGE_CAUSE_ANNOTATION]: cause } },
    );
  }
  await s.client.call('PATCH', path, { body: ops, contentType: PATCH_TYPES.json, query: { fieldManager: 'kubectl-lite-rollout' } });
  s.io.stdout.write(`${kindLabel(info)}/${name} rolled back\n`);
  return 0;
}

async function restart(s: Session, info: ResourceInfo, name: string): Promise<number> {
  const path = resourcePath(info, s.namespace, name);
  const dep = await s.client.get(path);
  if (dep.spec?.paused) throw new CliError(`can't restart paused deployment (run rollout resume first)`);
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: now } } } } };
  await s.client.call('PATCH', path, { body: patch, contentType: PATCH_TYPES.strategic, query: { fieldManager: 'kubectl-rollout' } });
  s.io.stdout.write(`${kindLabel(info)}/${name} restarted\n`);
  return 0;
}
