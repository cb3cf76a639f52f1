// `make bench` (issue 18 acceptance 4): the metrics server scraping 500 hollow nodes that run
// 5,000 pods: how long a scrape cycle takes (target < 5 s) and the server's resident memory
// (target < 150 MiB). Real etcd and apiserver; the hollow nodes (serving their node API, usage
// = requests x 0.5) and the metrics server run as processes; pods are bound to nodes directly
// (no scheduler). The server runs with its own identity and is read through the aggregator.
// SKIFF_BENCH_HOLLOW_NODES, SKIFF_BENCH_PODS and SKIFF_BENCH_CYCLES override the sizes.
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { freePort, makeClientCert, sharedPki, startApiserver, startComponent, startEtcd } from '@skiff/common/testing/index';

const nodes = Number(process.env.SKIFF_BENCH_HOLLOW_NODES ?? 500);
const pods = Number(process.env.SKIFF_BENCH_PODS ?? 5000);
const cycles = Number(process.env.SKIFF_BENCH_CYCLES ?? 4);
process.env.SKIFF_LOG_LEVEL ??= 'error';

const work = mkdtempSync(join(tmpdir(), 'skiff-metrics-bench-'));
const etcd = await startEtcd();
const server = await startApiserver({ etcdUrl: etcd.url });
const kc = new KubeConfig();
kc.loadFromFile(server.kubeconfigPath);
const core = kc.makeApiClient(CoreV1Api);
const stopAll: (() => Promise<void>)[] = [];
const elapsed = (t: number) => `${((performance.now() - t) / 1000).toFixed(1)} s`;

try {
  let t = performance.now();
  const hollow = await startComponent({
    workspace: 'kubelet',
    args: [`--kubeconfig=${server.kubeconfigPath}`, `--hollow-nodes=${nodes}`, '--hollow-serve', '--simulated-ready-delay=1', '--hollow-usage-factor=0.5'],
    env: { SKIFF_LOG_LEVEL: 'warn' },
    ready: async () => {
      const list = await core.listNode().catch(() => undefined);
      return (list?.items ?? []).filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >= nodes;
    },
    timeoutMs: 600_000,
  });
  stopAll.push(() => hollow.stop());
  console.log(`${nodes} hollow nodes Ready in ${elapsed(t)}`);

  t = performance.now();
  await core.createNamespace({ body: { metadata: { name: 'bench' } } });
  let next = 0;
  const createOne = async () => {
    while (next < pods) {
      const i = next++;
      // the apiserver sheds load with 429 (max in flight): wait as it asks and try again
      for (let attempt = 0; ; attempt++) {
        try {
          await createPod(i);
          break;
        } catch (e) {
          if ((e as { code?: number }).code !== 429 || attempt > 50) throw e;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    }
  };
  const createPod = (i: number) =>
    core.createNamespacedPod({
      namespace: 'bench',
      body: {
        metadata: { name: `p-${i}`, labels: { app: `a${i % 10}` } },
        spec: {
          nodeName: `hollow-node-${i % nodes}`,
          containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
        },
      },
    });
  await Promise.all(Array.from({ length: 16 }, createOne));
  for (;;) {
    const running = (await core.listNamespacedPod({ namespace: 'bench', fieldSelector: 'status.phase=Running' }).catch(() => ({ items: [] }))).items.length;
    if (running >= pods) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  console.log(`${pods} pods Running in ${elapsed(t)}`);

  const identity = await makeClientCert(await sharedPki(), 'metrics-server', 'system:skiff-metrics-server');
  const [securePort, healthPort] = [await freePort(), await freePort()];
  t = performance.now();
  const ms = await startComponent({
    workspace: 'metrics-server',
    args: [
      `--kubeconfig=${await server.kubeconfigFor(identity, 'metrics-server')}`,
      '--metric-resolution=15s',
      `--secure-port=${securePort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--metrics-port=${healthPort}`,
      `--cert-dir=${join(work, 'serving')}`,
      // the hollow nodes share one self-signed serving certificate (kubelet/src/hollow.ts)
      '--kubelet-insecure-tls',
    ],
    env: { SKIFF_LOG_LEVEL: 'warn' },
    ready: async () => (await fetch(`http://127.0.0.1:${healthPort}/healthz`).catch(() => undefined))?.status === 200,
  });
  stopAll.push(() => ms.stop());
  const gauge = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : Number.NaN;
  };
  const rss = () => {
    const status = readFileSync(`/proc/${ms.pid}/status`, 'utf8');
    const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
  };
  const podMetrics = async () => {
    // the apiserver and the metrics server share two busy cores with 500 kubelets: a slow answer is retried
    const r = await server.request('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/bench/pods').catch(() => undefined);
    return r?.status === 200 ? (JSON.parse(r.body) as { items: unknown[] }).items.length : -1;
  };
  // two cycles make the first rates; then every pod has metrics
  for (;;) {
    if ((await podMetrics()) >= pods) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  console.log(`all ${pods} PodMetrics served through the aggregator ${elapsed(t)} after start`);
  const durations: number[] = [];
  let last = await gauge('metrics_server_last_cycle_duration_seconds');
  while (durations.length < cycles) {
    await new Promise((r) => setTimeout(r, 1000));
    const d = await gauge('metrics_server_last_cycle_duration_seconds');
    if (d !== last) {
      durations.push(d);
      last = d;
      const scraped = await gauge('metrics_server_last_cycle_nodes');
      const m = rss();
      console.log(`cycle: ${d.toFixed(2)} s, ${scraped}/${nodes} nodes; metrics-server RSS ${m.rss.toFixed(0)} MiB (peak ${m.peak.toFixed(0)} MiB)`);
    }
  }
  const t0 = performance.now();
  const listed = await podMetrics();
  console.log(`one PodMetrics list of ${listed} pods through the aggregator: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  const m = rss();
  console.log(
    `scrape cycle: max ${Math.max(...durations).toFixed(2)} s (target < 5 s); metrics-server RSS ${m.rss.toFixed(0)} MiB, peak ${m.peak.toFixed(0)} MiB (target < 150 MiB)`,
  );
} finally {
  for (const s of stopAll.reverse()) await s().catch(() => undefined);
  await server.stop();
  await etcd.stop();
  rmSync(work, { recursive: true, force: true });
}
