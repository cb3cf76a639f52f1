import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIGURES, FIGURES_FILE_ENV, formatNumber, formatSummary, readFigures, recordFigure, recordNotMeasured, summaryRows } from '../src/testing/index.ts';
import type { FigureRecord } from '../src/testing/index.ts';

// The recorder and the summary of `make bench` (issue 22's table). Made-up numbers only: no test
// here measures or asserts a timing.
describe('make bench: the performance figures and their summary', () => {
  let dir: string;
  let file: string;
  let savedEnv: string | undefined;
  let savedLog: typeof console.log;
  let printed: string[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-bench-figures-'));
    file = join(dir, 'figures.jsonl');
    savedEnv = process.env[FIGURES_FILE_ENV];
    process.env[FIGURES_FILE_ENV] = file;
    savedLog = console.log;
    printed = [];
    console.log = (...args: unknown[]) => printed.push(args.join(' '));
  });
  afterEach(() => {
    console.log = savedLog;
    if (savedEnv === undefined) delete process.env[FIGURES_FILE_ENV];
    else process.env[FIGURES_FILE_ENV] = savedEnv;
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a figure with its title and goal from the table, the ratio to its baseline, and whether the goal is met', () => {
    const f = recordFigure({ id: 'P1', value: 579, unit: 'creates/s', baseline: { name: 'raw etcd3 puts', value: 1259, unit: 'puts/s' } });
    expect(f.title).to.equal(FIGURES.find((s) => s.id === 'P1')!.title);
    expect(f.ratio).to.be.closeTo(0.46, 0.005);
    expect(f.goal).to.equal('ratio >= 0.7');
    expect(f.met).to.equal(false);
    expect(readFigures(file)).to.deep.equal([f]);
    expect(printed).to.deep.equal([
      'P1 pod creates/s through the apiserver ÷ raw etcd3 puts/s, 64 in flight: 579 creates/s ÷ raw etcd3 puts 1,259 puts/s = 0.46; goal ratio >= 0.7: NOT met',
    ]);
  });

  it('judges a goal on the value where the table says so (P6 pods/s, P8 MiB), whatever the ratio', () => {
    const p6 = recordFigure({ id: 'P6', value: 720, unit: 'pods/s', baseline: { name: 'apiserver pod creates', value: 800, unit: 'pods/s' } });
    expect(p6.goal).to.equal('value >= 700 pods/s');
    expect(p6.met).to.equal(true);
    const p8 = recordFigure({ id: 'P8 idle', value: 250, unit: 'MiB', baseline: { name: 'a bare `node -e`', value: 45, unit: 'MiB' } });
    expect(p8.goal).to.equal('value < 250 MiB');
    expect(p8.met, '250 is not below 250').to.equal(false);
  });

  it('appends one JSON line per figure, a not-measured one with its reason', () => {
    recordFigure({ id: 'P2', value: 7000, unit: 'requests/s', baseline: { name: 'node:http hello', value: 10_000, unit: 'requests/s' } });
    recordNotMeasured('P3 protobuf', 'protobuf responses are not served yet');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).to.have.length(2);
    expect(JSON.parse(lines[1]!)).to.deep.equal({
      id: 'P3 protobuf',
      title: FIGURES.find((s) => s.id === 'P3 protobuf')!.title,
      goal: 'ratio <= 1',
      notMeasured: 'protobuf responses are not served yet',
    });
    expect(JSON.parse(lines[0]!).met).to.equal(true);
  });

  it('refuses an id the table does not have, so that a typo cannot add a row', () => {
    expect(() => recordFigure({ id: 'P5', value: 1, unit: 'x', baseline: { name: 'y', value: 1, unit: 'x' } })).to.throw(/no figure P5/);
  });

  it('keeps nothing when the run names no file (a bench run by hand), and reads a missing file as no figures', () => {
    delete process.env[FIGURES_FILE_ENV];
    recordFigure({ id: 'P2', value: 1, unit: 'requests/s', baseline: { name: 'node:http hello', value: 2, unit: 'requests/s' } });
    expect(printed).to.have.length(1);
    expect(readFigures(file)).to.deep.equal([]);
  });

  it('passes over a line cut short by a bench killed mid-write', () => {
    writeFileSync(file, `${JSON.stringify({ id: 'P7', title: 't', goal: 'g', notMeasured: 'why' })}\n{"id":"P1","val`);
    expect(readFigures(file).map((f) => f.id)).to.deep.equal(['P7']);
  });

  describe('the summary', () => {
    const p1 = (value: number): FigureRecord => ({
      id: 'P1',
      title: 'creates',
      value,
      unit: 'creates/s',
      baseline: { name: 'raw etcd3 puts', value: 1000, unit: 'puts/s' },
      ratio: value / 1000,
      goal: 'ratio >= 0.7',
      met: value >= 700,
    });
    const run = { ran: ['apiserver/bench/api.bench.ts'], failed: [] };

    it('has one row per figure of the table, in its order, the last record of an id winning', () => {
      const rows = summaryRows([p1(500), p1(800)], run);
      expect(rows.map((r) => r.id)).to.deep.equal(FIGURES.map((s) => s.id));
      expect(rows[0]).to.deep.equal(p1(800));
    });

    it('lists a figure not measured in this run with the reason, never with a number', () => {
      const rows = summaryRows([], { ran: ['apiserver/bench/api.bench.ts'], failed: ['apiserver/bench/api.bench.ts'] });
      const why = Object.fromEntries(rows.map((r) => [r.id, 'notMeasured' in r ? r.notMeasured : 'measured']));
      expect(why['P1']).to.equal('apiserver/bench/api.bench.ts failed before recording it');
      expect(why['P6']).to.equal('scheduler/bench/scheduler.bench.ts was not run (FILTER)');
      expect(why['P7 startup']).to.match(/make bench-scale/);
      expect(why['P8 P7 run']).to.match(/make bench-scale/);
      expect(why['P9']).to.equal('e2e/bench/make-up.bench.ts was not run (FILTER)');
      expect(summaryRows([], run).find((r) => r.id === 'P2')).to.have.property('notMeasured', 'apiserver/bench/api.bench.ts ran but did not record it');
      expect(rows.every((r) => 'notMeasured' in r)).to.equal(true);
    });

    it("shows the last make bench-scale run's record for a figure only that run measures, saying which run", () => {
      const startup: FigureRecord = {
        id: 'P7 startup',
        title: 'startup',
        value: 2.5,
        unit: 's p99',
        baseline: { name: 'quiet cluster', value: 1.2, unit: 's p99' },
        ratio: 2.5 / 1.2,
        goal: 'value <= 5 s',
        met: true,
        conditions: '1,000 nodes',
      };
      const scaleRun = { records: [startup, p1(100)], source: 'from make bench-scale of 2026-12-07 19:00 UTC' };
      const rows = summaryRows([p1(800)], run, scaleRun);
      expect(rows.find((r) => r.id === 'P7 startup')).to.deep.include({ value: 2.5, conditions: 'from make bench-scale of 2026-12-07 19:00 UTC; 1,000 nodes' });
      // a figure of make bench is never taken from the scale run's file
      expect(rows[0]).to.deep.equal(p1(800));
      // and this run's own record of a scale figure wins over the older one
      expect(summaryRows([{ ...startup, value: 3 }], run, scaleRun).find((r) => r.id === 'P7 startup')).to.have.property('value', 3);
    });

    it('prints a Markdown table: value, baseline, ratio, goal and the result of each row', () => {
      const rows = summaryRows([p1(579), { id: 'P3 protobuf', title: 't', goal: 'ratio <= 1', notMeasured: 'not served yet' }], run);
      const lines = formatSummary(rows).split('\n');
      expect(lines).to.have.length(2 + FIGURES.length);
      expect(lines[0]).to.match(/^\| figure +\| value +\| baseline \(same run\) +\| ratio +\| goal +\| result +\|$/);
      expect(lines[1]).to.match(/^\| -+ \| -+ \| -+ \| -+ \| -+ \| -+ \|$/);
      const cells = (l: string) =>
        l
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim());
      expect(cells(lines[2]!)).to.deep.equal(['P1', '579 creates/s', 'raw etcd3 puts 1,000 puts/s', '0.58', 'ratio >= 0.7', 'NOT met']);
      const protobuf = lines.find((l) => l.startsWith('| P3 protobuf'))!;
      expect(cells(protobuf)).to.deep.equal(['P3 protobuf', 'not measured', '–', '–', 'ratio <= 1', 'not measured: not served yet']);
      expect(new Set(lines.map((l) => l.length)).size, 'columns line up').to.equal(1);
    });

    it('shows the sizes a figure was measured at beside its result', () => {
      const small = { ...(p1(800) as object), conditions: '300 of each' } as FigureRecord;
      const row = formatSummary(summaryRows([small], run)).split('\n')[2]!;
      expect(row).to.match(/\| met \(300 of each\) +\|$/);
    });
  });

  it('formats numbers with no false precision', () => {
    expect([formatNumber(12_345.6), formatNumber(123.4), formatNumber(12.34), formatNumber(0.456), formatNumber(Number.NaN)]).to.deep.equal([
      '12,346',
      '123',
      '12.3',
      '0.46',
      'NaN',
    ]);
  });
});
