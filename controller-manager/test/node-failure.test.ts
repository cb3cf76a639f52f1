import { expect } from 'chai';
import { useApiserver } from '@skiff/common/testing/index';
import type { ControllerManagerHandle } from '../src/manager.ts';
import type { FakeKubelet } from './support/fake-kubelet.ts';
import { ClusterView, deploymentManifest, isReadyPod, startTestKubelet, startTestManager, waitFor } from './support/cluster.ts';

// Issue 3, acceptance 5: a node that stops renewing its lease becomes NotReady, is tainted,
// its pods are evicted, and their ReplicaSet recreates them on the node that is still alive.
describe('controller-manager: a node that stops heartbeating', function () {
  this.timeout(120_000);
  let cm: ControllerManagerHandle | undefined;
  let doomed: FakeKubelet | undefined;
  let survivor: FakeKubelet | undefined;
  after(async () => {
    await doomed?.stop();
    await survivor?.stop();
    await cm?.stop();
  });
  const cluster = useApiserver();
  let view: ClusterView;

  before(async () => {
    view = new ClusterView(cluster.server.kubeconfigPath);
    // short timeouts, as a lab sets them (the fake kubelet renews its lease every 10 s):
    // NotReady after 15 s without a renewal, eviction 2 s after the taint
    cm = await startTestManager(cluster.server.kubeconfigPath, {
      nodeMonitorGracePeriodSeconds: 15,
      nodeMonitorPeriodSeconds: 1,
      defaultTolerationSecondsOverride: 2,
    });
    doomed = await startTestKubelet(cluster.server.kubeconfigPath, { nodeName: 'doomed' });
  });

  it('evicts its pods and the ReplicaSet recreates them elsewhere', async () => {
    const apply = await cluster.server.kubectl('1.32', ['apply', '-f', '-'], { stdin: deploymentManifest('survive', { replicas: 3 }) });
    expect(apply.code, apply.stderr).to.equal(0);
    const first = await waitFor(
      '3 ready pods on the doomed node',
      async () => {
        const pods = await view.pods('default', 'app=survive');
        return pods.length === 3 && pods.every((p) => isReadyPod(p) && p.spec?.nodeName === 'doomed') && pods;
      },
      60_000,
    );
    const firstNames = first.map((p) => p.metadata!.name);

    // a second node joins; then the first one dies (no more lease renewals, no more status)
    survivor = await startTestKubelet(cluster.server.kubeconfigPath, { nodeName: 'survivor' });
    await doomed!.stop();
    doomed = undefined;

    const node = await waitFor(
      'doomed NotReady and tainted',
      async () => {
        const n = await view.core.readNode({ name: 'doomed' });
        const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
        const taints = (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`);
        return (
          ready?.status === 'Unknown' &&
          taints.includes('node.kubernetes.io/unreachable:NoExecute') &&
          taints.includes('node.kubernetes.io/unreachable:NoSchedule') &&
          n
        );
      },
      30_000,
    );
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.reason).to.equal('NodeStatusUnknown');

    const replaced = await waitFor(
      '3 ready replacements on the survivor',
      async () => {
        const pods = await view.pods('default', 'app=survive');
        return pods.length === 3 && pods.every((p) => isReadyPod(p) && p.spec?.nodeName === 'survivor') && pods;
      },
      60_000,
    );
    expect(replaced.map((p) => p.metadata!.name)).to.not.include.members(firstNames);
    // the evicted pods were asked to go (they stay Terminating until a kubelet confirms, as upstream)
    const all = await view.allPods('default', 'app=survive');
    for (const name of firstNames) {
      const old = all.find((p) => p.metadata!.name === name);
      if (old) expect(old.metadata?.deletionTimestamp, name).to.not.equal(undefined);
    }
  });
});
