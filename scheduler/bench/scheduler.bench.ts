// `make bench`: the scheduler in the manner of Kubernetes' scheduler_perf SchedulingBasic.
// For 500 and 5,000 Node objects (4 cpu, 32Gi, 110 pods each, made through the API), create
// 10,000 pods requesting 100m / 500Mi while the scheduler runs, then print
//   - pods scheduled per second, from the first bind to the last (seen through a watch),
//   - the p99 of queue-to-bind latency (the scheduler's scheduler_pod_scheduling_sli_duration_seconds),
//   - the apiserver's pod create rate in the same run.
// The run with the most nodes is figure P6 of the performance issue: its pods/s, divided by that
// create rate (the scheduler cannot bind pods faster than they arrive), recorded for the summary.
// SKIFF_BENCH_NODES=500,5000 and SKIFF_BENCH_PODS=10000 override the sizes.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import {
  benchPhase,
  componentEntryArgs,
  formatNumber,
  freePort,
  httpReady,
  quantileFromMetrics,
  recordFigure,
  startApiserver,
  startComponent,
  startEtcd,
  watchLines,
} from '@skiff/common/testing/index';
import type { ApiserverHandle } from '@skiff/common/testing/index';

const nodeCounts = (process.env.SKIFF_BENCH_NODES ?? '500,5000').split(',').map(Number);
const podCount = Number(process.env.SKIFF_BENCH_PODS ?? 10_000);
const concurrency = 64;

function client(server: ApiserverHandle) {
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: concurrency,
    ca: readFileSync(server.pki.caCert),
    cert: readFileSync(server.pki.admin.cert),
    key: readFileSync(server.pki.admin.key),
  });
  const url = new URL(server.url);
  return (method: string, path: string, body?: object) =>
    new Promise<number>((resolve, reject) => {
      const data = body ? JSON.stringify(body) : undefined;
      const req = https.request(
        { host: url.hostname, port: url.port, method, path, agent, headers: data ? { 'content-type': 'application/json' } : {} },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode! < 300 ? resolve(res.statusCode!) : reject(new Error(`${method} ${path}: ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(data);
    });
}

/** Runs `count` jobs with at most `concurrency` in flight. */
async function pool(count: number, job: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        await job(i);
      }
    }),
  );
}

/** Watches pods and records when each gets its node. */
function watchBinds(server: ApiserverHandle, ns: string, onBind: (name: string, at: number) => void): () => void {
  return watchLines(server, `/api/v1/namespaces/${ns}/pods?watch=1&allowWatchBookmarks=false`, (line) => {
    // cheap check before parsing: most lines are the binding's MODIFIED event anyway
    if (!line.includes('"nodeName"')) return;
    const ev = JSON.parse(line);
    if (ev.object?.spec?.nodeName) onBind(ev.object.metadata.name, performance.now());
  });
}

async function run(etcdUrl: string, nodes: number): Promise<{ podsPerSecond: number; createRate: number }> {
  const server = await startApiserver({ etcdUrl });
  const call = client(server);
  const metricsPort = await freePort();
  let scheduler: Awaited<ReturnType<typeof startComponent>> | undefined;
  try {
    await pool(nodes, (i) =>
      call('POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}`, 'topology.kubernetes.io/zone': `zone-${i % 3}` } },
        status: {
          capacity: { cpu: '4', memory: '32Gi', pods: '110' },
          allocatable: { cpu: '4', memory: '32Gi', pods: '110' },
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      }),
    );
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    scheduler = await startComponent({
      workspace: 'scheduler',
      // SKIFF_BENCH_CPU_PROF=DIR: write a V8 CPU profile of the scheduler there
      ...(process.env.SKIFF_BENCH_CPU_PROF
        ? { entryArgs: [`--cpu-prof`, `--cpu-prof-dir=${process.env.SKIFF_BENCH_CPU_PROF}`, ...componentEntryArgs('scheduler')] }
        : {}),
      args: [`--kubeconfig=${server.kubeconfigPath}`, '--leader-elect=false', `--port=${metricsPort}`],
      env: { SKIFF_LOG_LEVEL: 'warn' },
      ready: () => httpReady(metricsPort, '/healthz'),
    });
    // informers synced: every node is in the cache before the first pod comes
    await new Promise((r) => setTimeout(r, 1000));

    const binds: number[] = [];
    let done: () => void = () => {};
    const allBound = new Promise<void>((r) => {
      done = r;
    });
    const seen = new Set<string>();
    const stopWatch = watchBinds(server, 'bench', (name, at) => {
      if (seen.has(name)) return;
      seen.add(name);
      binds.push(at);
      if (seen.size === podCount) done();
    });
    await new Promise((r) => setTimeout(r, 200));

    let createEnd = 0;
    const createStart = performance.now();
    // the phase of P6: from the first create to the last bind, per node count
    await benchPhase(`P6 ${nodes} nodes`, async () => {
      await pool(podCount, (i) =>
        call('POST', '/api/v1/namespaces/bench/pods', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `pod-${i}`, namespace: 'bench' },
          spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' } } }] },
        }),
      );
      createEnd = performance.now();
      const timeout = setTimeout(() => done(), 600_000);
      await allBound;
      clearTimeout(timeout);
    });
    stopWatch();

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const p99 = quantileFromMetrics(metrics, 'scheduler_pod_scheduling_sli_duration_seconds', 0.99);
    if (Number.isNaN(p99))
      console.log(
        metrics
          .split('\n')
          .filter((l) => l.includes('sli_duration_seconds_count') || l.includes('attempts_total'))
          .join('\n'),
      );
    const span = (binds.at(-1)! - binds[0]!) / 1000;
    const createRate = podCount / ((createEnd - createStart) / 1000);
    console.log(
      `SchedulingBasic ${nodes} nodes / ${podCount} pods: ${seen.size} bound, ` +
        `${((seen.size - 1) / span).toFixed(0)} pods/s (first bind to last, ${span.toFixed(1)} s), ` +
        `p99 queue-to-bind ${(p99 * 1000).toFixed(0)} ms; apiserver created ${createRate.toFixed(0)} pods/s in the same run`,
    );
    return { podsPerSecond: (seen.size - 1) / span, createRate };
  } finally {
    await scheduler?.stop();
    await server.stop();
  }
}

const etcd = await startEtcd();
try {
  const largest = Math.max(...nodeCounts);
  for (const n of nodeCounts) {
    const { podsPerSecond, createRate } = await run(etcd.url, n);
    if (n !== largest) continue;
    recordFigure({
      id: 'P6',
      value: podsPerSecond,
      unit: 'pods/s',
      baseline: { name: 'apiserver pod creates', value: createRate, unit: 'pods/s' },
      conditions: `${formatNumber(n)} nodes, ${formatNumber(podCount)} pods, ${concurrency} creates in flight`,
    });
  }
} finally {
  await etcd.stop();
}
