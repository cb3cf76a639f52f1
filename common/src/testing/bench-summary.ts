// `make bench`'s closing table: scripts/bench.sh runs this after the last bench, with the run's
// figures file and which bench files ran and which failed (so that a missing figure says why).
//   node --conditions=source common/src/testing/bench-summary.ts --figures FILE [--ran 'a.ts b.ts'] [--failed 'b.ts']
//     [--scale-figures FILE]   the last `make bench-scale` run's figures, for the rows only it measures
//     [--only-scale]           only those rows (make bench-scale's own summary)
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FIGURES, formatSummary, readFigures, summaryRows } from './bench-figures.ts';

const { values } = parseArgs({
  options: {
    figures: { type: 'string' },
    ran: { type: 'string', default: '' },
    failed: { type: 'string', default: '' },
    'scale-figures': { type: 'string' },
    'only-scale': { type: 'boolean', default: false },
  },
});
if (!values.figures) throw new Error('usage: bench-summary.ts --figures FILE [--ran FILES] [--failed FILES] [--scale-figures FILE]');
const files = (list: string) => list.split(/\s+/).filter(Boolean);
const scaleFile = values['scale-figures'];
const scaleRun = scaleFile
  ? { records: readFigures(scaleFile), source: `from make bench-scale of ${statSync(scaleFile).mtime.toISOString().slice(0, 16).replace('T', ' ')} UTC` }
  : undefined;

const rows = summaryRows(readFigures(values.figures), { ran: files(values.ran), failed: files(values.failed) }, scaleRun);
// make bench-scale's own summary: only the figures it measures
const shown = values['only-scale'] ? rows.filter((r) => FIGURES.find((f) => f.id === r.id)?.scale) : rows;

console.log(`\n== summary: the performance figures (issue 22) of this run, from ${values.figures}`);
console.log(formatSummary(shown));
