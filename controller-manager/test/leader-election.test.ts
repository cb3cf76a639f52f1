import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { startComponent, useApiserver, type ComponentHandle } from '@skiff/common/testing/index';
import type { FakeKubelet } from './support/fake-kubelet.ts';
import { ClusterView, deploymentManifest, isReadyPod, startTestKubelet, waitFor } from './support/cluster.ts';

const logOf = (c: ComponentHandle) => {
  try {
    return readFileSync(c.logFile, 'utf8');
  } catch {
    return '';
  }
};
const leads = (c: ComponentHandle) => logOf(c).includes('"msg":"became leader"');
const startedControllers = (c: ComponentHandle) => logOf(c).includes('"msg":"started controller"');

// Issue 3, acceptance 6: two controller-manager processes, one Lease.
describe('controller-manager: leader election between two processes', function () {
  this.timeout(120_000);
  let a: ComponentHandle | undefined;
  let b: ComponentHandle | undefined;
  let kubelet: FakeKubelet | undefined;
  after(async () => {
    await kubelet?.stop();
    await a?.stop();
    await b?.stop();
  });
  const cluster = useApiserver();

  it('only the leader acts; when it is killed the other takes over', async () => {
    const view = new ClusterView(cluster.server.kubeconfigPath);
    const args = [
      `--kubeconfig=${cluster.server.kubeconfigPath}`,
      '--port=0',
      '--leader-elect-lease-duration=4',
      '--leader-elect-renew-deadline=3',
      '--leader-elect-retry-period=0.5',
    ];
    a = await startComponent({ workspace: 'controller-manager', args });
    b = await startComponent({ workspace: 'controller-manager', args });
    kubelet = await startTestKubelet(cluster.server.kubeconfigPath);
    await waitFor('a leader', async () => leads(a!) || leads(b!));
    await new Promise((r) => setTimeout(r, 1500)); // long enough for a second leader to show up, were there one
    expect(leads(a) && leads(b), 'both became leader').to.equal(false);
    const [leader, standby] = leads(a) ? [a, b] : [b, a];
    expect(startedControllers(standby), 'the standby runs no controllers').to.equal(false);

    let r = await cluster.server.kubectl('1.32', ['apply', '-f', '-'], { stdin: deploymentManifest('ha', { replicas: 2 }) });
    expect(r.code, r.stderr).to.equal(0);
    await waitFor('2 ready pods from the leader', async () => (await view.pods('default', 'app=ha')).filter(isReadyPod).length === 2);
    expect(startedControllers(standby)).to.equal(false);

    // a crash, not a clean stop: the lease is not released and must expire
    const killedAt = Date.now();
    process.kill(leader.pid, 'SIGKILL');
    await waitFor('the standby to take over', async () => leads(standby), 20_000);
    const tookMs = Date.now() - killedAt;
    expect(tookMs).to.be.below(10_000);
    r = await cluster.server.kubectl('1.32', ['scale', 'deployment/ha', '--replicas=3']);
    expect(r.code, r.stderr).to.equal(0);
    await waitFor('the new leader to scale to 3', async () => (await view.pods('default', 'app=ha')).filter(isReadyPod).length === 3);
    const coordination = await cluster.server.kubectl('1.32', [
      'get',
      'lease',
      '-n',
      'kube-system',
      'kube-controller-manager',
      '-o',
      'jsonpath={.spec.holderIdentity} {.spec.leaseTransitions}',
    ]);
    expect(coordination.code, coordination.stderr).to.equal(0);
    const [holder, transitions] = coordination.stdout.split(' ');
    expect(logOf(standby)).to.include(`"identity":"${holder}"`);
    expect(Number(transitions)).to.equal(1);
  });
});

// Issue 13: a controller-manager that loses its Lease does not idle; it exits and its
// supervisor (scripts/supervise.sh under make up) restarts it.
describe('controller-manager: losing the Lease', function () {
  this.timeout(120_000);
  const cluster = useApiserver();

  it('exits ("leaderelection lost") when another holder takes the Lease, as kube-controller-manager does', async () => {
    const args = [`--kubeconfig=${cluster.server.kubeconfigPath}`, '--port=0', '--leader-elect-lease-duration=4', '--leader-elect-retry-period=0.5'];
    const c = await startComponent({ workspace: 'controller-manager', args });
    try {
      await waitFor('the leader', async () => leads(c), 20_000);
      const now = new Date().toISOString().replace('Z', '000Z');
      const r = await cluster.server.kubectl('1.33', [
        '-n',
        'kube-system',
        'patch',
        'lease',
        'kube-controller-manager',
        '--type=merge',
        '-p',
        JSON.stringify({ spec: { holderIdentity: 'thief', renewTime: now, leaseDurationSeconds: 30 } }),
      ]);
      expect(r.code, r.stderr).to.equal(0);
      const alive = () => {
        try {
          process.kill(c.pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      await waitFor('the controller-manager to exit', async () => !alive(), 15_000);
      expect(logOf(c)).to.include('"msg":"lost leadership"').and.include('"msg":"leaderelection lost"');
    } finally {
      await c.stop();
    }
  });
});
