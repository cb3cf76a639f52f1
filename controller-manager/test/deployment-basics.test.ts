import { expect } from 'chai';
import { useApiserver } from '@skiff/common/testing/index';
import type { ControllerManagerHandle } from '../src/manager.ts';
import type { FakeKubelet } from './support/fake-kubelet.ts';
import { ClusterView, deploymentManifest, isReadyPod, startTestKubelet, startTestManager, waitFor } from './support/cluster.ts';
import { podNames } from './support/events.ts';

// Issue 3, acceptance 1: apply, repair, scale.
describe('controller-manager: Deployment and ReplicaSet basics (real apiserver, kubectl)', function () {
  this.timeout(120_000);
  let cm: ControllerManagerHandle | undefined;
  let kubelet: FakeKubelet | undefined;
  // registered before useApiserver's hook so that these stop while the apiserver still runs
  after(async () => {
    await kubelet?.stop();
    await cm?.stop();
  });
  const cluster = useApiserver();
  let view: ClusterView;

  before(async () => {
    view = new ClusterView(cluster.server.kubeconfigPath);
    cm = await startTestManager(cluster.server.kubeconfigPath);
    kubelet = await startTestKubelet(cluster.server.kubeconfigPath);
  });

  const converged = (name: string, replicas: number) =>
    waitFor(
      `${name} at ${replicas} ready replicas`,
      async () => {
        const d = await view.deployment('default', name);
        const pods = await view.pods('default', `app=${name}`);
        const s = d.status ?? {};
        return (
          s.observedGeneration === d.metadata?.generation &&
          s.replicas === replicas &&
          s.readyReplicas === replicas &&
          s.updatedReplicas === replicas &&
          s.availableReplicas === replicas &&
          pods.length === replicas &&
          pods.every(isReadyPod) &&
          pods
        );
      },
      60_000,
    );

  it('kubectl apply of a 3-replica Deployment gives one ReplicaSet and 3 owned pods', async () => {
    const r = await cluster.server.kubectl('1.32', ['apply', '-f', '-'], { stdin: deploymentManifest('web') });
    expect(r.code, r.stderr).to.equal(0);
    const pods = await converged('web', 3);
    const d = await view.deployment('default', 'web');
    const rss = await view.replicaSets('default', 'app=web');
    expect(rss).to.have.length(1);
    const rs = rss[0]!;
    const hash = rs.metadata?.labels?.['pod-template-hash'];
    expect(hash).to.match(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs.metadata?.name).to.equal(`web-${hash}`);
    expect(rs.spec?.selector?.matchLabels).to.deep.equal({ app: 'web', 'pod-template-hash': hash });
    expect(rs.metadata?.annotations?.['deployment.kubernetes.io/revision']).to.equal('1');
    expect(rs.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas']).to.equal('3');
    expect(rs.metadata?.annotations?.['deployment.kubernetes.io/max-replicas']).to.equal('4');
    expect(rs.metadata?.ownerReferences).to.deep.equal([
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata?.uid, controller: true, blockOwnerDeletion: true },
    ]);
    for (const p of pods) {
      expect(p.metadata?.ownerReferences).to.deep.equal([
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata?.name, uid: rs.metadata?.uid, controller: true, blockOwnerDeletion: true },
      ]);
      expect(p.metadata?.name).to.match(new RegExp(`^${rs.metadata?.name}-[a-z0-9]{5}$`));
    }
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).to.equal('1');
    const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
    expect(progressing?.reason).to.equal('NewReplicaSetAvailable');
    expect(progressing?.message).to.equal(`ReplicaSet "${rs.metadata?.name}" has successfully progressed.`);
    const available = d.status?.conditions?.find((c) => c.type === 'Available');
    expect(available).to.include({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    const status = await cluster.server.kubectl('1.32', ['rollout', 'status', 'deployment/web', '--timeout=30s']);
    expect(status.code, status.stderr).to.equal(0);
    expect(status.stdout).to.include('deployment "web" successfully rolled out');
  });

  it('replaces a deleted pod', async () => {
    const before = await view.pods('default', 'app=web');
    const victim = before[0]!.metadata!.name!;
    const r = await cluster.server.kubectl('1.32', ['delete', 'pod', victim, '--wait=false']);
    expect(r.code, r.stderr).to.equal(0);
    const after = await waitFor('a replacement pod', async () => {
      const pods = await view.pods('default', 'app=web');
      return pods.length === 3 && !pods.some((p) => p.metadata?.name === victim) && pods.every(isReadyPod) && pods;
    });
    expect(after.map((p) => p.metadata?.name)).to.not.include(victim);
  });

  it('scales 3 -> 10 -> 2 and converges', async () => {
    let r = await cluster.server.kubectl('1.32', ['scale', 'deployment/web', '--replicas=10']);
    expect(r.code, r.stderr).to.equal(0);
    await converged('web', 10);
    r = await cluster.server.kubectl('1.32', ['scale', 'deployment/web', '--replicas=2']);
    expect(r.code, r.stderr).to.equal(0);
    await converged('web', 2);
    expect(await view.replicaSets('default', 'app=web')).to.have.length(1);
    const rs = (await view.replicaSets('default', 'app=web'))[0]!;
    expect(rs.spec?.replicas).to.equal(2);
    expect(rs.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas']).to.equal('2');
    await expectScalingEvents(rs.metadata!.name!);
  });

  /** One Event per write so far: create at 3, scale to 10, to 2; pods 3 + 1 replacement + 7 made, 8 removed. */
  async function expectScalingEvents(rsName: string) {
    const d = await view.deployment('default', 'web');
    // the recorder sends in the background: wait for the last one, then check there is nothing more
    const scaling = await waitFor(
      '3 ScalingReplicaSet events',
      async () => {
        const ev = await view.events('default', 'Deployment', 'web', 'ScalingReplicaSet');
        return ev.length >= 3 && ev;
      },
      10_000,
    );
    expect(scaling.map((e) => e.message).sort()).to.deep.equal([
      `Scaled down replica set ${rsName} from 10 to 2`,
      `Scaled up replica set ${rsName} from 0 to 3`,
      `Scaled up replica set ${rsName} from 3 to 10`,
    ]);
    for (const e of scaling) {
      expect(e).to.deep.include({ type: 'Normal', count: 1, source: { component: 'deployment-controller' }, reportingComponent: 'deployment-controller' });
      expect(e.involvedObject).to.deep.include({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'default', uid: d.metadata?.uid });
    }
    const rsEvents = await waitFor(
      '11 creates and 8 deletes on the ReplicaSet',
      async () => {
        const ev = await view.events('default', 'ReplicaSet', rsName);
        return podNames(ev, 'SuccessfulCreate').length >= 11 && podNames(ev, 'SuccessfulDelete').length >= 8 && ev;
      },
      10_000,
    );
    const created = podNames(rsEvents, 'SuccessfulCreate');
    const deleted = podNames(rsEvents, 'SuccessfulDelete');
    expect(created).to.have.length(11);
    expect(new Set(created).size).to.equal(11);
    expect(deleted).to.have.length(8);
    expect(created).to.include.members(deleted);
    expect(rsEvents.every((e) => e.type === 'Normal' && e.count === 1 && e.source?.component === 'replicaset-controller')).to.equal(true);
    const live = (await view.pods('default', 'app=web')).map((p) => p.metadata!.name!);
    expect(created).to.include.members(live);

    const describe = await cluster.server.kubectl('1.33', ['describe', 'deployment', 'web']);
    expect(describe.code, describe.stderr).to.equal(0);
    expect(describe.stdout).to.match(/Events:\n.*Type\s+Reason\s+Age\s+From\s+Message/);
    expect(describe.stdout).to.match(new RegExp(`Normal\\s+ScalingReplicaSet\\s+.*deployment-controller\\s+Scaled down replica set ${rsName} from 10 to 2`));
    const describeRs = await cluster.server.kubectl('1.33', ['describe', 'rs', rsName]);
    expect(describeRs.code, describeRs.stderr).to.equal(0);
    expect(describeRs.stdout).to.match(new RegExp(`Normal\\s+SuccessfulCreate\\s+.*replicaset-controller\\s+Created pod: ${live[0]}`));
  }

  it('adopts a matching orphan pod instead of creating one, and releases a relabelled one', async () => {
    const rs = (await view.replicaSets('default', 'app=web'))[0]!;
    const hash = rs.metadata!.labels!['pod-template-hash']!;
    // relabel one owned pod: the ReplicaSet releases it and makes a new one
    const owned = (await view.pods('default', 'app=web'))[0]!;
    let r = await cluster.server.kubectl('1.32', ['label', 'pod', owned.metadata!.name!, 'app=detached', '--overwrite']);
    expect(r.code, r.stderr).to.equal(0);
    await waitFor('the relabelled pod released', async () => {
      const p = await view.core.readNamespacedPod({ namespace: 'default', name: owned.metadata!.name! });
      return (p.metadata?.ownerReferences ?? []).length === 0;
    });
    await waitFor('2 pods again', async () => (await view.pods('default', 'app=web')).length === 2);
    // label it back: now 3 match, the orphan is adopted and one pod goes away
    r = await cluster.server.kubectl('1.32', ['label', 'pod', owned.metadata!.name!, 'app=web', `pod-template-hash=${hash}`, '--overwrite']);
    expect(r.code, r.stderr).to.equal(0);
    await waitFor('back to 2 pods, all owned', async () => {
      const pods = await view.pods('default', 'app=web');
      return pods.length === 2 && pods.every((p) => p.metadata?.ownerReferences?.[0]?.uid === rs.metadata?.uid);
    });
  });
});
