// `make bench` (issue 16 acceptance 7): seconds from creating a 1,000-completion,
// parallelism-100 Job until its Complete condition, on hollow nodes (simulated kubelets whose
// Job pods run 1 s and succeed) with the real scheduler. Real etcd and apiserver; the
// controller-manager runs in this process, the scheduler and the hollow nodes as processes.
//
// The baseline, measured in the same run on the same cluster: the same number of bare pods
// (restartPolicy Never, same template) kept `parallelism` in flight by this process, a new one
// created as soon as one Succeeds. That is what the scheduler, the hollow kubelets and the
// apiserver cost; the ratio job : bare pods is what the Job controller adds (goal <= 1.5).
// Each run also prints the median time of each stage of a pod's life, to show where time goes.
// SKIFF_BENCH_COMPLETIONS, SKIFF_BENCH_PARALLELISM and SKIFF_BENCH_HOLLOW_NODES override the sizes;
// SKIFF_BENCH_KEEP_LOGS=DIR keeps the hollow nodes' and the scheduler's logs there.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchV1Api, CoreV1Api, type V1Pod, type V1PodSpec } from '@kubernetes/client-node';
import { Informer } from '@skiff/common';
import { freePort, httpReady, startApiserver, startComponent, startEtcd } from '@skiff/common/testing/index';
import { startControllerManager } from '../src/manager.ts';
import { kubeConfigFrom } from '../test/support/cluster.ts';

const completions = Number(process.env.SKIFF_BENCH_COMPLETIONS ?? 1000);
const parallelism = Number(process.env.SKIFF_BENCH_PARALLELISM ?? 100);
const hollowNodes = Number(process.env.SKIFF_BENCH_HOLLOW_NODES ?? 10);
process.env.SKIFF_LOG_LEVEL ??= 'error';

const podSpec: V1PodSpec = { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox', command: ['true'] }] };

const etcd = await startEtcd();
const server = await startApiserver({ etcdUrl: etcd.url });
const kc = kubeConfigFrom(server.kubeconfigPath);
const core = kc.makeApiClient(CoreV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const schedulerPort = await freePort();
const scheduler = await startComponent({
  workspace: 'scheduler',
  args: [`--kubeconfig=${server.kubeconfigPath}`, '--leader-elect=false', `--port=${schedulerPort}`],
  env: { SKIFF_LOG_LEVEL: 'warn' },
  ready: () => httpReady(schedulerPort, '/healthz'),
});
const hollow = await startComponent({
  workspace: 'kubelet',
  args: [`--kubeconfig=${server.kubeconfigPath}`, `--hollow-nodes=${hollowNodes}`, '--simulated-ready-delay=1'],
  env: { SKIFF_LOG_LEVEL: 'warn' },
  ready: async () => {
    const nodes = await core.listNode().catch(() => undefined);
    return (nodes?.items ?? []).filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >= hollowNodes;
  },
  timeoutMs: 120_000,
});
const cm = await startControllerManager({ kubeConfig: kc, port: -1, leaderElect: false });

/** When this process first saw each stage of each pod's life (ms, performance.now()). */
interface Stages {
  seen: number;
  bound?: number;
  running?: number;
  succeeded?: number;
  released?: number;
}
const stages = new Map<string, Stages>();
const podListeners = new Set<(p: V1Pod) => void>();
const pods = new Informer<V1Pod>({ kubeConfig: kc, path: '/api/v1/pods', list: () => core.listPodForAllNamespaces() });
const observe = (p: V1Pod) => {
  const uid = p.metadata?.uid ?? '';
  const now = performance.now();
  let s = stages.get(uid);
  if (!s) stages.set(uid, (s = { seen: now }));
  if (p.spec?.nodeName) s.bound ??= now;
  if (p.status?.phase === 'Running') s.running ??= now;
  if (p.status?.phase === 'Succeeded') s.succeeded ??= now;
  if (s.succeeded !== undefined && !p.metadata?.finalizers?.length) s.released ??= now;
  for (const l of podListeners) l(p);
};
pods.on({ add: observe, update: observe });
await pods.start();
await pods.waitForSync();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : Number.NaN;
};

/** Median ms of each stage over the pods of one run; `released` only where a finalizer was held. */
function stageSummary(uids: Iterable<string>): string {
  const d: Record<string, number[]> = { 'create>bound': [], 'bound>Running': [], 'Running>Succeeded': [], 'Succeeded>released': [] };
  for (const uid of uids) {
    const s = stages.get(uid);
    if (!s) continue;
    if (s.bound !== undefined) d['create>bound']!.push(s.bound - s.seen);
    if (s.bound !== undefined && s.running !== undefined) d['bound>Running']!.push(s.running - s.bound);
    if (s.running !== undefined && s.succeeded !== undefined) d['Running>Succeeded']!.push(s.succeeded - s.running);
    if (s.succeeded !== undefined && s.released !== undefined && s.released > s.succeeded) d['Succeeded>released']!.push(s.released - s.succeeded);
  }
  return Object.entries(d)
    .filter(([, xs]) => xs.length)
    .map(([k, xs]) => `${k} ${(median(xs) / 1000).toFixed(2)} s`)
    .join(', ');
}

/** apiserver_request_total summed by verb, resource/subresource and code (429s apart), from /metrics. */
async function requestCounts(): Promise<Map<string, number>> {
  const text = (await server.request('GET', '/metrics')).body;
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^apiserver_request_total\{([^}]*)\} (\S+)$/gm)) {
    const l = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (l.verb === 'WATCH' || l.verb === 'LIST' || l.verb === 'GET') continue;
    const key = `${l.verb} ${l.resource}${l.subresource ? `/${l.subresource}` : ''}${l.code === '429' ? ' 429' : l.code === '409' ? ' 409' : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

/** The cumulative buckets (upper bound in s -> count) of the apiserver's latency for pod creates. */
async function podCreateLatency(): Promise<Map<number, number>> {
  const text = (await server.request('GET', '/metrics')).body;
  const out = new Map<number, number>();
  for (const m of text.matchAll(/^apiserver_request_duration_seconds_bucket\{([^}]*)\} (\S+)$/gm)) {
    const l = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (l.verb !== 'CREATE' || l.resource !== 'pods' || l.subresource) continue;
    out.set(l.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(l.le), Number(m[2]));
  }
  return out;
}

/** The bucket bound under which half the pod creates between two readings finished: "<= X s". */
function medianBucket(before: Map<number, number>, after: Map<number, number>): string {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Number.POSITIVE_INFINITY) ?? 0) - (before.get(Number.POSITIVE_INFINITY) ?? 0);
  for (const b of bounds) if ((after.get(b) ?? 0) - (before.get(b) ?? 0) >= total / 2) return `<= ${b} s`;
  return '?';
}

/** The writes between two request counts, per pod of the run, largest first. */
function writesPerPod(before: Map<string, number>, after: Map<string, number>, podCount: number): string {
  return [...after]
    .map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / podCount] as const)
    .filter(([, v]) => v >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ');
}

async function createNamespace(name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
}

/** Creates a Job and waits for it to finish; its status once Complete. */
async function runJob(namespace: string, name: string, completions: number, parallelism: number, timeoutMs: number) {
  await batch.createNamespacedJob({ namespace, body: { metadata: { name }, spec: { completions, parallelism, template: { spec: podSpec } } } });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await batch.readNamespacedJob({ name, namespace });
    const done = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (done) {
      if (done.type !== 'Complete') {
        const failed = pods.list(namespace).filter((p) => p.status?.phase === 'Failed' || p.metadata?.deletionTimestamp);
        const why = failed.slice(0, 5).map((p) => `${p.metadata?.name} ${p.status?.phase} ${p.status?.reason ?? ''} ${p.status?.message ?? ''}`);
        throw new Error(`the ${name} Job failed: ${done.reason}: ${done.message}; ${failed.length} failed pods, e.g. ${why.join('; ')}`);
      }
      return job.status;
    }
    if (Date.now() > deadline) throw new Error(`bench timed out: ${JSON.stringify(job.status)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The baseline: `total` bare pods, `inFlight` at a time, each replaced when it Succeeds. */
async function runBarePods(namespace: string, total: number, inFlight: number, timeoutMs: number): Promise<void> {
  let created = 0;
  let succeeded = 0;
  const counted = new Set<string>();
  let failure: unknown;
  let wake = () => {};
  const create = () => {
    const i = created++;
    const body = { metadata: { name: `bare-${i}`, labels: { bench: 'bare' } }, spec: podSpec };
    const attempt = (): Promise<unknown> =>
      core.createNamespacedPod({ namespace, body }).catch(async (e) => {
        if ((e as { code?: number }).code !== 429) throw e;
        await new Promise((r) => setTimeout(r, 1000));
        return attempt();
      });
    attempt().catch((e) => {
      failure ??= e;
      wake();
    });
  };
  const listener = (p: V1Pod) => {
    if (p.metadata?.namespace !== namespace || p.status?.phase !== 'Succeeded' || counted.has(p.metadata?.uid ?? '')) return;
    counted.add(p.metadata?.uid ?? '');
    succeeded++;
    if (created < total) create();
    if (succeeded >= total) wake();
  };
  podListeners.add(listener);
  try {
    const done = new Promise<void>((resolve) => {
      wake = resolve;
    });
    for (let i = 0; i < Math.min(inFlight, total); i++) create();
    const timer = setTimeout(() => {
      failure ??= new Error(`baseline timed out: ${succeeded} of ${total} pods succeeded`);
      wake();
    }, timeoutMs);
    await done;
    clearTimeout(timer);
    if (failure) throw failure;
  } finally {
    podListeners.delete(listener);
  }
}

const uidsIn = (namespace: string) => pods.list(namespace).map((p) => p.metadata?.uid ?? '');

try {
  // caches synced, nodes Ready and the scheduler warm before the clocks start
  await createNamespace('warm-up');
  await runJob('warm-up', 'warm-up', 1, 1, 120_000);

  await createNamespace('bare');
  let counted = await requestCounts();
  let latency = await podCreateLatency();
  let started = performance.now();
  await runBarePods('bare', completions, parallelism, 900_000);
  const bareSecs = (performance.now() - started) / 1000;
  const bareStages = stageSummary(uidsIn('bare'));
  const bareWrites = writesPerPod(counted, await requestCounts(), completions);
  const bareLatency = medianBucket(latency, await podCreateLatency());
  // the finished bare pods leave, so that both runs start from the same nodes
  // (a busy apiserver may answer 504 while it still deletes them: the wait below is what counts)
  await core.deleteCollectionNamespacedPod({ namespace: 'bare', gracePeriodSeconds: 0 }).catch(() => undefined);
  for (let i = 0; i < 1800 && pods.list('bare').length; i++) await new Promise((r) => setTimeout(r, 100));

  await createNamespace('bench');
  counted = await requestCounts();
  latency = await podCreateLatency();
  started = performance.now();
  const status = await runJob('bench', 'bench', completions, parallelism, 900_000);
  const jobSecs = (performance.now() - started) / 1000;
  const jobWrites = writesPerPod(counted, await requestCounts(), completions);
  const jobLatency = medianBucket(latency, await podCreateLatency());
  const phases: Record<string, number> = {};
  for (const p of pods.list('bench')) phases[p.status?.phase ?? '?'] = (phases[p.status?.phase ?? '?'] ?? 0) + 1;

  const what = `${completions} pods, ${parallelism} at a time, on ${hollowNodes} hollow nodes`;
  console.log(`job of ${what}: Complete after ${jobSecs.toFixed(2)} s (succeeded ${status?.succeeded}, pods ${JSON.stringify(phases)})`);
  console.log(`  stage medians: ${stageSummary(uidsIn('bench'))}`);
  console.log(`  writes per pod: ${jobWrites}; pod create latency p50 ${jobLatency}`);
  console.log(`bare pods, ${what}, replaced by the bench itself: all Succeeded after ${bareSecs.toFixed(2)} s`);
  console.log(`  stage medians: ${bareStages}`);
  console.log(`  writes per pod: ${bareWrites}; pod create latency p50 ${bareLatency}`);
  console.log(`  ratio job : bare pods ${(jobSecs / bareSecs).toFixed(2)}   (goal <= 1.5)`);
} finally {
  const keep = process.env.SKIFF_BENCH_KEEP_LOGS;
  if (keep) {
    copyFileSync(hollow.logFile, join(keep, 'hollow-nodes.log'));
    copyFileSync(scheduler.logFile, join(keep, 'scheduler.log'));
  }
  pods.stop();
  await cm.stop();
  await hollow.stop();
  await scheduler.stop();
  await server.stop();
  await etcd.stop();
}
process.exit(0);
