// `make bench-scale` (issue 22, figure P7): a density run in the manner of Kubernetes' kubemark
// and clusterloader2. A real etcd (TLS) and apiserver, the controller-manager and the scheduler
// as processes, and SCALE_NODES hollow kubelets (SCALE_NODES_PER_PROCESS to a kubelet process)
// that renew their Lease every 10 s and post node status on change and every 5 minutes. Pods
// are created through SCALE_PODS / 1,000 Deployments at a steady SCALE_POD_RATE (50) pods/s.
// Measured, each against the same figure on the same cluster before the load (100 pods at
// 5 pods/s, the "quiet" baseline):
//   - P7 mutating: the p99 of each mutating API call (verb, resource) during the load, worst one;
//   - P7 startup: pod startup p99, creationTimestamp to Running seen by a watch;
//   - P8 P7 run: the control plane's peak RSS during the run (etcd, apiserver, controller-manager,
//     scheduler), against the same processes idle with the nodes registered.
// Also: etcd's database size, the RSS of the hollow kubelet processes, the pod creation rate
// reached. Writes .skiff/bench/scale-report-TIME.json; the figures go to SKIFF_BENCH_FIGURES.
// Exits 1 when a figure misses its goal, 2 when the run itself failed.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatNumber,
  freePort,
  httpReady,
  percentile,
  recordFigure,
  repoRoot,
  rssMiB,
  startApiserver,
  startComponent,
  startEtcd,
  waitFor,
  watchLines,
} from '@skiff/common/testing/index';
import type { ApiserverHandle, ComponentHandle, EtcdHandle, MeasuredFigure } from '@skiff/common/testing/index';
import { mutatingLatencies, parseScrape, responsesWithCode } from './api-latency.ts';
import type { CallLatency, Scrape } from './api-latency.ts';
import { PodStartupTracker } from './pod-startup.ts';
import { ramp } from './ramp.ts';

const env = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a whole number above 0, got '${raw}'`);
  return n;
};
const NODES = env('SCALE_NODES', 1000);
const PODS = env('SCALE_PODS', 10_000);
const POD_RATE = env('SCALE_POD_RATE', 50);
const PER_PROCESS = env('SCALE_NODES_PER_PROCESS', 500);
const REPLICAS_EACH = Math.min(1000, PODS);
const QUIET_PODS = 100;
const QUIET_RATE = 5;
const PREFIX = 'hollow-node-';

const log = (line: string) => process.stdout.write(`[scale ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${formatNumber(ms / 1000)} s`;

// the components from dist (what `make up` runs), so that Node's type stripper is not counted
process.env.SKIFF_TEST_MODE ??= 'dist';

/** A request that must succeed; a 429 (the apiserver's in-flight limit) is retried after its Retry-After, as client-go does. */
async function must(api: ApiserverHandle, method: string, path: string, body?: object, contentType?: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const r = await api.request(method, path, { body, ...(contentType ? { headers: { 'content-type': contentType } } : {}) });
    if (r.status < 300) return;
    if (r.status === 429 && attempt < 10) {
      await sleep(Number(r.headers['retry-after'] ?? 1) * 1000);
      continue;
    }
    throw new Error(`${method} ${path}: ${r.status} ${r.body.slice(0, 300)}`);
  }
}

async function scrape(api: ApiserverHandle): Promise<{ latency: Scrape; tooManyRequests: number }> {
  const r = await api.request('GET', '/metrics');
  if (r.status !== 200) throw new Error(`GET /metrics: ${r.status}`);
  return { latency: parseScrape(r.body), tooManyRequests: responsesWithCode(r.body, '429') };
}

async function readyNodes(api: ApiserverHandle): Promise<number> {
  // resourceVersion=0: from the watch cache as it is, a poll that adds no etcd read to the load
  const r = await api.request('GET', '/api/v1/nodes?resourceVersion=0');
  if (r.status !== 200) return 0;
  const nodes = (JSON.parse(r.body) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] }).items;
  return nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
}

/** A Deployment of small pods (10m, 16Mi: a 4-CPU hollow node takes its 110) with 0 replicas. */
async function createDeployment(api: ApiserverHandle, ns: string, name: string): Promise<void> {
  await must(api, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await must(api, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: '127.0.0.1:5000/skiff/web:latest', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      },
    },
  });
}

const scaleTo = (api: ApiserverHandle) => async (nsName: string, replicas: number) => {
  const [ns, name] = nsName.split('/') as [string, string];
  await must(api, 'PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/${name}`, { spec: { replicas } }, 'application/merge-patch+json');
};

/** Peak and last RSS (MiB) of each process, read every 5 s while `sample` runs. */
class RssSampler {
  readonly peak: Record<string, number> = {};
  readonly last: Record<string, number> = {};
  private timer?: NodeJS.Timeout;
  private readonly pids: Record<string, number>;
  constructor(pids: Record<string, number>) {
    this.pids = pids;
  }
  read(): Record<string, number> {
    const now: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      now[name] = rssMiB(pid);
      this.peak[name] = Math.max(this.peak[name] ?? 0, now[name]);
      this.last[name] = now[name];
    }
    return now;
  }
  start(): void {
    this.timer = setInterval(() => this.read(), 5000);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

const sum = (rss: Record<string, number>, names: string[]) => names.reduce((n, k) => n + (rss[k] ?? 0), 0);
const CONTROL_PLANE = ['etcd', 'apiserver', 'controller-manager', 'scheduler'];
const listRss = (rss: Record<string, number>, names: string[]) => names.map((k) => `${k} ${formatNumber(rss[k] ?? 0)}`).join(', ');

interface Phase {
  latencies: CallLatency[];
  startupP99Ms: number;
  startupP50Ms: number;
  firstSightP99Ms: number;
  toBindP99Ms: number;
  running: number;
  pods: number;
}

function phaseFigures(latencies: CallLatency[], tracker: PodStartupTracker, prefix: string): Phase {
  const f = tracker.figures(prefix);
  return {
    latencies,
    startupP99Ms: percentile(f.fromCreation, 99),
    startupP50Ms: percentile(f.fromCreation, 50),
    firstSightP99Ms: percentile(f.fromFirstSight, 99),
    toBindP99Ms: percentile(f.toBind, 99),
    running: f.running,
    pods: f.pods,
  };
}

const worst = (l: CallLatency[]): CallLatency => l[0] ?? { call: 'none', count: 0, p99Seconds: Number.NaN };
const topCalls = (l: CallLatency[], n: number) =>
  l
    .slice(0, n)
    .map((c) => `${c.call} ${(c.p99Seconds * 1000).toFixed(0)} ms (${c.count.toLocaleString('en-US')} calls)`)
    .join(', ');

// Ctrl-C or a SIGTERM: exit through process.exit, whose hook (the harness's) kills what it started
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

let etcd: EtcdHandle | undefined;
let api: ApiserverHandle | undefined;
const components: ComponentHandle[] = [];
let stopWatch: (() => void) | undefined;
let exitCode = 0;
try {
  const t0 = performance.now();
  log(
    `${formatNumber(NODES)} hollow nodes (${PER_PROCESS} a process), ${formatNumber(PODS)} pods through ${Math.ceil(PODS / REPLICAS_EACH)} Deployments at ${POD_RATE} pods/s`,
  );
  etcd = await startEtcd({ tls: true });
  api = await startApiserver({ etcdUrl: etcd.url, etcdTls: etcd.tls, timeoutMs: 60_000 });
  const server = api;
  /** a control-plane component on a port of its own, ready once `probe` answers 200 there */
  const startServing = async (workspace: string, probe: string) => {
    const port = await freePort();
    const args = [`--kubeconfig=${server.kubeconfigPath}`, '--leader-elect=false', `--port=${port}`];
    components.push(await startComponent({ workspace, args, env: { SKIFF_LOG_LEVEL: 'warn' }, ready: () => httpReady(port, probe) }));
  };
  await startServing('controller-manager', '/readyz');
  await startServing('scheduler', '/healthz');
  const [cm, scheduler] = components as [ComponentHandle, ComponentHandle];

  const hollowPids: Record<string, number> = {};
  for (let first = 0; first < NODES; first += PER_PROCESS) {
    const count = Math.min(PER_PROCESS, NODES - first);
    const h = await startComponent({
      workspace: 'kubelet',
      args: [
        `--kubeconfig=${server.kubeconfigPath}`,
        `--hollow-nodes=${count}`,
        `--hollow-name-prefix=${PREFIX}`,
        `--hollow-first-index=${first}`,
        '--simulated-ready-delay=0',
      ],
      env: { SKIFF_LOG_LEVEL: 'warn' },
    });
    components.push(h);
    hollowPids[`hollow kubelets ${first}-${first + count - 1}`] = h.pid;
  }
  const registerStart = performance.now();
  await waitFor(`${NODES} hollow nodes Ready`, async () => (await readyNodes(server)) >= NODES, 900_000, 2000);
  log(`${formatNumber(NODES)} nodes Ready after ${seconds(performance.now() - registerStart)}`);

  const tracker = new PodStartupTracker();
  stopWatch = watchLines(server, '/api/v1/pods?watch=1', (line) => tracker.observeLine(line));

  const pids: Record<string, number> = { etcd: etcd.pid, apiserver: server.pid, 'controller-manager': cm.pid, scheduler: scheduler.pid, ...hollowPids };
  const rss = new RssSampler(pids);
  // a quiet minute with the nodes heartbeating: what the control plane holds idle at this size
  await sleep(30_000);
  const idle = rss.read();
  log(`idle RSS: ${listRss(idle, Object.keys(pids))} MiB`);

  // the baseline: 100 pods at 5 pods/s on the same cluster, nothing else going on
  const quietBefore = await scrape(server);
  await createDeployment(server, 'quiet', 'quiet');
  await ramp({ names: ['quiet/quiet'], replicasEach: QUIET_PODS, podsPerSecond: QUIET_RATE }, scaleTo(server));
  await waitFor(`${QUIET_PODS} quiet pods Running`, async () => tracker.running('quiet/') >= QUIET_PODS, 300_000, 500);
  const quiet = phaseFigures(mutatingLatencies(quietBefore.latency, (await scrape(server)).latency), tracker, 'quiet/');
  log(
    `quiet: pod startup p99 ${seconds(quiet.startupP99Ms)}, worst mutating p99 ${worst(quiet.latencies).call} ${seconds(worst(quiet.latencies).p99Seconds * 1000)}`,
  );

  // the load
  const names: string[] = [];
  for (let i = 0; i < Math.ceil(PODS / REPLICAS_EACH); i++) {
    await createDeployment(server, `load-${i}`, 'app');
    names.push(`load-${i}/app`);
  }
  const loadBefore = await scrape(server);
  rss.start();
  const loadStart = performance.now();
  const progress = setInterval(
    () => log(`load: ${formatNumber(tracker.figures('load-').pods)} pods created, ${formatNumber(tracker.running('load-'))} Running`),
    30_000,
  );
  await ramp({ names, replicasEach: REPLICAS_EACH, podsPerSecond: POD_RATE }, scaleTo(server));
  const rampSeconds = (performance.now() - loadStart) / 1000;
  const expected = names.length * REPLICAS_EACH;
  await waitFor(`${expected} pods Running`, async () => tracker.running('load-') >= expected, 1_200_000, 1000);
  clearInterval(progress);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const loadAfter = await scrape(server);
  rss.read();
  rss.stop();
  const load = phaseFigures(mutatingLatencies(loadBefore.latency, loadAfter.latency), tracker, 'load-');
  const tooManyRequests = loadAfter.tooManyRequests - loadBefore.tooManyRequests;
  const dbBytes = statSync(join(etcd.dataDir, 'member', 'snap', 'db')).size;
  log(
    `load: ${formatNumber(expected)} pods Running ${seconds(loadSeconds * 1000)} after the first scale-up ` +
      `(ramp ${formatNumber(rampSeconds)} s, ${formatNumber(expected / rampSeconds)} pods/s wanted)`,
  );

  const cpIdle = sum(idle, CONTROL_PLANE);
  const cpPeak = sum(rss.peak, CONTROL_PLANE);
  const hollowNames = Object.keys(hollowPids);
  const sizes = `${formatNumber(NODES)} hollow nodes, ${formatNumber(expected)} pods at ${POD_RATE}/s`;
  const figures: MeasuredFigure[] = [];
  figures.push(
    recordFigure({
      id: 'P7 mutating',
      value: worst(load.latencies).p99Seconds,
      unit: 's p99',
      baseline: { name: `the quiet cluster's worst (${worst(quiet.latencies).call})`, value: worst(quiet.latencies).p99Seconds, unit: 's p99' },
      conditions: `${sizes}; slowest calls: ${topCalls(load.latencies, 4)}; ${tooManyRequests.toLocaleString('en-US')} requests answered 429 (in-flight limit)`,
    }),
  );
  figures.push(
    recordFigure({
      id: 'P7 startup',
      value: load.startupP99Ms / 1000,
      unit: 's p99',
      baseline: { name: `${QUIET_PODS} pods at ${QUIET_RATE}/s on the quiet cluster`, value: quiet.startupP99Ms / 1000, unit: 's p99' },
      conditions: `${sizes}; p50 ${seconds(load.startupP50Ms)}; from the first watch event ${seconds(load.firstSightP99Ms)} p99; to bind ${seconds(load.toBindP99Ms)} p99`,
    }),
  );
  figures.push(
    recordFigure({
      id: 'P8 P7 run',
      value: cpPeak,
      unit: 'MiB',
      baseline: { name: 'the same processes idle with the nodes registered', value: cpIdle, unit: 'MiB' },
      conditions: `peak ${listRss(rss.peak, CONTROL_PLANE)}; etcd db ${formatNumber(dbBytes / 2 ** 20)} MiB`,
    }),
  );
  log(`hollow kubelet processes: idle ${listRss(idle, hollowNames)}; peak ${listRss(rss.peak, hollowNames)} MiB`);
  log(`etcd database: ${formatNumber(dbBytes / 2 ** 20)} MiB`);

  const dir = join(repoRoot(), '.skiff', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `scale-report-${new Date().toISOString().replace(/[:.]/g, '')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        sizes: { nodes: NODES, nodesPerProcess: PER_PROCESS, pods: expected, podsPerSecond: POD_RATE, deployments: names.length },
        seconds: { total: (performance.now() - t0) / 1000, ramp: rampSeconds, loadToAllRunning: loadSeconds },
        quiet,
        load,
        rssMiB: { idle, peak: rss.peak, last: rss.last },
        etcdDbBytes: dbBytes,
        tooManyRequests,
        figures,
      },
      null,
      2,
    )}\n`,
  );
  log(`report: ${file}`);
  if (figures.some((f) => f.met === false)) exitCode = 1;
} catch (e) {
  process.stderr.write(`scale run failed: ${(e as Error).stack ?? e}\n`);
  exitCode = 2;
} finally {
  stopWatch?.();
  for (const c of components.reverse()) await c.stop();
  await api?.stop();
  await etcd?.stop();
}
process.exit(exitCode);
