// Issue 21: the controller-manager's /healthz carries upstream's leaderElection check, and its
// /readyz fails while it leads without running controllers.
import { expect } from 'chai';
import { leaseRenewalOverdue } from '@skiff/common';
import { freePort, startComponent, useApiserver, type ComponentHandle } from '@skiff/common/testing/index';
import { waitFor } from './support/cluster.ts';

describe('leader election health check', () => {
  it('is overdue only past the lease duration plus the tolerance', () => {
    const renewed = 1_000_000;
    expect(leaseRenewalOverdue(renewed, renewed + 34_000, 15, 20)).to.equal(false);
    expect(leaseRenewalOverdue(renewed, renewed + 35_000, 15, 20)).to.equal(false);
    expect(leaseRenewalOverdue(renewed, renewed + 35_001, 15, 20)).to.equal(true);
    expect(leaseRenewalOverdue(renewed, renewed + 5_000, 4, 0)).to.equal(true);
  });
});

describe('controller-manager: /healthz and /readyz with leader election', function () {
  this.timeout(90_000);
  const cluster = useApiserver();
  let cm: ComponentHandle | undefined;
  after(async () => {
    await cm?.stop();
  });

  it('reports the leaderElection check and is ready once it leads with its controllers running', async () => {
    const port = await freePort();
    cm = await startComponent({
      workspace: 'controller-manager',
      args: [
        `--kubeconfig=${cluster.server.kubeconfigPath}`,
        `--port=${port}`,
        '--leader-elect-lease-duration=4',
        '--leader-elect-renew-deadline=3',
        '--leader-elect-retry-period=0.5',
      ],
    });
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: res.status, body: await res.text() };
    };
    await waitFor('ready', async () => (await get('/readyz')).status === 200);
    const health = await get('/healthz?verbose');
    expect(health.status).to.equal(200);
    expect(health.body).to.include('[+]leaderElection ok');
    const lease = await cluster.server.kubectl('1.32', [
      '-n',
      'kube-system',
      'get',
      'lease',
      'kube-controller-manager',
      '-o',
      'jsonpath={.spec.holderIdentity}',
    ]);
    expect(lease.stdout).to.not.equal('');
  });
});
