// `make bench` (issue 18 acceptance 4): the metrics server scraping 500 kubelets that run 5,000
// pods: how long a scrape cycle takes (target < 5 s) and the server's resident memory (target
// < 150 MiB). What is measured is the metrics server's own work: list the Nodes, fetch every
// kubelet's /metrics/resource over TLS, decode, store, and serve PodMetrics through the
// aggregator. The kubelets are one light process (lib/fake-kubelets.ts: one port per node, the
// kubelet's own text), so 500 of them cost seconds to start, not minutes; Nodes and Pods are
// real objects in a real apiserver and etcd (pods bound by nodeName, nothing runs them).
//
// Each figure is printed with a baseline measured in the same run, on the same machine, so that
// the ratio means something on a machine shared with other work:
//   - cycle time against one kubelet fetch (new TLS connection, read the body, no decode)
//     times the number of nodes (what scraping one after another would cost), and against the
//     same 500 fetches made from this process with the server's concurrency (the floor the
//     server can reach: fetching, nothing else);
//   - the server's RSS against an idle Node process (`node -e` with a timer).
// Sizes: SKIFF_BENCH_HOLLOW_NODES, SKIFF_BENCH_PODS, SKIFF_BENCH_CYCLES; SKIFF_BENCH_NODE_FLAGS
// replaces the Node flags the server is started with (default: none, as scripts/services.sh).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  benchNodeFlags,
  componentNodeFlags,
  freePort,
  httpReady,
  makeClientCert,
  sharedPki,
  startApiserver,
  startComponent,
  startEtcd,
} from '@skiff/common/testing/index';
import { ensureSelfSignedCert } from '../src/serving-cert.ts';

const nodes = Number(process.env.SKIFF_BENCH_HOLLOW_NODES ?? 500);
const pods = Number(process.env.SKIFF_BENCH_PODS ?? 5000);
const cycles = Number(process.env.SKIFF_BENCH_CYCLES ?? 5);
const concurrency = Number(process.env.SKIFF_BENCH_CONCURRENCY ?? 100); // the server's --scrape-concurrency default
// what startComponent runs it with: its line in scripts/node-flags.conf and SKIFF_BENCH_NODE_FLAGS
const nodeFlags = [...componentNodeFlags('metrics-server'), ...benchNodeFlags('metrics-server')];
process.env.SKIFF_LOG_LEVEL ??= 'error';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const line = (what: string, value: string) => console.log(`  ${what.padEnd(64)} ${value}`);

function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** A child Node process that prints one line when ready; resolves with that line. */
function child(args: string[]): Promise<{ pid: number; firstLine: string; kill(): void }> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
    proc.stdout.on('data', (b: Buffer) => {
      out += b;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ pid: proc.pid!, firstLine: out.slice(0, nl), kill: () => proc.kill('SIGTERM') });
    });
  });
}

/** One GET of a fake kubelet's /metrics/resource on a new TLS connection; resolves with its body's length. */
function fetchOnce(port: number, agent: https.Agent | false): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/metrics/resource', rejectUnauthorized: false, agent }, (res) => {
      let n = 0;
      res.on('data', (d: Buffer) => {
        n += d.length;
      });
      res.on('end', () => resolve(n));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function fetchAll(ports: number[]): Promise<number> {
  const agent = new https.Agent({ keepAlive: false, maxSockets: concurrency });
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ports.length) await fetchOnce(ports[next++]!, agent);
    }),
  );
  agent.destroy();
  return performance.now() - t;
}

const work = mkdtempSync(join(tmpdir(), 'skiff-metrics-bench-'));
const stops: (() => Promise<void> | void)[] = [];
try {
  console.log(`\n== metrics server: ${nodes} kubelets, ${pods} pods`);
  const idle = await child(['-e', 'console.log("up"); setInterval(() => {}, 1e6)']);
  await sleep(500);
  const idleRss = memoryOf(idle.pid).rss;
  idle.kill();

  const kubeletCert = ensureSelfSignedCert(join(work, 'kubelets'));
  const fake = await child([
    '--conditions=source',
    join(import.meta.dirname, 'lib', 'fake-kubelets.ts'),
    String(nodes),
    String(pods),
    kubeletCert.certFile,
    kubeletCert.keyFile,
  ]);
  stops.push(() => fake.kill());
  const ports = JSON.parse(fake.firstLine) as number[];

  const etcd = await startEtcd();
  stops.push(() => etcd.stop());
  const server = await startApiserver({ etcdUrl: etcd.url });
  stops.push(() => server.stop());
  let t = performance.now();
  const inFlight = async (count: number, make: (i: number) => Promise<void>) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < count) {
          const i = next++;
          // the apiserver sheds load with 429 (max in flight): wait and try again
          for (let attempt = 0; ; attempt++) {
            try {
              await make(i);
              break;
            } catch (e) {
              if (attempt > 20) throw e;
              await sleep(500);
            }
          }
        }
      }),
    );
  };
  const create = async (path: string, body: object) => {
    const r = await server.request('POST', path, { body });
    if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${r.body.slice(0, 200)}`);
  };
  await inFlight(nodes, (i) =>
    create('/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `hollow-node-${i}`, labels: { 'kubernetes.io/hostname': `hollow-node-${i}` } },
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: ports[i] } } },
    }),
  );
  await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  await inFlight(pods, (i) =>
    create('/api/v1/namespaces/bench/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `p-${i}`, labels: { app: `a${i % 10}` } },
      spec: {
        nodeName: `hollow-node-${i % nodes}`,
        automountServiceAccountToken: false,
        containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
      },
    }),
  );
  console.log(`  (set-up: ${nodes} Nodes and ${pods} Pods created in ${seconds(performance.now() - t)})`);

  // baselines: fetching only
  const single: number[] = [];
  for (let i = 0; i < 30; i++) {
    const s = performance.now();
    await fetchOnce(ports[i % ports.length]!, false);
    single.push(performance.now() - s);
  }
  const oneFetch = median(single);
  const floors: number[] = [];
  for (let i = 0; i < 3; i++) floors.push(await fetchAll(ports));
  const floor = median(floors);
  const bodyBytes = await fetchOnce(ports[0]!, false);

  const identity = await makeClientCert(await sharedPki(), 'metrics-server', 'system:skiff-metrics-server');
  const [securePort, healthPort] = [await freePort(), await freePort()];
  t = performance.now();
  const ms = await startComponent({
    workspace: 'metrics-server',
    args: [
      `--kubeconfig=${await server.kubeconfigFor(identity, 'metrics-server')}`,
      '--metric-resolution=10s',
      `--secure-port=${securePort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--metrics-port=${healthPort}`,
      `--cert-dir=${join(work, 'serving')}`,
      `--scrape-concurrency=${concurrency}`,
      // the fake kubelets share one self-signed certificate, as hollow nodes do
      '--kubelet-insecure-tls',
    ],
    env: { SKIFF_LOG_LEVEL: 'warn' },
    ready: () => httpReady(healthPort, '/healthz'),
  });
  stops.push(() => ms.stop());
  // RSS sampled every 50 ms, so that the peak (VmHWM) can be put on a phase: the first
  // cycles and lists while waiting for all PodMetrics, steady cycles, or the PodMetrics lists
  let phasePeak = 0;
  const sampler = setInterval(() => {
    phasePeak = Math.max(phasePeak, memoryOf(ms.pid).rss);
  }, 50);
  stops.push(() => clearInterval(sampler));
  const endPhase = () => {
    const p = Math.max(phasePeak, memoryOf(ms.pid).rss);
    phasePeak = 0;
    return p;
  };
  const gauge = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : Number.NaN;
  };
  const podMetrics = async () => {
    const r = await server.request('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/bench/pods').catch(() => undefined);
    return r?.status === 200 ? (JSON.parse(r.body) as { items: unknown[] }).items.length : -1;
  };
  for (let seen = -1; seen < pods; seen = await podMetrics()) await sleep(1000);
  const firstServed = performance.now() - t;
  const peakStarting = endPhase();

  const durations: number[] = [];
  const rss: number[] = [];
  let last = await gauge('metrics_server_last_cycle_duration_seconds');
  while (durations.length < cycles) {
    await sleep(500);
    const d = await gauge('metrics_server_last_cycle_duration_seconds');
    if (d === last) continue;
    last = d;
    const scraped = await gauge('metrics_server_last_cycle_nodes');
    if (scraped !== nodes) throw new Error(`a cycle scraped ${scraped} of ${nodes} nodes`);
    durations.push(d * 1000);
    rss.push(memoryOf(ms.pid).rss);
  }
  const peakCycles = endPhase();
  const lists: number[] = [];
  for (let i = 0; i < 3; i++) {
    const s = performance.now();
    const n = await podMetrics();
    if (n !== pods) throw new Error(`PodMetrics list had ${n} of ${pods}`);
    lists.push(performance.now() - s);
  }
  const peakLists = endPhase();
  const after = memoryOf(ms.pid);
  const cycle = median(durations);
  const maxCycle = Math.max(...durations);

  console.log('\n  baselines (this run)');
  line('one kubelet fetch, new TLS connection, no decode (median of 30)', `${oneFetch.toFixed(1)} ms, ${bodyBytes} bytes`);
  line(`${nodes} fetches, ${concurrency} at once, from the bench process (median of 3)`, seconds(floor));
  line('idle Node process RSS', `${idleRss.toFixed(0)} MiB`);
  console.log('\n  metrics server');
  line('Node flags', nodeFlags.join(' ') || '(none)');
  line('all PodMetrics served, from start', seconds(firstServed));
  line(`scrape cycle, median / max of ${cycles} (target < 5 s)`, `${seconds(cycle)} / ${seconds(maxCycle)}`);
  line('ratio cycle : one fetch x nodes', (cycle / (oneFetch * nodes)).toFixed(3));
  line('ratio cycle : fetch-only floor', (cycle / floor).toFixed(2));
  line(`PodMetrics list of ${pods} through the aggregator (median of 3)`, seconds(median(lists)));
  line('RSS after each cycle (target < 150 MiB)', `${rss.map((r) => r.toFixed(0)).join(', ')} MiB`);
  line('RSS now / peak (VmHWM)', `${after.rss.toFixed(0)} / ${after.peak.toFixed(0)} MiB`);
  line('peak RSS (50 ms samples): start, until all PodMetrics served', `${peakStarting.toFixed(0)} MiB`);
  line(`peak RSS (50 ms samples): ${cycles} cycles`, `${peakCycles.toFixed(0)} MiB`);
  line('peak RSS (50 ms samples): 3 PodMetrics lists', `${peakLists.toFixed(0)} MiB`);
  line('ratio peak RSS : idle Node RSS', (after.peak / idleRss).toFixed(2));
  const mib = async (name: string) => ((await gauge(name)) / 1048576).toFixed(0);
  line(
    'V8 heap used / total, external (now)',
    `${await mib('nodejs_heap_size_used_bytes')} / ${await mib('nodejs_heap_size_total_bytes')}, ${await mib('nodejs_external_memory_bytes')} MiB`,
  );
} finally {
  for (const s of stops.reverse()) await Promise.resolve(s()).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}
