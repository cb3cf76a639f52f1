// `make bench` (issue 16 acceptance 7): seconds from creating a 1,000-completion,
// parallelism-100 Job until its Complete condition, on hollow nodes (simulated kubelets whose
// Job pods run 1 s and succeed) with the real scheduler. Real etcd and apiserver; the
// controller-manager runs in this process, the scheduler and the hollow nodes as processes.
// SKIFF_BENCH_COMPLETIONS, SKIFF_BENCH_PARALLELISM and SKIFF_BENCH_HOLLOW_NODES override the sizes.
import { BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import { freePort, startApiserver, startComponent, startEtcd } from '@skiff/common/testing/index';
import { startControllerManager } from '../src/manager.ts';
import { kubeConfigFrom } from '../test/support/cluster.ts';

const completions = Number(process.env.SKIFF_BENCH_COMPLETIONS ?? 1000);
const parallelism = Number(process.env.SKIFF_BENCH_PARALLELISM ?? 100);
const hollowNodes = Number(process.env.SKIFF_BENCH_HOLLOW_NODES ?? 10);
process.env.SKIFF_LOG_LEVEL ??= 'error';

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
  ready: async () => (await fetch(`http://127.0.0.1:${schedulerPort}/healthz`).catch(() => undefined))?.status === 200,
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

/** Creates a Job and waits for it to finish; its status once Complete. */
async function runJob(name: string, completions: number, parallelism: number, timeoutMs: number) {
  await batch.createNamespacedJob({
    namespace: 'default',
    body: {
      metadata: { name },
      spec: {
        completions,
        parallelism,
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox', command: ['true'] }] } },
      },
    },
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await batch.readNamespacedJob({ name, namespace: 'default' });
    const done = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (done) {
      if (done.type !== 'Complete') {
        const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;
        const failed = pods.filter((p) => p.status?.phase === 'Failed' || p.metadata?.deletionTimestamp);
        const why = failed
          .slice(0, 5)
          .map(
            (p) =>
              `${p.metadata?.name} ${p.status?.phase} ${p.status?.reason ?? ''} ${p.status?.message ?? ''} ${p.metadata?.deletionTimestamp ? 'deleting' : ''}`,
          );
        throw new Error(`the ${name} Job failed: ${done.reason}: ${done.message}; ${failed.length} failed pods, e.g. ${why.join('; ')}`);
      }
      return job.status;
    }
    if (Date.now() > deadline) throw new Error(`bench timed out: ${JSON.stringify(job.status)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

try {
  // caches synced, nodes Ready and the scheduler warm before the clock starts
  await runJob('warm-up', 1, 1, 120_000);
  const started = performance.now();
  const status = await runJob('bench', completions, parallelism, 900_000);
  const secs = ((performance.now() - started) / 1000).toFixed(2);
  const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'batch.kubernetes.io/job-name=bench' })).items;
  const phases: Record<string, number> = {};
  for (const p of pods) phases[p.status?.phase ?? '?'] = (phases[p.status?.phase ?? '?'] ?? 0) + 1;
  console.log(
    `job of ${completions} completions, parallelism ${parallelism}, on ${hollowNodes} hollow nodes: Complete after ${secs} s (succeeded ${status?.succeeded}, pods ${JSON.stringify(phases)})`,
  );
} finally {
  await cm.stop();
  await hollow.stop();
  await scheduler.stop();
  await server.stop();
  await etcd.stop();
}
process.exit(0);
