// The Service probe as a process of its own, for a worker's network namespace (nsenter --net):
//   node probe-cli.js INTERVAL_MS URL...
// One JSON line per request on stdout ({ok, startedAt, endedAt, error?}); stops on SIGTERM
// after the requests under way have ended.
import { probeLoop } from './probe.ts';

const [interval, ...urls] = process.argv.slice(2);
const intervalMs = Number(interval);
if (!Number.isInteger(intervalMs) || intervalMs <= 0 || urls.length === 0) {
  process.stderr.write('usage: probe-cli INTERVAL_MS URL...\n');
  process.exit(2);
}
const loop = probeLoop(urls, intervalMs, (o) => process.stdout.write(`${JSON.stringify(o)}\n`));
process.on('SIGTERM', () => {
  void loop.stop().then(() => process.exit(0));
});
