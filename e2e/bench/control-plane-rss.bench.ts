// `make bench`: figure P8 of the performance issue, the control plane's memory. Starts etcd, an
// apiserver, a controller-manager and a scheduler through the test harness, lets them settle, and
// reads each one's resident set (VmRSS of /proc/PID/status); then makes a Deployment of 1,000
// replicas, waits until its pods exist and have settled, and reads them again. There is no kubelet
// and no Node: the pods stay Pending, so this is the memory of 1,000 pods in the control plane's
// caches and queues, not of pods running. The baseline is a bare `node -e` process started the
// same way: the floor no Node component can go below.
// SKIFF_BENCH_RSS_PODS=1000 replicas; SKIFF_BENCH_SETTLE_SECONDS=30 of quiet before each reading.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  formatNumber,
  freePort,
  httpReady,
  recordFigure,
  repoRoot,
  pssMiB,
  rssMiB,
  startApiserver,
  startComponent,
  startEtcd,
  waitFor,
} from '@skiff/common/testing/index';
import type { ApiserverHandle, ComponentHandle, EtcdHandle } from '@skiff/common/testing/index';

const PODS = Number(process.env.SKIFF_BENCH_RSS_PODS ?? 1000);
const SETTLE_MS = Number(process.env.SKIFF_BENCH_SETTLE_SECONDS ?? 30) * 1000;
const NODE_COMPONENTS = ['apiserver', 'controller-manager', 'scheduler'];

// `make up` runs the controller-manager and the scheduler from their one-file bundles (made
// here as `make up` makes them: only what changed) and the apiserver from dist, each with its
// V8 flags (scripts/node-flags.conf, which the harness applies); from source, Node's type
// stripper would be counted too.
const distBuilt = NODE_COMPONENTS.every((w) => existsSync(join(repoRoot(), w, 'dist', 'src', 'main.js')));
process.env.SKIFF_TEST_MODE ??= distBuilt ? 'dist' : 'source';
const bundled = process.env.SKIFF_TEST_MODE === 'dist' && process.env.SKIFF_BUNDLES !== '0';
if (bundled) execFileSync(process.execPath, [join(repoRoot(), 'scripts', 'bundle-components.mjs')], { stdio: 'inherit' });
const mode = bundled ? 'dist, the controller-manager and scheduler bundled' : process.env.SKIFF_TEST_MODE;
/** The bundle `make up` starts (scripts/cluster.sh), or the harness's choice. */
const entryArgs = (workspace: string) => (bundled ? ['--disable-warning=DEP0040', join(repoRoot(), workspace, 'dist', 'bundle', 'main.mjs')] : undefined);

const line = (label: string, value: string) => console.log(`${label.padEnd(58)} ${value}`);

/** The median of three readings a second apart: one reading can land in the middle of a collection. */
async function settledRss(pid: number): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(1000);
    readings.push(rssMiB(pid));
  }
  return readings.sort((a, b) => a - b)[1]!;
}

async function readAll(pids: Record<string, number>): Promise<Record<string, number>> {
  const entries = await Promise.all(Object.entries(pids).map(async ([name, pid]) => [name, await settledRss(pid)] as const));
  return Object.fromEntries(entries);
}

const sum = (rss: Record<string, number>) => Object.values(rss).reduce((a, b) => a + b, 0);
// RSS counts the node binary's text in each of the three Node processes; PSS shares it out
const sumPss = (pids: Record<string, number>) => Object.values(pids).reduce((total, pid) => total + pssMiB(pid), 0);
const perComponent = (rss: Record<string, number>) =>
  Object.entries(rss)
    .map(([name, mib]) => `${name} ${formatNumber(mib)}`)
    .join(', ');

async function createDeployment(api: ApiserverHandle, ns: string, replicas: number): Promise<void> {
  const must = async (path: string, body: object) => {
    const r = await api.request('POST', path, { body });
    if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${r.body.slice(0, 200)}`);
  };
  await must('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await must(`/apis/apps/v1/namespaces/${ns}/deployments`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: '127.0.0.1:5000/skiff/web:latest', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      },
    },
  });
}

async function podCount(api: ApiserverHandle, ns: string): Promise<number> {
  const r = await api.request('GET', `/api/v1/namespaces/${ns}/pods`);
  if (r.status !== 200) throw new Error(`LIST pods: ${r.status}`);
  return (JSON.parse(r.body) as { items: unknown[] }).items.length;
}

let etcd: EtcdHandle | undefined;
let api: ApiserverHandle | undefined;
const components: ComponentHandle[] = [];
try {
  const bare = await startComponent({ workspace: 'bare-node', entryArgs: ['-e', 'setInterval(() => {}, 1 << 30)'] });
  components.push(bare);
  etcd = await startEtcd();
  api = await startApiserver({ etcdUrl: etcd.url });
  const cmPort = await freePort();
  const controllerManager = await startComponent({
    workspace: 'controller-manager',
    entryArgs: entryArgs('controller-manager'),
    args: [`--kubeconfig=${api.kubeconfigPath}`, `--port=${cmPort}`],
    env: { SKIFF_LOG_LEVEL: 'warn' },
    ready: () => httpReady(cmPort, '/readyz'),
  });
  components.push(controllerManager);
  const schedulerPort = await freePort();
  const scheduler = await startComponent({
    workspace: 'scheduler',
    entryArgs: entryArgs('scheduler'),
    args: [`--kubeconfig=${api.kubeconfigPath}`, `--port=${schedulerPort}`],
    env: { SKIFF_LOG_LEVEL: 'warn' },
    ready: () => httpReady(schedulerPort, '/healthz'),
  });
  components.push(scheduler);
  const pids = { etcd: etcd.pid, apiserver: api.pid, 'controller-manager': controllerManager.pid, scheduler: scheduler.pid };

  console.log(`\n== control-plane RSS (components from ${mode}), idle after ${SETTLE_MS / 1000} s`);
  await sleep(SETTLE_MS);
  const floor = await settledRss(bare.pid);
  const idle = await readAll(pids);
  line('bare `node -e` process (the floor of a Node component)', `${formatNumber(floor)} MiB`);
  for (const [name, mib] of Object.entries(idle)) line(`  ${name}`, `${formatNumber(mib)} MiB`);
  line('  sum', `${formatNumber(sum(idle))} MiB`);
  line('  sum of PSS (shared pages divided; not the figure)', `${formatNumber(sumPss(pids))} MiB`);

  const ns = 'bench-rss';
  const started = performance.now();
  await createDeployment(api, ns, PODS);
  const server = api;
  await waitFor(`${PODS} pods of the Deployment`, async () => (await podCount(server, ns)) >= PODS, 300_000, 2000);
  console.log(
    `\n== control-plane RSS with ${formatNumber(PODS)} Pending pods (a Deployment; no kubelet, no Node), ` +
      `all created after ${((performance.now() - started) / 1000).toFixed(1)} s, read ${SETTLE_MS / 1000} s later`,
  );
  await sleep(SETTLE_MS);
  const loaded = await readAll(pids);
  for (const [name, mib] of Object.entries(loaded)) line(`  ${name}`, `${formatNumber(mib)} MiB (idle ${formatNumber(idle[name]!)})`);
  line('  sum', `${formatNumber(sum(loaded))} MiB`);
  line('  sum of PSS (shared pages divided; not the figure)', `${formatNumber(sumPss(pids))} MiB`);

  const baseline = { name: 'a bare `node -e`', value: floor, unit: 'MiB' };
  const how = `components from ${mode}, V8 flags of scripts/node-flags.conf, the harness's flags (plain-HTTP etcd, no audit log)`;
  recordFigure({ id: 'P8 idle', value: sum(idle), unit: 'MiB', baseline, conditions: `${perComponent(idle)}; ${how}` });
  recordFigure({
    id: 'P8 1k pods',
    value: sum(loaded),
    unit: 'MiB',
    baseline,
    conditions: `${formatNumber(PODS)} Pending pods, no kubelet; ${perComponent(loaded)}; ${how}`,
  });
} finally {
  for (const c of components.reverse()) await c.stop();
  await api?.stop();
  await etcd?.stop();
}
