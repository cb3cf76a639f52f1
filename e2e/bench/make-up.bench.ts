// `make bench`: figure P9 of the performance issue, `make up` on a set-up machine to a Ready node.
// It runs this machine's own cluster (.skiff/, its ports, containerd, the node's bridge and
// iptables rules), so it measures only when no cluster is running, and leaves none running: a
// first `make up` and `make down` set the machine up (packages, build, images) untimed, then
// SKIFF_BENCH_MAKE_UP_RUNS (3) timed `make up`s each end with `make down`. The value is their
// median time from `make up`'s start to a Node whose Ready condition is True. The baseline is
// `make up` run again on the cluster it has just started: every step's checks with nothing to
// start, the part of the time that is not starting services.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { recordFigure, recordNotMeasured, repoRoot } from '@skiff/common/testing/index';

const RUNS = Number(process.env.SKIFF_BENCH_MAKE_UP_RUNS ?? 3);
const READY_TIMEOUT_MS = 120_000;
const root = repoRoot();
const skiffDir = process.env.SKIFF_DIR ?? join(root, '.skiff');
const apiserverPort = Number(process.env.SKIFF_APISERVER_PORT ?? 6443);

const line = (label: string, value: string) => console.log(`${label.padEnd(58)} ${value}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs a make target in the repository; its progress (stderr) is returned, and printed on failure. */
function make(target: string): string {
  const run = spawnSync('make', ['--no-print-directory', target], { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) {
    process.stderr.write(run.stderr.slice(-4000));
    throw new Error(`make ${target} exited with ${run.status}`);
  }
  return run.stderr;
}

/** Services of `make up` that are running now, by `cluster.sh status`. */
function runningServices(): string[] {
  const status = spawnSync('bash', ['scripts/cluster.sh', 'status'], { cwd: root, encoding: 'utf8' });
  return status.stdout
    .split('\n')
    .filter((l) => l.includes(':') && !l.endsWith(': stopped'))
    .map((l) => l.slice(0, l.indexOf(':')));
}

/** Whether some Node reports Ready=True, asked as the admin of the cluster `make up` made. */
function nodeReady(): Promise<boolean> {
  const pki = join(skiffDir, 'pki');
  return new Promise((resolve) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port: apiserverPort,
        path: '/api/v1/nodes',
        ca: readFileSync(join(pki, 'ca.crt')),
        cert: readFileSync(join(pki, 'admin.crt')),
        key: readFileSync(join(pki, 'admin.key')),
        timeout: 2000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          try {
            const nodes = JSON.parse(body).items as Array<{ status?: { conditions?: Array<{ type: string; status: string }> } }>;
            resolve(nodes.some((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')));
          } catch {
            resolve(false);
          }
        });
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** The step lines' start times ("==> step  [3.0 s]"): how long each step took, longest first. */
function longestSteps(progress: string, count: number): string {
  const steps = [...progress.matchAll(/^==> (.*?)\s+\[(\d+(?:\.\d+)?) s\]$/gm)].map((m) => ({ what: m[1]!.replace(/ \(log: .*\)$/, ''), at: Number(m[2]) }));
  const spans = steps.slice(0, -1).map((s, i) => ({ what: s.what, took: steps[i + 1]!.at - s.at }));
  return spans
    .sort((a, b) => b.took - a.took)
    .slice(0, count)
    .map((s) => `${s.what} ${s.took.toFixed(1)} s`)
    .join(', ');
}

async function main() {
  const running = runningServices();
  if (running.length > 0) {
    recordNotMeasured(
      'P9',
      `a cluster of make up is running on this machine (${running.join(', ')}): P9 starts and stops that cluster, so it is measured only when none runs (make down, then make bench)`,
    );
    return;
  }
  console.log('\n== make up to a Ready node (a set-up machine, no cluster running before)');
  const setUp = performance.now();
  make('up');
  make('down');
  line('setting the machine up (first make up and make down, untimed)', seconds(performance.now() - setUp));
  const toReady: number[] = [];
  const again: number[] = [];
  let progress = '';
  try {
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      progress = make('up');
      const returned = performance.now() - started;
      while (!(await nodeReady())) {
        if (performance.now() - started > READY_TIMEOUT_MS) throw new Error(`no Ready node ${READY_TIMEOUT_MS / 1000} s after make up started`);
        await sleep(100);
      }
      toReady.push(performance.now() - started);
      const againStarted = performance.now();
      make('up');
      again.push(performance.now() - againStarted);
      line(`run ${run + 1}: make up returned / node Ready / make up again`, `${seconds(returned)} / ${seconds(toReady.at(-1)!)} / ${seconds(again.at(-1)!)}`);
      make('down');
    }
  } finally {
    if (runningServices().length > 0) make('down');
  }
  recordFigure({
    id: 'P9',
    value: median(toReady) / 1000,
    unit: 's',
    baseline: { name: 'make up again on the running cluster (checks only)', value: median(again) / 1000, unit: 's' },
    conditions: `median of ${RUNS} runs, make up's start to a Node with Ready=True; longest steps of the last run: ${longestSteps(progress, 3)}`,
  });
}

await main();
