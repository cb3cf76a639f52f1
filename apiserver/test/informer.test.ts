// The official client's informers against our apiserver: add/update/delete, an apiserver
// restart, and a relist after 410 Gone (etcd compacted while the informer was away).
import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { Informer } from '@skiff/common';
import { startApiserver, useApiserver, type ApiserverHandle } from '@skiff/common/testing/index';

const ns = 'informers';

function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() > end) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

const pod = (name: string): V1Pod => ({
  metadata: { name, namespace: ns, labels: { app: 'x' } },
  spec: { containers: [{ name: 'c', image: '127.0.0.1:5000/skiff/busybox:latest' }] },
});
const deployment = (name: string): V1Deployment => ({
  metadata: { name, namespace: ns },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: '127.0.0.1:5000/skiff/busybox:latest' }] } },
  },
});

describe('client-node informers', function () {
  this.timeout(120_000);
  const cluster = useApiserver();
  let other: ApiserverHandle;
  let kcA: KubeConfig;
  let coreB: CoreV1Api;
  let appsB: AppsV1Api;
  const events: string[] = [];
  let podListCalls = 0;
  let pods: Informer<V1Pod>;
  let deploys: Informer<V1Deployment>;

  before(async () => {
    // a second apiserver on the same etcd prefix writes while the first one is down
    other = await startApiserver({ etcdUrl: cluster.etcd.url, prefix: cluster.server.prefix });
    kcA = new KubeConfig();
    kcA.loadFromFile(cluster.server.kubeconfigPath);
    const kcB = new KubeConfig();
    kcB.loadFromFile(other.kubeconfigPath);
    coreB = kcB.makeApiClient(CoreV1Api);
    appsB = kcB.makeApiClient(AppsV1Api);
    await coreB.createNamespace({ body: { metadata: { name: ns } } });
    const coreA = kcA.makeApiClient(CoreV1Api);
    const appsA = kcA.makeApiClient(AppsV1Api);
    pods = new Informer<V1Pod>({
      kubeConfig: kcA,
      path: `/api/v1/namespaces/${ns}/pods`,
      list: () => {
        podListCalls++;
        return coreA.listNamespacedPod({ namespace: ns });
      },
      maxBackoffMs: 1000,
    });
    deploys = new Informer<V1Deployment>({
      kubeConfig: kcA,
      path: `/apis/apps/v1/namespaces/${ns}/deployments`,
      list: () => appsA.listNamespacedDeployment({ namespace: ns }),
      maxBackoffMs: 1000,
    });
    pods.on({
      add: (p) => events.push(`add pod ${p.metadata!.name}`),
      update: (p) => events.push(`update pod ${p.metadata!.name} ${p.metadata!.labels?.app}`),
      delete: (p) => events.push(`delete pod ${p.metadata!.name}`),
    });
    deploys.on({
      add: (d) => events.push(`add deploy ${d.metadata!.name}`),
      update: (d) => events.push(`update deploy ${d.metadata!.name} ${d.spec!.replicas}`),
      delete: (d) => events.push(`delete deploy ${d.metadata!.name}`),
    });
    await pods.start();
    await deploys.start();
    await pods.waitForSync();
    await deploys.waitForSync();
  });

  after(async () => {
    pods?.stop();
    deploys?.stop();
    await other?.stop();
  });

  it('receives add, update and delete for pods and deployments', async () => {
    await coreB.createNamespacedPod({ namespace: ns, body: pod('p1') });
    await appsB.createNamespacedDeployment({ namespace: ns, body: deployment('d1') });
    await until(() => events.includes('add pod p1') && events.includes('add deploy d1'), 10_000, 'adds');
    await coreB.patchNamespacedPod({ name: 'p1', namespace: ns, body: { metadata: { labels: { app: 'y' } } } }, setMergePatch());
    await appsB.patchNamespacedDeployment({ name: 'd1', namespace: ns, body: { spec: { replicas: 3 } } }, setMergePatch());
    await until(() => events.includes('update pod p1 y') && events.includes('update deploy d1 3'), 10_000, `updates in ${events}`);
    await coreB.deleteNamespacedPod({ name: 'p1', namespace: ns });
    await appsB.deleteNamespacedDeployment({ name: 'd1', namespace: ns });
    await until(() => events.includes('delete pod p1') && events.includes('delete deploy d1'), 10_000, 'deletes');
    expect(pods.list(ns)).to.have.length(0);
  });

  it('survives an apiserver restart and catches up on what happened meanwhile', async () => {
    await cluster.server.halt();
    await coreB.createNamespacedPod({ namespace: ns, body: pod('p2') });
    await cluster.server.start();
    await until(() => events.includes('add pod p2'), 30_000, 'p2 after restart');
    expect(pods.get('p2', ns)).to.not.equal(undefined);
  });

  it('relists after a 410 when etcd was compacted while it was away', async () => {
    await cluster.server.halt();
    const listsBefore = podListCalls;
    await coreB.createNamespacedPod({ namespace: ns, body: pod('p3') });
    await coreB.deleteNamespacedPod({ name: 'p2', namespace: ns });
    const etcd = new Etcd3({ hosts: cluster.etcd.url });
    try {
      const rev = (await etcd.get('/compaction-probe').exec()).header.revision;
      await etcd.kv.compact({ revision: rev, physical: true });
    } finally {
      etcd.close();
    }
    await cluster.server.start();
    await until(() => events.includes('add pod p3') && events.includes('delete pod p2'), 30_000, `p3/p2 after 410 in ${events.slice(-5)}`);
    expect(podListCalls).to.be.greaterThan(listsBefore);
    expect(pods.list(ns).map((p) => p.metadata!.name)).to.deep.equal(['p3']);
  });
});

function setMergePatch() {
  return setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
}
