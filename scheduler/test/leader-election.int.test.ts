// Two schedulers on one cluster: only the Lease holder binds; when it dies the other takes over.
import { expect } from 'chai';
import { useApiserver } from '@skiff/common/testing/index';
import type { ComponentHandle } from '@skiff/common/testing/index';
import { api, createNamespace, createNode, createPod, logOf, nodeOf, startScheduler, waitFor } from './cluster-helpers.ts';

describe('scheduler leader election', function () {
  this.timeout(90_000);
  const cluster = useApiserver();
  const schedulers: ComponentHandle[] = [];
  const leArgs = ['--leader-elect=true', '--leader-elect-lease-duration=3', '--leader-elect-renew-deadline=2', '--leader-elect-retry-period=0.5'];

  after(async () => {
    await Promise.all(schedulers.map((s) => s.stop()));
  });

  it('binds through the leader only, and fails over when the leader is killed', async () => {
    const s = cluster.server;
    await createNamespace(s, 'le');
    await createNode(s, 'le-node');
    schedulers.push(await startScheduler(s, leArgs), await startScheduler(s, leArgs));
    const leader = await waitFor('a leader', async () => schedulers.find((h) => logOf(h).includes('became leader')));
    const follower = schedulers.find((h) => h !== leader)!;
    const lease = await api(s, 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler');
    expect(lease.spec.holderIdentity).to.be.a('string').and.not.equal('');

    await createPod(s, 'le', 'first');
    expect(await nodeOf(s, 'le', 'first')).to.equal('le-node');
    // events leave through the recorder's queue, a moment after the binding
    const scheduled = await waitFor('the Scheduled event', async () => {
      const found = (await api(s, 'GET', '/api/v1/namespaces/le/events')).items.filter((e: any) => e.reason === 'Scheduled');
      return found.length > 0 && found;
    });
    expect(scheduled.map((e: any) => e.reportingInstance)).to.deep.equal([lease.spec.holderIdentity]);
    expect(logOf(follower)).not.to.include('became leader');

    // SIGKILL: no lease hand-over, the follower must wait out the lease
    process.kill(leader.pid, 'SIGKILL');
    await waitFor('the follower to lead', async () => logOf(follower).includes('became leader'), 20_000);
    await createPod(s, 'le', 'second');
    expect(await nodeOf(s, 'le', 'second')).to.equal('le-node');
    const after = await api(s, 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler');
    expect(after.spec.holderIdentity).not.to.equal(lease.spec.holderIdentity);
    expect(after.spec.leaseTransitions).to.be.greaterThan(lease.spec.leaseTransitions ?? 0);
  });
});
