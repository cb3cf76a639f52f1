// Where a process's CPU time went, from a V8 CPU profile (node --cpu-prof), as Markdown tables
// of percentages of its busy time (every sample but "(idle)"):
//   - self time by group (etcd client, HTTP serving, GC, our code by workspace) and by kind: GC, JSON, socket writes, V8/native "(program)", each npm package
//     (grpc-js, etcd3, protobufjs, ...), Node's own modules (http2, TLS, streams, http), and our
//     own files by workspace folder (apiserver/storage, scheduler/plugins, ...);
//   - time under (inclusive of callees) each of our folders and each package: "40% of the busy
//     time is under apiserver/storage" counts the etcd client and JSON it calls too;
//   - time under each of our files, and the functions with the most self time.
// Usage (Node 24 runs the TypeScript as it is):
//   node scripts/cpu-profile-summary.ts PROFILE.cpuprofile [--phases FILE --phase NAME] [--top N]
// --phases/--phase keep only the samples taken while a bench phase ran (the file
// SKIFF_BENCH_PHASES wrote, see common/src/testing/bench-phases.ts).
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const file = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (!file) {
  console.error('usage: node scripts/cpu-profile-summary.ts PROFILE.cpuprofile [--phases FILE --phase NAME] [--top N]');
  process.exit(2);
}
const top = Number(option('--top') ?? 15);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

let fromUs = -Infinity;
let toUs = Infinity;
const phasesFile = option('--phases');
const phaseName = option('--phase');
if (phasesFile && phaseName) {
  const phases = readFileSync(phasesFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { phase: string; startUs: number; endUs: number });
  const phase = phases.find((p) => p.phase === phaseName);
  if (!phase) throw new Error(`no phase "${phaseName}" in ${phasesFile} (${phases.map((p) => p.phase).join(', ')})`);
  fromUs = phase.startUs;
  toUs = phase.endUs;
}

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);

/** Natives that mean one thing wherever they are called from. */
const NATIVE_KINDS: Record<string, string> = {
  parse: 'JSON.parse (native)',
  stringify: 'JSON.stringify (native)',
  writev: 'socket writes (native writev/write*String)',
  writeUtf8String: 'socket writes (native writev/write*String)',
  writeLatin1String: 'socket writes (native writev/write*String)',
  writeAsciiString: 'socket writes (native writev/write*String)',
  writeBuffer: 'socket writes (native writev/write*String)',
};

/** The kind of code a frame is, or undefined for a native without a URL (its caller's kind). */
function kindOf(frame: CallFrame): string | undefined {
  const { functionName: fn, url } = frame;
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)') return '(program): V8 and native code outside JS';
  if (fn === '(idle)' || fn === '(root)') return fn;
  if (url === '') return NATIVE_KINDS[fn];
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!.startsWith('@protobufjs/') ? 'protobufjs' : pkg[1]!;
  if (url.startsWith('node:')) {
    const mod = url.slice(5);
    if (/http2/.test(mod)) return 'node:http2';
    if (/tls|crypto/.test(mod)) return 'node:tls';
    if (/_http|^https?$/.test(mod)) return 'node:http';
    if (/stream|net$|^net|buffer|string_decoder/.test(mod)) return 'node:streams, net, buffer';
    if (/timers|process\/task_queues|async_hooks|promise/.test(mod)) return 'node:timers, promises, async';
    return 'node: other';
  }
  const own = ownFile(url);
  if (own) return own.includes('/', own.indexOf('/') + 1) ? own.split('/').slice(0, 2).join('/') : own.replace(/\.(ts|js)$/, '');
  return `other: ${url}`;
}

/** 'apiserver/storage/codec.ts' for a file of ours (source or dist), else undefined. */
function ownFile(url: string): string | undefined {
  if (url.includes('/node_modules/')) return undefined;
  const own = /\/([a-z-]+)\/(?:dist\/)?(?:src|bench)\/(.+)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : undefined;
}

/** Kinds under which nearly every sample runs (the event loop's callers): no use inclusive. */
const EVERYWHERE = new Set(['node:timers, promises, async', 'node: other', '(root)']);

function stackOf(id: number): ProfileNode[] {
  const stack: ProfileNode[] = [];
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) stack.push(byId.get(at)!);
  return stack;
}

const selfByKind = new Map<string, number>();
const underByKind = new Map<string, number>();
const underByFile = new Map<string, number>();
const selfByFunction = new Map<string, number>();
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
let busyUs = 0;
let idleUs = 0;
let at = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i] ?? 0;
  if (at < fromUs || at > toUs) continue;
  // a sample stands for the time until the next one
  const weight = profile.timeDeltas[i + 1] ?? 0;
  const stack = stackOf(profile.samples[i]!);
  const leaf = stack[0]!;
  const leafKind = kindOf(leaf.callFrame);
  if (leafKind === '(idle)') {
    idleUs += weight;
    continue;
  }
  busyUs += weight;
  // a native without a kind of its own counts as its nearest caller's kind
  const selfKind = leafKind ?? stack.map((n) => kindOf(n.callFrame)).find((k) => k !== undefined) ?? 'native';
  add(selfByKind, selfKind, weight);
  const { functionName, url, lineNumber } = leaf.callFrame;
  add(
    selfByFunction,
    `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|wt\/[^/]+)\//, '')}:${lineNumber + 1}` : '(native)'}`,
    weight,
  );
  const kinds = new Set<string>();
  const files = new Set<string>();
  for (const n of stack) {
    const k = kindOf(n.callFrame);
    if (k && !EVERYWHERE.has(k)) kinds.add(k);
    const f = ownFile(n.callFrame.url);
    if (f) files.add(f);
  }
  for (const k of kinds) add(underByKind, k, weight);
  for (const f of files) add(underByFile, f, weight);
}

/** Self-time kinds summed into the few groups a reader asks about first; the rest is "other". */
function groupOf(kind: string): string {
  if (/^(etcd3|cockatiel|@grpc\/|protobufjs|long$|node:http2)/.test(kind)) return 'etcd client (etcd3, cockatiel, grpc-js, protobufjs, node:http2)';
  if (/^(node:http$|node:tls|node:streams|socket writes)/.test(kind)) return 'HTTP serving (node:http, TLS, streams, socket writes)';
  if (kind === 'GC' || kind.startsWith('(program)')) return 'GC and V8/native (program)';
  const own = /^([a-z-]+)\//.exec(kind);
  if (own && !kind.startsWith('other')) return `our code: ${own[1]}/`;
  return 'other (node internals, timers, other packages)';
}
const selfByGroup = new Map<string, number>();
for (const [kind, us] of selfByKind) add(selfByGroup, groupOf(kind), us);

const pct = (us: number) => `${((100 * us) / busyUs).toFixed(1)}%`;
const table = (title: string, m: Map<string, number>, n: number, minShare = 0) => {
  console.log(`\n| ${title} | share of busy time |\n| --- | --- |`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) if (v / busyUs >= minShare) console.log(`| ${k} | ${pct(v)} |`);
};
const seconds = (us: number) => (us / 1e6).toFixed(1);
const windowUs = Math.min(toUs, profile.endTime) - Math.max(fromUs, profile.startTime);
console.log(`${file}${phaseName ? ` during "${phaseName}"` : ''}`);
console.log(
  `window ${seconds(windowUs)} s: busy ${seconds(busyUs)} s (${((100 * busyUs) / (busyUs + idleUs)).toFixed(0)}% of the sampled time), idle ${seconds(idleUs)} s`,
);
table('self time by group', selfByGroup, 10);
table('self time by kind', selfByKind, 25);
table('time under (inclusive)', underByKind, 30, 0.01);
table('file of ours (inclusive)', underByFile, top);
table('function (self time)', selfByFunction, top);
