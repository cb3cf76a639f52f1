// The figures of the performance issue's table (issue 22) as `make bench` measures them. Each
// is a value divided by a baseline measured in the same run, so that a slow or busy machine
// moves both and cannot fake the ratio. A bench records a figure here; scripts/bench.sh names
// the file the figures are appended to (SKIFF_BENCH_FIGURES, one JSON object a line) and prints
// the summary table from it once every bench has run (bench-summary.ts).
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/** A goal that one number decides: the figure's value or its ratio to the baseline, against a target. */
export interface Goal {
  on: 'value' | 'ratio';
  op: '>=' | '<=' | '<';
  target: number;
  /** the value's unit, for the goal's text (a ratio has none) */
  unit?: string;
}

export interface FigureSpec {
  id: string;
  title: string;
  /** a Goal the summary can judge, or the goal's text where one number cannot decide it */
  goal: Goal | string;
  /** the bench file that measures it, from the repository root */
  bench?: string;
  /** why no bench measures it yet; the summary lists it as not measured with this reason */
  notMeasured?: string;
  /** measured by `make bench-scale`, not `make bench`: make bench's summary shows the last bench-scale run's record */
  scale?: boolean;
}

const API_BENCH = 'apiserver/bench/api.bench.ts';
/** `make bench-scale`'s run (scripts/bench-scale.sh): too long for `make bench`, whose summary shows its last figures */
export const SCALE_RUN = 'e2e/src/scale/main.ts';

/** The issue's table, in its order: what the summary lists, measured or not. */
export const FIGURES: readonly FigureSpec[] = [
  { id: 'P1', title: 'pod creates/s through the apiserver ÷ raw etcd3 puts/s, 64 in flight', goal: { on: 'ratio', op: '>=', target: 0.7 }, bench: API_BENCH },
  { id: 'P2', title: 'GET /version requests/s ÷ plain node:http requests/s', goal: { on: 'ratio', op: '>=', target: 0.7 }, bench: API_BENCH },
  {
    id: 'P3 JSON',
    title: 'LIST of N pods from the watch cache (JSON) ÷ raw etcd range of the same keys',
    goal: { on: 'ratio', op: '<=', target: 1 },
    bench: API_BENCH,
  },
  {
    id: 'P3 protobuf',
    title: 'LIST of N pods from the watch cache (protobuf) ÷ raw etcd range of the same keys',
    goal: { on: 'ratio', op: '<=', target: 1 },
    bench: API_BENCH,
  },
  {
    id: 'P4',
    title: 'watch delivery p99 through the apiserver ÷ raw etcd watch p99, 1,000 watchers',
    goal: { on: 'ratio', op: '<=', target: 1.5 },
    bench: API_BENCH,
  },
  {
    id: 'P6',
    title: 'scheduler pods/s, 5,000 nodes, 10k pods (÷ the apiserver pod creates/s of the same run)',
    goal: { on: 'value', op: '>=', target: 700, unit: 'pods/s' },
    bench: 'scheduler/bench/scheduler.bench.ts',
  },
  {
    id: 'P7 mutating',
    title: 'hollow nodes heartbeating, pods created through Deployments: mutating API call p99, worst resource and verb',
    goal: { on: 'value', op: '<=', target: 1, unit: 's' },
    bench: SCALE_RUN,
    scale: true,
  },
  {
    id: 'P7 startup',
    title: 'hollow nodes heartbeating, pods created through Deployments: pod startup p99 (creation to Running seen by a watch)',
    goal: { on: 'value', op: '<=', target: 5, unit: 's' },
    bench: SCALE_RUN,
    scale: true,
  },
  {
    id: 'P8 idle',
    title: 'control-plane RSS, idle (etcd + apiserver + controller-manager + scheduler)',
    goal: { on: 'value', op: '<', target: 250, unit: 'MiB' },
    bench: 'e2e/bench/control-plane-rss.bench.ts',
  },
  {
    id: 'P8 1k pods',
    title: 'control-plane RSS with 1,000 pods (etcd + apiserver + controller-manager + scheduler)',
    goal: { on: 'value', op: '<', target: 400, unit: 'MiB' },
    bench: 'e2e/bench/control-plane-rss.bench.ts',
  },
  {
    id: 'P8 P7 run',
    title: 'control-plane RSS during the P7 run (its peak: etcd + apiserver + controller-manager + scheduler)',
    goal: { on: 'value', op: '<', target: 2048, unit: 'MiB' },
    bench: SCALE_RUN,
    scale: true,
  },
  {
    id: 'P9',
    title: '`make up` on a set-up machine to a Ready node',
    goal: { on: 'value', op: '<', target: 10, unit: 's' },
    bench: 'e2e/bench/make-up.bench.ts',
  },
];

export interface Baseline {
  name: string;
  value: number;
  unit: string;
}

export interface MeasuredFigure {
  id: string;
  title: string;
  value: number;
  unit: string;
  baseline: Baseline;
  /** value ÷ baseline.value */
  ratio: number;
  goal: string;
  /** undefined where the goal is text that one number cannot decide */
  met?: boolean;
  /** the sizes it was measured at, when they are not the issue's (env overrides), and what else a reader needs */
  conditions?: string;
}

export interface UnmeasuredFigure {
  id: string;
  title: string;
  goal: string;
  notMeasured: string;
}

export type FigureRecord = MeasuredFigure | UnmeasuredFigure;

export const isMeasured = (f: FigureRecord): f is MeasuredFigure => !('notMeasured' in f);

/** The env var scripts/bench.sh sets: the JSON-lines file of this run's figures. */
export const FIGURES_FILE_ENV = 'SKIFF_BENCH_FIGURES';

export function specOf(id: string): FigureSpec {
  const spec = FIGURES.find((f) => f.id === id);
  if (!spec) throw new Error(`no figure ${id} in the table (common/src/testing/bench-figures.ts)`);
  return spec;
}

export function goalText(goal: Goal | string): string {
  if (typeof goal === 'string') return goal;
  return `${goal.on} ${goal.op} ${goal.target.toLocaleString('en-US')}${goal.unit ? ` ${goal.unit}` : ''}`;
}

export function goalMet(goal: Goal, value: number, ratio: number): boolean {
  const x = goal.on === 'value' ? value : ratio;
  if (!Number.isFinite(x)) return false;
  return goal.op === '>=' ? x >= goal.target : goal.op === '<=' ? x <= goal.target : x < goal.target;
}

/** Builds the record of a measured figure: its title and goal from the table, the ratio, met or not. */
export function measuredFigure(m: { id: string; value: number; unit: string; baseline: Baseline; conditions?: string }): MeasuredFigure {
  const spec = specOf(m.id);
  const ratio = m.value / m.baseline.value;
  return {
    id: m.id,
    title: spec.title,
    value: m.value,
    unit: m.unit,
    baseline: m.baseline,
    ratio,
    goal: goalText(spec.goal),
    ...(typeof spec.goal === 'string' ? {} : { met: goalMet(spec.goal, m.value, ratio) }),
    ...(m.conditions ? { conditions: m.conditions } : {}),
  };
}

/** Prints a measured figure with its baseline, and appends it to this run's figures file. */
export function recordFigure(m: { id: string; value: number; unit: string; baseline: Baseline; conditions?: string }): MeasuredFigure {
  const figure = measuredFigure(m);
  console.log(figureLine(figure));
  append(figure);
  return figure;
}

/** Records that this run could not measure a figure of the table, and why. */
export function recordNotMeasured(id: string, reason: string): UnmeasuredFigure {
  const spec = specOf(id);
  const figure: UnmeasuredFigure = { id, title: spec.title, goal: goalText(spec.goal), notMeasured: reason };
  console.log(figureLine(figure));
  append(figure);
  return figure;
}

function append(figure: FigureRecord): void {
  const file = process.env[FIGURES_FILE_ENV];
  // a bench run by hand, outside scripts/bench.sh, prints its figures and keeps none
  if (file) appendFileSync(file, `${JSON.stringify(figure)}\n`);
}

/** The figures in FILE; none when it does not exist. A line that is not JSON (a bench killed mid-write) is passed over. */
export function readFigures(file: string): FigureRecord[] {
  if (!existsSync(file)) return [];
  const out: FigureRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as FigureRecord);
    } catch {
      /* partial line */
    }
  }
  return out;
}

/** Thousands separated from 100 up, one decimal from 10, two below: enough to compare runs, no false precision. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 100) return Math.round(n).toLocaleString('en-US');
  if (abs >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export const withUnit = (n: number, unit: string) => `${formatNumber(n)} ${unit}`;

const verdict = (f: MeasuredFigure) => (f.met === undefined ? 'not judged' : f.met ? 'met' : 'NOT met');

/** One line of a bench's output: the figure, its baseline, the ratio and the goal. */
export function figureLine(f: FigureRecord): string {
  if (!isMeasured(f)) return `${f.id} ${f.title}: not measured (${f.notMeasured}); goal ${f.goal}`;
  return (
    `${f.id} ${f.title}: ${withUnit(f.value, f.unit)} ÷ ${f.baseline.name} ${withUnit(f.baseline.value, f.baseline.unit)} = ${f.ratio.toFixed(2)}` +
    `; goal ${f.goal}: ${verdict(f)}${f.conditions ? ` [${f.conditions}]` : ''}`
  );
}

/** What a bench run knew about the benches, for the reason a figure of the table is missing. */
export interface BenchRun {
  /** bench files run, from the repository root */
  ran: string[];
  /** those of them that exited non-zero */
  failed: string[];
}

function whyMissing(spec: FigureSpec, run: BenchRun): string {
  if (spec.notMeasured) return spec.notMeasured;
  if (spec.scale && !run.ran.includes(spec.bench ?? '')) return 'measured by `make bench-scale`, which has left no figures on this machine yet';
  if (!spec.bench) return 'no bench measures it';
  if (run.failed.includes(spec.bench)) return `${spec.bench} failed before recording it`;
  if (!run.ran.includes(spec.bench)) return `${spec.bench} was not run (FILTER)`;
  return `${spec.bench} ran but did not record it`;
}

/** The figures of an earlier run (the last `make bench-scale`), and the words that say which run it was. */
export interface EarlierRun {
  records: FigureRecord[];
  source: string;
}

/**
 * One row per figure of the table, in its order: the last record of each id (for a figure of
 * `make bench-scale` not measured in this run, the scale run's record, saying which run), or "not
 * measured" with the reason; then any figure recorded that the table does not know.
 */
export function summaryRows(records: FigureRecord[], run: BenchRun, scaleRun?: EarlierRun): FigureRecord[] {
  const last = new Map<string, FigureRecord>();
  for (const r of records) last.set(r.id, r);
  const earlier = new Map<string, FigureRecord>();
  for (const r of scaleRun?.records ?? []) earlier.set(r.id, r);
  const fromScaleRun = (spec: FigureSpec): FigureRecord | undefined => {
    const r = spec.scale ? earlier.get(spec.id) : undefined;
    if (!r || !isMeasured(r)) return r;
    return { ...r, conditions: `${scaleRun!.source}${r.conditions ? `; ${r.conditions}` : ''}` };
  };
  const rows: FigureRecord[] = FIGURES.map(
    (spec) => last.get(spec.id) ?? fromScaleRun(spec) ?? { id: spec.id, title: spec.title, goal: goalText(spec.goal), notMeasured: whyMissing(spec, run) },
  );
  for (const r of last.values()) if (!FIGURES.some((spec) => spec.id === r.id)) rows.push(r);
  return rows;
}

/** The summary as a Markdown table (readable in a terminal, pasted as is into docs/performance.md). */
export function formatSummary(rows: FigureRecord[]): string {
  const header = ['figure', 'value', 'baseline (same run)', 'ratio', 'goal', 'result'];
  const cells = rows.map((f) =>
    isMeasured(f)
      ? [
          f.id,
          withUnit(f.value, f.unit),
          `${f.baseline.name} ${withUnit(f.baseline.value, f.baseline.unit)}`,
          f.ratio.toFixed(2),
          f.goal,
          `${verdict(f)}${f.conditions ? ` (${f.conditions})` : ''}`,
        ]
      : [f.id, 'not measured', '–', '–', f.goal, `not measured: ${f.notMeasured}`],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const row = (c: string[]) => `| ${c.map((s, i) => s.padEnd(widths[i]!)).join(' | ')} |`;
  return [row(header), row(widths.map((w) => '-'.repeat(w))), ...cells.map(row)].join('\n');
}
