import { expect } from 'chai';
import { Informer } from '@skiff/common';
import { useApiserver } from '@skiff/common/testing/index';
import type { V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import type { ControllerManagerHandle } from '../src/manager.ts';
import type { FakeKubelet } from './support/fake-kubelet.ts';
import { ClusterView, deploymentManifest, isReadyPod, kubeConfigFrom, startTestKubelet, startTestManager, waitFor } from './support/cluster.ts';
import { podNames, replayScaling, scalingSteps } from './support/events.ts';

const revisionOf = (o: { metadata?: { annotations?: Record<string, string> } }) => o.metadata?.annotations?.['deployment.kubernetes.io/revision'];

// Issue 3, acceptance 2: rolling updates, rollout status / undo / history, pause, deadline.
describe('controller-manager: Deployment rollouts (real apiserver, kubectl)', function () {
  this.timeout(180_000);
  let cm: ControllerManagerHandle | undefined;
  let kubelet: FakeKubelet | undefined;
  after(async () => {
    await kubelet?.stop();
    await cm?.stop();
  });
  const cluster = useApiserver();
  let view: ClusterView;
  const kubectl = (...args: string[]) => cluster.server.kubectl('1.32', args);

  before(async () => {
    view = new ClusterView(cluster.server.kubeconfigPath);
    cm = await startTestManager(cluster.server.kubeconfigPath);
    kubelet = await startTestKubelet(cluster.server.kubeconfigPath);
  });

  const rolledOut = (name: string, replicas: number, image: string) =>
    waitFor(
      `${name} rolled out to ${image}`,
      async () => {
        const d = await view.deployment('default', name);
        const pods = await view.allPods('default', `app=${name}`);
        const s = d.status ?? {};
        return (
          s.observedGeneration === d.metadata?.generation &&
          s.updatedReplicas === replicas &&
          s.replicas === replicas &&
          s.availableReplicas === replicas &&
          pods.length === replicas &&
          pods.every((p) => p.spec?.containers?.[0]?.image === image && isReadyPod(p))
        );
      },
      60_000,
    );

  it('kubectl set image rolls out within maxSurge and maxUnavailable at every watch event', async () => {
    let r = await cluster.server.kubectl('1.32', ['apply', '-f', '-'], { stdin: deploymentManifest('roll', { replicas: 4, maxSurge: 1, maxUnavailable: 1 }) });
    expect(r.code, r.stderr).to.equal(0);
    await rolledOut('roll', 4, 'registry.local/web:1');

    // Record every pod and ReplicaSet watch event and check the bounds on the caches at that
    // moment. The surge is bounded, as upstream bounds it, on the ReplicaSets' replicas: the pods
    // follow them through each ReplicaSet's own controller, so an old pod can still be live for
    // a moment after its ReplicaSet was scaled down and the new one's pod created (6 pods were
    // seen once under load). Ready pods are bounded directly: nothing old is removed before
    // enough new pods are available.
    const kc = kubeConfigFrom(cluster.server.kubeconfigPath);
    const pods = new Informer<V1Pod>({
      kubeConfig: kc,
      path: '/api/v1/namespaces/default/pods',
      labelSelector: 'app=roll',
      list: () => view.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=roll' }),
    });
    const replicaSets = new Informer<V1ReplicaSet>({
      kubeConfig: kc,
      path: '/apis/apps/v1/namespaces/default/replicasets',
      labelSelector: 'app=roll',
      list: () => view.apps.listNamespacedReplicaSet({ namespace: 'default', labelSelector: 'app=roll' }),
    });
    const violations: string[] = [];
    let events = 0;
    let maxWanted = 0,
      minReady = Infinity;
    let recording = false; // the initial list arrives one add at a time
    const check = () => {
      if (!recording) return;
      events++;
      const wanted = replicaSets.list('default').reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
      const ready = pods
        .list('default')
        .filter((p) => !p.metadata?.deletionTimestamp)
        .filter(isReadyPod).length;
      maxWanted = Math.max(maxWanted, wanted);
      minReady = Math.min(minReady, ready);
      if (wanted > 5) violations.push(`event ${events}: ReplicaSets want ${wanted} pods > replicas + maxSurge (5)`);
      if (ready < 3) violations.push(`event ${events}: ${ready} ready pods < replicas - maxUnavailable (3)`);
    };
    pods.on({ add: check, update: check, delete: check });
    replicaSets.on({ add: check, update: check, delete: check });
    await pods.start();
    await replicaSets.start();
    await pods.waitForSync();
    await replicaSets.waitForSync();
    recording = true;
    try {
      r = await kubectl('set', 'image', 'deployment/roll', 'web=registry.local/web:2');
      expect(r.code, r.stderr).to.equal(0);
      const status = await kubectl('rollout', 'status', 'deployment/roll', '--timeout=60s');
      expect(status.code, status.stderr).to.equal(0);
      expect(status.stdout).to.include('deployment "roll" successfully rolled out');
      await rolledOut('roll', 4, 'registry.local/web:2');
    } finally {
      pods.stop();
      replicaSets.stop();
    }
    expect(violations).to.deep.equal([]);
    expect(events).to.be.greaterThan(8);
    expect(maxWanted).to.equal(5); // the surge was used
    expect(minReady).to.be.at.least(3);

    const rss = await view.replicaSets('default', 'app=roll');
    expect(rss).to.have.length(2);
    const byRev = Object.fromEntries(rss.map((rs) => [revisionOf(rs), rs]));
    expect(byRev['1']?.spec?.replicas).to.equal(0);
    expect(byRev['2']?.spec?.replicas).to.equal(4);
    const d = await view.deployment('default', 'roll');
    expect(revisionOf(d)).to.equal('2');
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).to.equal('NewReplicaSetAvailable');
    await expectRolloutEvents(byRev['1']!.metadata!.name!, byRev['2']!.metadata!.name!);
  });

  /** The Events replay the rollout: old 0 -> 4 -> 0 and new 0 -> 4 in steps, 4 pods made and removed each. */
  async function expectRolloutEvents(oldName: string, newName: string) {
    // the recorder sends in the background: wait until both chains reach their final size
    const scaling = await waitFor(
      'ScalingReplicaSet events up to the final sizes',
      async () => {
        const ev = await view.events('default', 'Deployment', 'roll', 'ScalingReplicaSet');
        const steps = scalingSteps(ev);
        return replayScaling(steps, oldName) === 0 && replayScaling(steps, newName) === 4 && ev;
      },
      10_000,
    );
    const steps = scalingSteps(scaling);
    expect(steps.filter((st) => st.rs !== oldName && st.rs !== newName)).to.deep.equal([]);
    expect(steps).to.deep.include({ rs: oldName, from: 0, to: 4 });
    expect(steps).to.deep.include({ rs: newName, from: 0, to: 1 }); // created at maxSurge
    expect(steps.filter((st) => st.rs === newName).length).to.be.greaterThan(1); // grew in steps
    expect(scaling.every((e) => e.count === 1)).to.equal(true);

    const newPods = (await view.pods('default', 'app=roll')).map((p) => p.metadata!.name!);
    const forNew = await waitFor(
      '4 SuccessfulCreate on the new ReplicaSet',
      async () => {
        const ev = await view.events('default', 'ReplicaSet', newName);
        return podNames(ev, 'SuccessfulCreate').length >= 4 && ev;
      },
      10_000,
    );
    expect(podNames(forNew, 'SuccessfulCreate')).to.have.members(newPods);
    expect(podNames(forNew, 'SuccessfulDelete')).to.deep.equal([]);
    const forOld = await waitFor(
      '4 SuccessfulDelete on the old ReplicaSet',
      async () => {
        const ev = await view.events('default', 'ReplicaSet', oldName);
        return podNames(ev, 'SuccessfulDelete').length >= 4 && ev;
      },
      10_000,
    );
    expect(podNames(forOld, 'SuccessfulCreate')).to.have.length(4);
    expect(podNames(forOld, 'SuccessfulDelete')).to.have.members(podNames(forOld, 'SuccessfulCreate'));
  }

  it('rollout history lists the revisions and rollout undo returns to the previous template', async () => {
    let r = await kubectl('rollout', 'history', 'deployment/roll');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/REVISION\s+CHANGE-CAUSE/);
    expect(r.stdout).to.match(/^1\s+<none>/m);
    expect(r.stdout).to.match(/^2\s+<none>/m);
    r = await kubectl('rollout', 'history', 'deployment/roll', '--revision=1');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('registry.local/web:1');

    const rev1 = (await view.replicaSets('default', 'app=roll')).find((rs) => revisionOf(rs) === '1')!;
    r = await kubectl('rollout', 'undo', 'deployment/roll');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('deployment.apps/roll rolled back');
    const status = await kubectl('rollout', 'status', 'deployment/roll', '--timeout=60s');
    expect(status.code, status.stderr).to.equal(0);
    await rolledOut('roll', 4, 'registry.local/web:1');

    const rss = await view.replicaSets('default', 'app=roll');
    expect(rss).to.have.length(2); // the old ReplicaSet came back, no third one
    const reused = rss.find((rs) => rs.metadata?.uid === rev1.metadata?.uid)!;
    expect(revisionOf(reused)).to.equal('3');
    expect(reused.metadata?.annotations?.['deployment.kubernetes.io/revision-history']).to.equal('1');
    expect(reused.spec?.replicas).to.equal(4);
    expect(revisionOf(await view.deployment('default', 'roll'))).to.equal('3');
    r = await kubectl('rollout', 'history', 'deployment/roll');
    expect(r.stdout).to.match(/^2\s+<none>/m);
    expect(r.stdout).to.match(/^3\s+<none>/m);
    expect(r.stdout).to.not.match(/^1\s+<none>/m);
  });

  it('kubectl rollout restart rolls out a new ReplicaSet', async () => {
    const before = new Set((await view.replicaSets('default', 'app=roll')).map((rs) => rs.metadata?.uid));
    const r = await kubectl('rollout', 'restart', 'deployment/roll');
    expect(r.code, r.stderr).to.equal(0);
    const status = await kubectl('rollout', 'status', 'deployment/roll', '--timeout=60s');
    expect(status.code, status.stderr).to.equal(0);
    const rss = await view.replicaSets('default', 'app=roll');
    const fresh = rss.filter((rs) => !before.has(rs.metadata?.uid));
    expect(fresh).to.have.length(1);
    expect(fresh[0]!.spec?.template?.metadata?.annotations).to.have.property('kubectl.kubernetes.io/restartedAt');
    expect(revisionOf(fresh[0]!)).to.equal('4');
  });

  it('a paused deployment does not roll until resumed', async () => {
    let r = await kubectl('rollout', 'pause', 'deployment/roll');
    expect(r.code, r.stderr).to.equal(0);
    r = await kubectl('set', 'image', 'deployment/roll', 'web=registry.local/web:3');
    expect(r.code, r.stderr).to.equal(0);
    const paused = await waitFor('Progressing=DeploymentPaused', async () => {
      const d = await view.deployment('default', 'roll');
      const c = d.status?.conditions?.find((x) => x.type === 'Progressing');
      return c?.reason === 'DeploymentPaused' && d.status?.observedGeneration === d.metadata?.generation && { d, c };
    });
    expect(paused.c).to.include({ status: 'Unknown', message: 'Deployment is paused' });
    await new Promise((res) => setTimeout(res, 1500));
    const rss = await view.replicaSets('default', 'app=roll');
    expect(rss.some((rs) => rs.spec?.template?.spec?.containers?.[0]?.image === 'registry.local/web:3')).to.equal(false);
    const pods = await view.pods('default', 'app=roll');
    expect(pods.every((p) => p.spec?.containers?.[0]?.image !== 'registry.local/web:3')).to.equal(true);

    r = await kubectl('rollout', 'resume', 'deployment/roll');
    expect(r.code, r.stderr).to.equal(0);
    const status = await kubectl('rollout', 'status', 'deployment/roll', '--timeout=60s');
    expect(status.code, status.stderr).to.equal(0);
    await rolledOut('roll', 4, 'registry.local/web:3');
  });

  it('Recreate removes every old pod before the new ones start', async () => {
    let r = await cluster.server.kubectl('1.32', ['apply', '-f', '-'], { stdin: deploymentManifest('recreate', { replicas: 3, strategy: 'Recreate' }) });
    expect(r.code, r.stderr).to.equal(0);
    await rolledOut('recreate', 3, 'registry.local/web:1');
    const kc = kubeConfigFrom(cluster.server.kubeconfigPath);
    const pods = new Informer<V1Pod>({
      kubeConfig: kc,
      path: '/api/v1/namespaces/default/pods',
      labelSelector: 'app=recreate',
      list: () => view.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=recreate' }),
    });
    const mixed: string[] = [];
    const check = () => {
      const images = new Set(pods.list('default').map((p) => p.spec?.containers?.[0]?.image));
      if (images.size > 1) mixed.push([...images].join(','));
    };
    pods.on({ add: check, update: check, delete: check });
    await pods.start();
    await pods.waitForSync();
    try {
      r = await kubectl('set', 'image', 'deployment/recreate', 'web=registry.local/web:2');
      expect(r.code, r.stderr).to.equal(0);
      const status = await kubectl('rollout', 'status', 'deployment/recreate', '--timeout=60s');
      expect(status.code, status.stderr).to.equal(0);
      await rolledOut('recreate', 3, 'registry.local/web:2');
    } finally {
      pods.stop();
    }
    expect(mixed).to.deep.equal([]);
  });

  it('an image that never gets Ready ends in ProgressDeadlineExceeded, and rollout status says so', async () => {
    let r = await cluster.server.kubectl('1.32', ['apply', '-f', '-'], { stdin: deploymentManifest('stuck', { replicas: 2, progressDeadlineSeconds: 3 }) });
    expect(r.code, r.stderr).to.equal(0);
    await rolledOut('stuck', 2, 'registry.local/web:1');
    r = await kubectl('set', 'image', 'deployment/stuck', 'web=registry.local/never-ready:1');
    expect(r.code, r.stderr).to.equal(0);
    const status = await kubectl('rollout', 'status', 'deployment/stuck', '--timeout=60s');
    expect(status.code).to.not.equal(0);
    expect(status.stderr).to.include('deployment "stuck" exceeded its progress deadline');
    const d = await view.deployment('default', 'stuck');
    const c = d.status?.conditions?.find((x) => x.type === 'Progressing');
    expect(c).to.include({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(c?.message).to.match(/^ReplicaSet "stuck-[a-z0-9]+" has timed out progressing\.$/);
    // the old pods kept serving: maxUnavailable 25% of 2 rounds down to 0
    expect((await view.pods('default', 'app=stuck')).filter(isReadyPod)).to.have.length(2);
  });
});
