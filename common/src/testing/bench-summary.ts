// `make bench`'s closing table: scripts/bench.sh runs this after the last bench, with the run's
// figures file and which bench files ran and which failed (so that a missing figure says why).
//   node --conditions=source common/src/testing/bench-summary.ts --figures FILE [--ran 'a.ts b.ts'] [--failed 'b.ts']
import { parseArgs } from 'node:util';
import { formatSummary, readFigures, summaryRows } from './bench-figures.ts';

const { values } = parseArgs({ options: { figures: { type: 'string' }, ran: { type: 'string', default: '' }, failed: { type: 'string', default: '' } } });
if (!values.figures) throw new Error('usage: bench-summary.ts --figures FILE [--ran FILES] [--failed FILES]');
const files = (list: string) => list.split(/\s+/).filter(Boolean);

console.log(`\n== summary: the performance figures (issue 22) of this run, from ${values.figures}`);
console.log(formatSummary(summaryRows(readFigures(values.figures), { ran: files(values.ran), failed: files(values.failed) })));
