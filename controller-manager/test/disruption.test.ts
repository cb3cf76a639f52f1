// The disruption controller and the ReplicationController controller against a real apiserver,
// with the in-process controller-manager and a fake kubelet making pods Ready; budgets made
// and read through the real kubectl (issue 16).
import { expect } from 'chai';
import type { KubeConfig, V1PodDisruptionBudget, V1ReplicationController } from '@kubernetes/client-node';
import { useApiserver } from '@skiff/common/testing/index';
import type { ControllerManagerHandle } from '../src/manager.ts';
import { ScaleFinders } from '../src/controllers/disruption/finders.ts';
import type { FakeKubelet } from './support/fake-kubelet.ts';
import { ClusterView, deploymentManifest, isReadyPod, kubeConfigFrom, startTestKubelet, startTestManager, waitFor } from './support/cluster.ts';

type Json = Record<string, any>;

describe('controller-manager: disruption budgets and replication controllers (real apiserver, kubectl)', function () {
  this.timeout(120_000);
  let cm: ControllerManagerHandle | undefined;
  let kubelet: FakeKubelet | undefined;
  after(async () => {
    await kubelet?.stop();
    await cm?.stop();
  });
  const cluster = useApiserver();
  let view: ClusterView;
  const k = (args: string[], stdin?: string) => cluster.server.kubectl('1.33', args, { stdin });
  const pdb = async (name: string): Promise<V1PodDisruptionBudget> => JSON.parse((await k(['get', 'pdb', name, '-o', 'json'])).stdout);
  const budgetSettled = (name: string, want: Json) =>
    waitFor(
      `pdb ${name} status ${JSON.stringify(want)}`,
      async () => {
        const b = await pdb(name);
        const s: Json = b.status ?? {};
        return s.observedGeneration === b.metadata?.generation && Object.entries(want).every(([key, v]) => JSON.stringify(s[key]) === JSON.stringify(v)) && b;
      },
      30_000,
    );

  before(async () => {
    view = new ClusterView(cluster.server.kubeconfigPath);
    cm = await startTestManager(cluster.server.kubeconfigPath);
    kubelet = await startTestKubelet(cluster.server.kubeconfigPath);
    const r = await k(['apply', '-f', '-'], deploymentManifest('web', { replicas: 3 }));
    expect(r.code, r.stderr).to.equal(0);
    await waitFor('3 ready web pods', async () => {
      const pods = await view.pods('default', 'app=web');
      return pods.length === 3 && pods.every(isReadyPod);
    });
  });

  it('a minAvailable=2 budget over 3 ready replicas allows one disruption (SufficientPods)', async () => {
    expect((await k(['create', 'pdb', 'web', '--selector=app=web', '--min-available=2'])).code).to.equal(0);
    const b = await budgetSettled('web', { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 });
    const cond = b.status?.conditions?.find((c) => c.type === 'DisruptionAllowed');
    expect(cond).to.include({ status: 'True', reason: 'SufficientPods', observedGeneration: 1 });
    const out = await k(['get', 'pdb', 'web', '--no-headers']);
    expect(out.stdout).to.match(/^web\s+2\s+N\/A\s+1\s+/);
  });

  it('an eviction spends the disruption; the controller drops the pod from disruptedPods once it is gone and counts the replacement', async () => {
    const [victim] = await view.pods('default', 'app=web');
    const name = victim!.metadata!.name!;
    const r = await cluster.server.request('POST', `/api/v1/namespaces/default/pods/${name}/eviction`, {
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } },
    });
    expect(r.status, r.body).to.equal(201);
    // the ReplicaSet replaces the pod, the fake kubelet makes it ready, the budget recovers
    const b = await budgetSettled('web', { expectedPods: 3, currentHealthy: 3, disruptionsAllowed: 1 });
    expect(b.status?.disruptedPods ?? {}).to.not.have.property(name);
  });

  it('a percentage maxUnavailable counts against the Deployment’s replicas, and follows a scale-up', async () => {
    // a pod wakes only the first budget selecting it (as upstream's getPdbForPod): one budget here
    expect((await k(['delete', 'pdb', 'web'])).code).to.equal(0);
    expect((await k(['create', 'pdb', 'web-pct', '--selector=app=web', '--max-unavailable=50%'])).code).to.equal(0);
    // 50% of 3 rounded up is 2 unavailable: 1 must stay healthy
    await budgetSettled('web-pct', { expectedPods: 3, desiredHealthy: 1, currentHealthy: 3, disruptionsAllowed: 2 });
    expect((await k(['scale', 'deployment', 'web', '--replicas=4'])).code).to.equal(0);
    await budgetSettled('web-pct', { expectedPods: 4, desiredHealthy: 2, currentHealthy: 4, disruptionsAllowed: 2 });
    expect((await k(['delete', 'pdb', 'web-pct'])).code).to.equal(0);
  });

  it('a budget over unready pods allows nothing (InsufficientPods); unmanaged pods allow nothing; a controller without a scale fails safe (SyncFailed)', async () => {
    const r = await k(['apply', '-f', '-'], deploymentManifest('slow', { replicas: 2, image: 'registry.local/never-ready:1' }));
    expect(r.code, r.stderr).to.equal(0);
    expect((await k(['create', 'pdb', 'slow', '--selector=app=slow', '--min-available=1'])).code).to.equal(0);
    const b = await budgetSettled('slow', { expectedPods: 2, desiredHealthy: 1, currentHealthy: 0, disruptionsAllowed: 0 });
    expect(b.status?.conditions?.find((c) => c.type === 'DisruptionAllowed')).to.include({ status: 'False', reason: 'InsufficientPods' });

    // pods without a controller cannot be counted against a scale: nothing may go, and users are told
    const bare = await k(['run', 'bare', '--image=registry.local/app:1', '--labels=app=bare']);
    expect(bare.code, bare.stderr).to.equal(0);
    expect((await k(['create', 'pdb', 'bare', '--selector=app=bare', '--max-unavailable=1'])).code).to.equal(0);
    await budgetSettled('bare', { expectedPods: 0, desiredHealthy: 0, currentHealthy: 1, disruptionsAllowed: 0 });
    await waitFor('UnmanagedPods event', async () => (await view.events('default', 'PodDisruptionBudget', 'bare', 'UnmanagedPods')).length > 0);

    // a controller without a scale makes the status incomputable: fail safe, closed
    const cm = await k(['create', 'configmap', 'not-a-workload', '-o', 'json']);
    const uid = JSON.parse(cm.stdout).metadata.uid;
    const owned = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'owned-oddly',
        labels: { app: 'odd' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'not-a-workload', uid, controller: true }],
      },
      spec: { containers: [{ name: 'c', image: 'registry.local/app:1' }] },
    };
    expect((await k(['create', '-f', '-'], JSON.stringify(owned))).code).to.equal(0);
    expect((await k(['create', 'pdb', 'odd', '--selector=app=odd', '--max-unavailable=1'])).code).to.equal(0);
    const failed = await waitFor('pdb odd SyncFailed', async () => {
      const p = await pdb('odd');
      const c = p.status?.conditions?.find((x) => x.type === 'DisruptionAllowed');
      return c?.reason === 'SyncFailed' && c;
    });
    expect(failed).to.include({ status: 'False', message: 'configmaps does not implement the scale subresource' });
    expect((await pdb('odd')).status?.disruptionsAllowed).to.equal(0);
    const events = await view.events('default', 'PodDisruptionBudget', 'odd', 'CalculateExpectedPodCountFailed');
    expect(events[0]?.message).to.equal('Failed to calculate the number of expected pods: configmaps does not implement the scale subresource');
  });

  it('sets a DisruptionTarget condition back to False when the pod was not deleted within two minutes', async () => {
    expect((await k(['run', 'marked', '--image=registry.local/app:1', '--labels=app=marked'])).code).to.equal(0);
    const ready = await waitFor('marked ready', async () => {
      const [p] = await view.pods('default', 'app=marked');
      return p && isReadyPod(p) && p;
    });
    const stale = new Date(Date.now() - 3 * 60_000);
    const conditions = [
      ...(ready.status?.conditions ?? []),
      { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: stale },
    ];
    await view.core.replaceNamespacedPodStatus({ name: 'marked', namespace: 'default', body: { ...ready, status: { ...ready.status, conditions } } });
    const cleared = await waitFor('DisruptionTarget=False', async () => {
      const p = await view.core.readNamespacedPod({ name: 'marked', namespace: 'default' });
      const c = p.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
      return c?.status === 'False' && c;
    });
    expect(cleared.reason).to.equal(undefined);
  });

  it('a ReplicationController keeps its replicas with pods it owns, scales with kubectl, and reports ready replicas', async () => {
    const rc = {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'legacy' },
      spec: {
        replicas: 2,
        selector: { app: 'legacy' },
        template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'c', image: 'registry.local/app:1' }] } },
      },
    };
    const r = await k(['create', '-f', '-'], JSON.stringify(rc));
    expect(r.code, r.stderr).to.equal(0);
    const created: V1ReplicationController = JSON.parse((await k(['get', 'rc', 'legacy', '-o', 'json'])).stdout);
    const readyPods = (n: number) =>
      waitFor(`${n} ready legacy pods`, async () => {
        const pods = await view.pods('default', 'app=legacy');
        return pods.length === n && pods.every(isReadyPod) && pods;
      });
    const pods = await readyPods(2);
    for (const p of pods) {
      expect(p.metadata?.ownerReferences).to.deep.equal([
        { apiVersion: 'v1', kind: 'ReplicationController', name: 'legacy', uid: created.metadata?.uid, controller: true, blockOwnerDeletion: true },
      ]);
      expect(p.metadata?.name).to.match(/^legacy-[a-z0-9]{5}$/);
    }
    expect((await k(['scale', 'rc', 'legacy', '--replicas=3'])).code).to.equal(0);
    await readyPods(3);
    await waitFor('rc status', async () => {
      const out = await k(['get', 'rc', 'legacy', '--no-headers']);
      return /^legacy\s+3\s+3\s+3\s+/.test(out.stdout);
    });
    const events = await view.events('default', 'ReplicationController', 'legacy', 'SuccessfulCreate');
    expect(events.map((e) => e.source?.component)).to.include('replication-controller');
    // an RC's pods count against its scale for a percentage budget
    expect((await k(['create', 'pdb', 'legacy', '--selector=app=legacy', '--min-available=50%'])).code).to.equal(0);
    await budgetSettled('legacy', { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 });
  });

  it('finds the scale of a workload it has no informer for through its /scale subresource (as for StatefulSets)', async () => {
    const kc: KubeConfig = kubeConfigFrom(cluster.server.kubeconfigPath);
    const rc: V1ReplicationController = JSON.parse((await k(['get', 'rc', 'legacy', '-o', 'json'])).stdout);
    // informers that were never started know no workload: only the /scale path can answer
    const empty = { get: () => undefined, list: () => [], waitForSync: async () => {} } as never;
    const finders = new ScaleFinders(kc, { replicationControllers: empty, replicaSets: empty, deployments: empty });
    const ref = { apiVersion: 'v1', kind: 'ReplicationController', name: 'legacy', uid: rc.metadata!.uid! };
    expect(await finders.find(ref, 'default')).to.deep.equal({ uid: rc.metadata!.uid, scale: 3 });
    expect(await finders.find({ ...ref, uid: 'another-uid' }, 'default')).to.equal(undefined);
    let err: Error | undefined;
    try {
      await finders.find({ apiVersion: 'v1', kind: 'ConfigMap', name: 'kube-root-ca.crt', uid: 'x' }, 'default');
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.equal('configmaps does not implement the scale subresource');
  });
});
