// `apply -f`: create or update objects from manifests, as kubectl's client-side apply
// does: the manifest is kept in the kubectl.kubernetes.io/last-applied-configuration
// annotation, and an update is the three-way strategic merge patch between that, the new
// manifest and the live object (three-way.ts), so that fields removed from a manifest are
// removed, and fields set by the server or other clients survive. Objects that real
// kubectl applied before are updated the same way, since both use the annotation.
import { parseArgs, type ParsedArgs } from '../args.ts';
import { PATCH_TYPES } from '../client.ts';
import { kindLabel, resourcePath, type ResourceInfo } from '../discovery.ts';
import { CliError, errorLine, isNotFound, UsageError } from '../errors.ts';
import { readManifests, type SourcedObject } from '../manifests.ts';
import { toJson, toYaml } from '../output.ts';
import { openSession, type Session } from '../session.ts';
import { loadOpenApi } from '../patch-schema.ts';
import { threeWayPatch } from '../three-way.ts';
import type { CliIO } from '../io.ts';

export const FIELD_MANAGER = 'kubectl-client-side-apply';
const USAGE =
  'Usage: kubectl-lite apply -f FILENAME [-f ...] [-R] [-n NS] [--dry-run=none|server|client] [-o name|yaml|json] [--server-side [--force-conflicts]]';

export type DryRun = 'none' | 'server' | 'client';

export function dryRunFlag(args: ParsedArgs, usage: string): DryRun {
  const v = args.strings.get('dry-run') ?? 'none';
  if (v !== 'none' && v !== 'server' && v !== 'client') throw new UsageError(`invalid --dry-run value "${v}": want none, server or client`, usage);
  return v;
}

export function dryRunSuffix(dryRun: DryRun): string {
  return dryRun === 'server' ? ' (server dry run)' : dryRun === 'client' ? ' (dry run)' : '';
}

export type ApplyOutcome = 'created' | 'configured' | 'unchanged' | 'serverside-applied';

export interface ApplyResult {
  info: ResourceInfo;
  outcome: ApplyOutcome;
  object: any;
}

/** The namespace an object goes to: its own, else -n / the context's; -n must not contradict it. */
export function namespaceFor(s: Session, info: ResourceInfo, obj: any): string | undefined {
  if (!info.namespaced) return undefined;
  const own = obj.metadata?.namespace as string | undefined;
  if (own && s.namespaceExplicit && own !== s.namespace) {
    throw new CliError(
      `the namespace from the provided object "${own}" does not match the namespace "${s.namespace}". You must pass '--namespace=${own}' to perform this operation.`,
    );
  }
  return own || s.namespace;
}

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** The manifest as it is stored in the annotation, and the object sent to the server. */
function withLastApplied(obj: any): any {
  const stored = structuredClone(obj);
  // kubectl leaves an empty annotations map behind; the same text keeps both tools in agreement
  stored.metadata.annotations = { ...stored.metadata.annotations };
  delete stored.metadata.annotations[LAST_APPLIED_ANNOTATION];
  const out = structuredClone(obj);
  out.metadata.annotations = { ...out.metadata.annotations, [LAST_APPLIED_ANNOTATION]: goJson(stored) };
  return out;
}

/** JSON as kubectl writes the annotation (Go's encoder: sorted keys, newline), so both tools see the same text. */
function goJson(value: unknown): string {
  const sorted = (v: any): any => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sorted(v[k])]),
      );
    return v;
  };
  // Go's encoder also escapes <, > and & (HTML-safe) and the JS line separators
  const htmlSafe = JSON.stringify(sorted(value)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `${htmlSafe}\n`;
}

function lastApplied(current: any): any {
  const raw = current?.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** Applies one object; exported for `compose up`. */
export interface ServerSide {
  fieldManager: string;
  force: boolean;
}

export async function applyObject(s: Session, input: any, dryRun: DryRun, serverSide?: ServerSide): Promise<ApplyResult> {
  const info = await s.discovery.forKind(input.apiVersion, input.kind);
  const namespace = namespaceFor(s, info, input);
  const name = input.metadata?.name as string | undefined;
  if (!name) throw new CliError(`${input.kind} needs metadata.name to be applied (generateName is for create)`);
  const desired = structuredClone(input);
  if (namespace) desired.metadata.namespace = namespace;
  const modified = withLastApplied(desired);
  const dryQuery = dryRun === 'server' ? { dryRun: 'All' } : {};

  let current: any;
  try {
    current = await s.client.get(resourcePath(info, namespace, name));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (serverSide && dryRun !== 'client') {
    const { code, body } = await s.client.call('PATCH', resourcePath(info, namespace, name), {
      body: desired,
      contentType: PATCH_TYPES.apply,
      query: { fieldManager: serverSide.fieldManager, ...(serverSide.force ? { force: 'true' } : {}), ...dryQuery },
    });
    const outcome: ApplyOutcome =
      code === 201 || !current ? 'created' : body?.metadata?.resourceVersion === current.metadata?.resourceVersion ? 'unchanged' : 'configured';
    return { info, outcome: outcome === 'configured' ? ('serverside-applied' as ApplyOutcome) : outcome, object: body };
  }
  if (!current) {
    if (dryRun === 'client') return { info, outcome: 'created', object: modified };
    const { body } = await s.client.call('POST', resourcePath(info, namespace), { body: modified, query: { fieldManager: FIELD_MANAGER, ...dryQuery } });
    return { info, outcome: 'created', object: body };
  }
  const schema = (await loadOpenApi(s.client).catch(() => undefined))?.forKind(input.apiVersion, input.kind);
  const patch = threeWayPatch(lastApplied(current) ?? {}, modified, current, schema);
  delete patch.apiVersion;
  delete patch.kind;
  if (Object.keys(patch).length === 0) return { info, outcome: 'unchanged', object: current };
  if (dryRun === 'client') return { info, outcome: 'configured', object: modified };
  const { body } = await s.client.call('PATCH', resourcePath(info, namespace, name), {
    body: patch,
    // kinds without a schema (custom resources) take no strategic patches
    contentType: schema ? PATCH_TYPES.strategic : PATCH_TYPES.merge,
    query: { fieldManager: FIELD_MANAGER, ...dryQuery },
  });
  return { info, outcome: 'configured', object: body };
}

export async function applyCommand(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(
    argv,
    {
      filename: { kind: 'list', short: 'f' },
      recursive: { kind: 'boolean', short: 'R' },
      'dry-run': { kind: 'string', bare: 'client' },
      output: { kind: 'string', short: 'o' },
      'server-side': { kind: 'boolean' },
      'force-conflicts': { kind: 'boolean' },
      'field-manager': { kind: 'string' },
      validate: { kind: 'string', bare: 'true' },
      timeout: { kind: 'string' },
    },
    USAGE,
  );
  const files = args.lists.get('filename') ?? [];
  if (files.length === 0) throw new UsageError('must specify one of -f and -k', USAGE);
  if (args.positionals.length > 0) throw new UsageError(`unexpected arguments: ${args.positionals.join(' ')}`, USAGE);
  const output = args.strings.get('output');
  if (output && !['name', 'yaml', 'json'].includes(output)) throw new UsageError(`unsupported output format "${output}" for apply`, USAGE);
  const dryRun = dryRunFlag(args, USAGE);
  const s = openSession(args, io);
  const objects: SourcedObject[] = await readManifests(files, io, { recursive: args.booleans.get('recursive') ?? false, verb: 'apply' });

  const serverSide = args.booleans.get('server-side')
    ? { fieldManager: args.strings.get('field-manager') ?? 'kubectl-lite', force: args.booleans.get('force-conflicts') ?? false }
    : undefined;
  let failed = 0;
  const printed: any[] = [];
  for (const { obj, source } of objects) {
    try {
      const r = await applyObject(s, obj, dryRun, serverSide);
      const ref = `${kindLabel(r.info)}/${obj.metadata.name}`;
      if (output === 'yaml' || output === 'json') printed.push(r.object);
      else if (output === 'name') io.stdout.write(`${ref}\n`);
      else io.stdout.write(`${ref} ${r.outcome}${dryRunSuffix(dryRun)}\n`);
    } catch (err) {
      failed++;
      const line = errorLine(err);
      io.stderr.write(
        line.startsWith('Error from server')
          ? `${line.replace(/^Error from server \(([^)]*)\): /, `Error from server ($1): error when applying "${source}": `)}\n`
          : `${line} (${source})\n`,
      );
    }
  }
  if (printed.length === 1) io.stdout.write(output === 'json' ? toJson(printed[0]) : toYaml(printed[0]));
  else if (printed.length > 1) {
    const list = { apiVersion: 'v1', kind: 'List', items: printed, metadata: { resourceVersion: '' } };
    io.stdout.write(output === 'json' ? toJson(list) : toYaml(list));
  }
  return failed > 0 ? 1 : 0;
}
