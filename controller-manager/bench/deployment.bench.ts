// `make bench`: seconds from `kubectl apply` of a 1,000-replica Deployment until all 1,000
// pods exist, and until all are Ready (a simulated node binds them and reports them Ready).
// Real etcd and apiserver; the controller-manager runs in this process.
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { Informer } from '@skiff/common';
import { startApiserver, startEtcd } from '@skiff/common/testing/index';
import { startControllerManager } from '../src/manager.ts';
import { startFakeKubelet } from '../test/support/fake-kubelet.ts';
import { deploymentManifest, isReadyPod, kubeConfigFrom } from '../test/support/cluster.ts';

const replicas = Number(process.env.SKIFF_BENCH_REPLICAS ?? 1000);
process.env.SKIFF_LOG_LEVEL ??= 'error';

const etcd = await startEtcd();
const server = await startApiserver({ etcdUrl: etcd.url });
const kc = kubeConfigFrom(server.kubeconfigPath);
const cm = await startControllerManager({ kubeConfig: kc, port: -1, leaderElect: false });
const kubelet = await startFakeKubelet(kc, { workers: 32 });
const core = kc.makeApiClient(CoreV1Api);
const pods = new Informer<V1Pod>({
  kubeConfig: kc,
  path: '/api/v1/namespaces/default/pods',
  labelSelector: 'app=bench',
  list: () => core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=bench' }),
});
await pods.start();
await pods.waitForSync();

try {
  const started = performance.now();
  let allExistAt: number | undefined;
  let allReadyAt: number | undefined;
  const done = new Promise<void>((resolve) => {
    const check = () => {
      const live = pods.list('default').filter((p) => !p.metadata?.deletionTimestamp);
      if (allExistAt === undefined && live.length >= replicas) allExistAt = performance.now();
      if (allReadyAt === undefined && live.filter(isReadyPod).length >= replicas) {
        allReadyAt = performance.now();
        resolve();
      }
    };
    pods.on({ add: check, update: check });
  });
  const r = await server.kubectl('1.32', ['apply', '-f', '-'], { stdin: deploymentManifest('bench', { replicas }) });
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('bench timed out after 600 s')), 600_000).unref());
  await Promise.race([done, timeout]);
  const secs = (t: number | undefined) => ((t! - started) / 1000).toFixed(2);
  console.log(`deployment of ${replicas} replicas: all pods exist after ${secs(allExistAt)} s`);
  console.log(`deployment of ${replicas} replicas: all pods Ready after ${secs(allReadyAt)} s`);
} finally {
  pods.stop();
  await kubelet.stop();
  await cm.stop();
  await server.stop();
  await etcd.stop();
}
process.exit(0);
