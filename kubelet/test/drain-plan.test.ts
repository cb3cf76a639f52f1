// Which pods a kubelet shutting down with --drain-on-shutdown evicts, waits for or leaves
// (kubectl drain's choice with --ignore-daemonsets --delete-emptydir-data --force, finished
// pods aside), and the grace period each eviction asks for.
import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { drainPlan, evictionGraceSeconds, podKey } from '../src/node/drain-plan.ts';

function pod(name: string, extra: { meta?: Record<string, unknown>; spec?: Record<string, unknown>; phase?: string } = {}): V1Pod {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, ...extra.meta },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }], ...extra.spec },
    status: { phase: extra.phase ?? 'Running' },
  };
}

const owner = (kind: string, controller = true) => ({ ownerReferences: [{ apiVersion: 'apps/v1', kind, name: 'x', uid: 'u', controller }] });

describe('drain plan of a kubelet shutting down', () => {
  it('evicts replicated, bare and emptyDir pods; skips mirror, DaemonSet and finished pods; waits for terminating ones', () => {
    const plan = drainPlan([
      pod('web-1', { meta: owner('ReplicaSet') }),
      pod('bare'),
      pod('scratch', { spec: { volumes: [{ name: 'v', emptyDir: {} }] } }),
      pod('static-n1', { meta: { annotations: { 'kubernetes.io/config.mirror': 'abc' } } }),
      pod('agent-x', { meta: owner('DaemonSet') }),
      // an owner that is not the controller does not make it a DaemonSet pod
      pod('adopted', { meta: owner('DaemonSet', false) }),
      pod('job-done', { meta: owner('Job'), phase: 'Succeeded' }),
      pod('crashed', { phase: 'Failed' }),
      pod('leaving', { meta: { deletionTimestamp: new Date() } }),
      pod('pending', { phase: 'Pending' }),
    ]);
    expect(plan.evict.map(podKey)).to.deep.equal(['ns/adopted', 'ns/bare', 'ns/pending', 'ns/scratch', 'ns/web-1']);
    expect(plan.terminating.map(podKey)).to.deep.equal(['ns/leaving']);
    expect(plan.skipped.map((s) => `${podKey(s.pod)}: ${s.reason}`)).to.deep.equal([
      'ns/agent-x: DaemonSet pod',
      'ns/crashed: finished (Failed)',
      'ns/job-done: finished (Succeeded)',
      'ns/static-n1: mirror pod',
    ]);
  });

  it('a terminating DaemonSet pod is still skipped, not waited for', () => {
    const plan = drainPlan([pod('agent', { meta: { ...owner('DaemonSet'), deletionTimestamp: new Date() } })]);
    expect(plan.terminating).to.have.length(0);
    expect(plan.skipped.map((s) => s.reason)).to.deep.equal(['DaemonSet pod']);
  });

  it("asks for the pod's own grace period, cut to what is left of the budget, never 0", () => {
    const graced = (s: number | undefined) => pod('p', { spec: { terminationGracePeriodSeconds: s } });
    expect(evictionGraceSeconds(graced(5), 30_000)).to.equal(5);
    expect(evictionGraceSeconds(graced(undefined), 60_000)).to.equal(30);
    expect(evictionGraceSeconds(graced(60), 12_500)).to.equal(12);
    expect(evictionGraceSeconds(graced(0), 30_000)).to.equal(1);
    expect(evictionGraceSeconds(graced(10), 200)).to.equal(1);
  });
});
