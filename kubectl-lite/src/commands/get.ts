// `get`: tables with the server's columns, or objects as yaml/json/name, optionally watched.
import { parseArgs, type ParsedArgs } from '../args.ts';
import { TABLE_ACCEPT, type Query } from '../client.ts';
import { apiVersionOf, kindLabel, resourcePath, type ResourceInfo } from '../discovery.ts';
import { errorLine, UsageError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { toJson, toYaml } from '../output.ts';
import { openSession, type Session } from '../session.ts';
import { TablePrinter, type ServerTable } from '../table.ts';
import { resolveTargets, type Target } from '../targets.ts';

const USAGE = 'Usage: kubectl-lite get TYPE[,TYPE...] [NAME...] | TYPE/NAME... [-n NS | -A] [-l SELECTOR] [-o wide|yaml|json|name] [-w] [--show-labels]';
const OUTPUTS = ['', 'wide', 'yaml', 'json', 'name'];

interface GetOptions {
  output: string;
  selector?: string;
  fieldSelector?: string;
  allNamespaces: boolean;
  showLabels: boolean;
  watch: boolean;
  watchOnly: boolean;
}

function options(args: ParsedArgs): GetOptions {
  const output = args.strings.get('output') ?? '';
  if (!OUTPUTS.includes(output))
    throw new UsageError(`unable to match a printer suitable for the output format "${output}", allowed formats are: json,name,wide,yaml`, USAGE);
  return {
    output,
    selector: args.strings.get('selector'),
    fieldSelector: args.strings.get('field-selector'),
    allNamespaces: args.booleans.get('all-namespaces') ?? false,
    showLabels: args.booleans.get('show-labels') ?? false,
    watch: args.booleans.get('watch') ?? false,
    watchOnly: args.booleans.get('watch-only') ?? false,
  };
}

function listQuery(o: GetOptions, extraFieldSelector?: string): Query {
  const fields = [o.fieldSelector, extraFieldSelector].filter(Boolean).join(',');
  return { labelSelector: o.selector, fieldSelector: fields || undefined };
}

function namespaceOf(s: Session, o: GetOptions, info: ResourceInfo): string | undefined {
  return info.namespaced && !o.allNamespaces ? s.namespace : undefined;
}

/** Objects from a list answer lack apiVersion and kind; kubectl fills them in. */
function typed(info: ResourceInfo, obj: any): any {
  return { apiVersion: apiVersionOf(info), kind: info.kind, ...obj };
}

async function fetchObjects(s: Session, o: GetOptions, t: Target, errors: string[]): Promise<any[]> {
  const ns = namespaceOf(s, o, t.info);
  if (t.names.length === 0) {
    const list = await s.client.get(resourcePath(t.info, ns), { query: listQuery(o) });
    return (list.items ?? []).map((i: any) => typed(t.info, i));
  }
  const out: any[] = [];
  for (const name of t.names) {
    try {
      out.push(typed(t.info, await s.client.get(resourcePath(t.info, ns, name))));
    } catch (err) {
      errors.push(errorLine(err));
    }
  }
  return out;
}

async function fetchTable(s: Session, o: GetOptions, t: Target, errors: string[]): Promise<ServerTable> {
  const ns = namespaceOf(s, o, t.info);
  const query = { ...listQuery(o), includeObject: 'Metadata' };
  if (t.names.length === 0) return s.client.get<ServerTable>(resourcePath(t.info, ns), { accept: TABLE_ACCEPT, query });
  const merged: ServerTable = { kind: 'Table', rows: [] };
  for (const name of t.names) {
    try {
      const one = await s.client.get<ServerTable>(resourcePath(t.info, ns, name), { accept: TABLE_ACCEPT, query: { includeObject: 'Metadata' } });
      merged.columnDefinitions ??= one.columnDefinitions;
      merged.rows!.push(...(one.rows ?? []));
      merged.metadata = one.metadata;
    } catch (err) {
      errors.push(errorLine(err));
    }
  }
  return merged;
}

function noResourcesLine(s: Session, o: GetOptions, targets: Target[]): string {
  const namespaced = targets.some((t) => t.info.namespaced);
  return namespaced && !o.allNamespaces ? `No resources found in ${s.namespace} namespace.\n` : 'No resources found\n';
}

async function printTables(s: Session, o: GetOptions, targets: Target[], errors: string[]): Promise<Map<Target, TablePrinter>> {
  const printers = new Map<Target, TablePrinter>();
  let printedAny = false;
  for (const t of targets) {
    const printer = new TablePrinter(t.info, {
      wide: o.output === 'wide',
      withNamespace: o.allNamespaces && t.info.namespaced,
      withKind: targets.length > 1,
      showLabels: o.showLabels,
    });
    printers.set(t, printer);
    const table = await fetchTable(s, o, t, errors);
    const rows = printer.rows(table);
    if (o.watchOnly || rows.length === 0) continue;
    if (printedAny) s.io.stdout.write('\n');
    s.io.stdout.write(printer.render(rows, true));
    printedAny = true;
  }
  if (!printedAny && !o.watchOnly && errors.length === 0 && !targets.some((t) => t.names.length > 0)) s.io.stderr.write(noResourcesLine(s, o, targets));
  return printers;
}

function printObjects(s: Session, o: GetOptions, objects: { info: ResourceInfo; obj: any }[], single: boolean): void {
  if (o.output === 'name') {
    for (const { info, obj } of objects) s.io.stdout.write(`${kindLabel(info)}/${obj.metadata?.name}\n`);
    return;
  }
  const value =
    single && objects.length === 1 ? objects[0]!.obj : { apiVersion: 'v1', kind: 'List', items: objects.map((x) => x.obj), metadata: { resourceVersion: '' } };
  s.io.stdout.write(o.output === 'json' ? toJson(value) : toYaml(value));
}

async function watchTargets(s: Session, o: GetOptions, targets: Target[], printers: Map<Target, TablePrinter>): Promise<void> {
  if (targets.length !== 1) throw new UsageError('watch is only supported on individual resources and resource collections', USAGE);
  const t = targets[0]!;
  if (t.names.length > 1) throw new UsageError('watch is only supported on a single resource name', USAGE);
  const ns = namespaceOf(s, o, t.info);
  const nameField = t.names[0] ? `metadata.name=${t.names[0]}` : undefined;
  const tableMode = o.output === '' || o.output === 'wide';
  const printer =
    printers.get(t) ??
    new TablePrinter(t.info, { wide: o.output === 'wide', withNamespace: o.allNamespaces && t.info.namespaced, withKind: false, showLabels: o.showLabels });
  let headerDue = o.watchOnly;
  // watch from "now": the list we just printed was read at or before the watch's start
  const start = await s.client.get(resourcePath(t.info, ns), { query: { ...listQuery(o, nameField), limit: 1 } });
  await s.client.watch(
    resourcePath(t.info, ns),
    { ...listQuery(o, nameField), resourceVersion: start.metadata?.resourceVersion, ...(tableMode ? { includeObject: 'Metadata' } : {}) },
    (ev) => {
      if (ev.type === 'BOOKMARK') return;
      if (tableMode) {
        const rows = printer.rows(ev.object as ServerTable);
        if (rows.length === 0) return;
        s.io.stdout.write(printer.render(rows, headerDue));
        headerDue = false;
      } else if (o.output === 'name') {
        s.io.stdout.write(`${kindLabel(t.info)}/${ev.object.metadata?.name}\n`);
      } else {
        const obj = typed(t.info, ev.object);
        s.io.stdout.write(o.output === 'json' ? toJson(obj) : `---\n${toYaml(obj)}`);
      }
    },
    { accept: tableMode ? TABLE_ACCEPT : undefined, signal: s.io.signal },
  );
}

export async function getCommand(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(
    argv,
    {
      output: { kind: 'string', short: 'o' },
      selector: { kind: 'string', short: 'l' },
      'field-selector': { kind: 'string' },
      'all-namespaces': { kind: 'boolean', short: 'A' },
      'show-labels': { kind: 'boolean' },
      watch: { kind: 'boolean', short: 'w' },
      'watch-only': { kind: 'boolean' },
    },
    USAGE,
  );
  const o = options(args);
  if (o.allNamespaces && args.strings.get('namespace')) throw new UsageError('use either -A or -n, not both', USAGE);
  const s = openSession(args, io);
  const targets = await resolveTargets(s, args.positionals, USAGE);
  if (o.selector && targets.some((t) => t.names.length > 0)) throw new UsageError('name cannot be provided when a selector is specified', USAGE);
  const errors: string[] = [];
  let printers = new Map<Target, TablePrinter>();
  if (o.output === '' || o.output === 'wide') {
    printers = await printTables(s, o, targets, errors);
  } else if (!o.watchOnly) {
    const objects: { info: ResourceInfo; obj: any }[] = [];
    for (const t of targets) for (const obj of await fetchObjects(s, o, t, errors)) objects.push({ info: t.info, obj });
    const single = targets.length === 1 && targets[0]!.names.length === 1;
    if (objects.length > 0 || o.output !== 'name') {
      if (objects.length > 0 || !single) printObjects(s, o, objects, single);
    }
  }
  for (const e of errors) io.stderr.write(`${e}\n`);
  if (errors.length > 0) return 1;
  if (o.watch || o.watchOnly) await watchTargets(s, o, targets, printers);
  return 0;
}
