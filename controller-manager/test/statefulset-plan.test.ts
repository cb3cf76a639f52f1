// The StatefulSet controller's decisions, without an apiserver: ordering, scale-down order,
// partition and maxUnavailable math, minReadySeconds, and how a pod's identity is built.
import { expect } from 'chai';
import type { V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { createsFromCurrent, maxUnavailable, planStatefulSet, type PlanInput } from '../src/controllers/statefulset/plan.ts';
import { desiredClaimOwners, newStatefulSetPod, parsePodName, storageMatches } from '../src/controllers/statefulset/identity.ts';
import { revisionData, templateOf } from '../src/controllers/statefulset/revision-data.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');

function set(spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}): V1StatefulSet {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'set-uid', generation: 1 },
    spec: {
      replicas: 3,
      serviceName: 'nginx',
      selector: { matchLabels: { app: 'web' } },
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      ...spec,
    } as V1StatefulSet['spec'],
    status: status as unknown as V1StatefulSet['status'],
  };
}

type PodState = 'ready' | 'pending' | 'notready' | 'failed' | 'terminating';
function pod(ordinal: number, state: PodState = 'ready', revision = 'rev-1', readySince = NOW - 60_000): V1Pod {
  const running = state === 'ready' || state === 'notready' || state === 'terminating';
  return {
    metadata: {
      name: `web-${ordinal}`,
      namespace: 'default',
      uid: `uid-${ordinal}`,
      labels: { app: 'web', 'controller-revision-hash': revision },
      ...(state === 'terminating' ? { deletionTimestamp: new Date(NOW) } : {}),
    },
    status: {
      phase: state === 'pending' ? 'Pending' : state === 'failed' ? 'Failed' : running ? 'Running' : 'Pending',
      conditions: [{ type: 'Ready', status: state === 'ready' || state === 'terminating' ? 'True' : 'False', lastTransitionTime: new Date(readySince) }],
    },
  };
}

function plan(s: V1StatefulSet, pods: V1Pod[], extra: Partial<PlanInput> = {}) {
  return planStatefulSet({
    set: s,
    pods,
    currentRevision: 'rev-1',
    updateRevision: 'rev-1',
    inOrder: () => true,
    claimIsStale: () => false,
    now: NOW,
    ...extra,
  });
}
const summary = (p: ReturnType<typeof plan>) =>
  p.actions.map((a) =>
    a.type === 'create' ? `create ${a.ordinal} ${a.revision}` : `${a.type} ${a.pod.metadata?.name}${a.type === 'delete' ? ` ${a.why}` : ''}`,
  );

describe('statefulset controller: plan', () => {
  it('OrderedReady creates ordinal 0 first and waits for it to be Running and Ready', () => {
    expect(summary(plan(set(), []))).to.deep.equal(['create 0 update']);
    expect(summary(plan(set(), [pod(0, 'pending')]))).to.deep.equal([]);
    expect(summary(plan(set(), [pod(0, 'notready')]))).to.deep.equal([]);
    expect(summary(plan(set(), [pod(0)]))).to.deep.equal(['create 1 update']);
    expect(summary(plan(set(), [pod(0), pod(1)]))).to.deep.equal(['create 2 update']);
  });

  it('Parallel creates every missing ordinal at once', () => {
    const p = plan(set({ podManagementPolicy: 'Parallel' }), [pod(1, 'pending')]);
    expect(summary(p)).to.deep.equal(['create 0 update', 'create 2 update']);
    expect(p.status.replicas).to.equal(3);
  });

  it('honours .spec.ordinals.start', () => {
    const s = set({ ordinals: { start: 5 }, replicas: 2 });
    expect(summary(plan(s, []))).to.deep.equal(['create 5 update']);
    expect(summary(plan(s, [pod(5)]))).to.deep.equal(['create 6 update']);
    // web-0 is outside [5, 7): scaled away
    expect(summary(plan(s, [pod(0), pod(5), pod(6)]))).to.deep.equal(['delete web-0 condemned']);
  });

  it('waits minReadySeconds before the next ordinal and asks to be woken then', () => {
    const s = set({ minReadySeconds: 10 });
    const p = plan(s, [pod(0, 'ready', 'rev-1', NOW - 4_000)]);
    expect(summary(p)).to.deep.equal([]);
    expect(p.requeueAfterMs).to.be.within(6_000, 6_200);
    expect(p.status.readyReplicas).to.equal(1);
    expect(p.status.availableReplicas).to.equal(0);
    expect(summary(plan(s, [pod(0, 'ready', 'rev-1', NOW - 11_000)]))).to.deep.equal(['create 1 update']);
  });

  it('scales down from the highest ordinal, one at a time, and only when all are healthy', () => {
    const s = set({ replicas: 1 });
    expect(summary(plan(s, [pod(0), pod(1), pod(2)]))).to.deep.equal(['delete web-2 condemned']);
    expect(summary(plan(s, [pod(0), pod(1), pod(2, 'terminating')]))).to.deep.equal([]);
    expect(summary(plan(set({ replicas: 1, podManagementPolicy: 'Parallel' }), [pod(0), pod(1), pod(2)]))).to.deep.equal([
      'delete web-2 condemned',
      'delete web-1 condemned',
    ]);
    // a not-ready condemned pod that is the first unhealthy one may go; one behind it may not
    expect(summary(plan(s, [pod(0), pod(1, 'notready'), pod(2)]))).to.deep.equal(['delete web-2 condemned']);
    expect(summary(plan(s, [pod(0), pod(1, 'notready'), pod(2, 'notready')]))).to.deep.equal([]);
    expect(summary(plan(set({ replicas: 2 }), [pod(0), pod(1, 'notready'), pod(2, 'notready')]))).to.deep.equal([]);
  });

  it('deletes a failed pod so that it is made again', () => {
    expect(summary(plan(set(), [pod(0), pod(1, 'failed'), pod(2)]))).to.deep.equal(['delete web-1 failed']);
  });

  it('rolls from the highest ordinal down, one unavailable at a time', () => {
    const pods = [pod(0), pod(1), pod(2)];
    const upd = { updateRevision: 'rev-2' };
    expect(summary(plan(set(), pods, upd))).to.deep.equal(['delete web-2 update']);
    expect(summary(plan(set(), [pod(0), pod(1)], upd))).to.deep.equal(['create 2 update']);
    expect(summary(plan(set(), [pod(0), pod(1), pod(2, 'notready', 'rev-2')], upd))).to.deep.equal([]);
    expect(summary(plan(set(), [pod(0), pod(1), pod(2, 'ready', 'rev-2')], upd))).to.deep.equal(['delete web-1 update']);
    const done = plan(set(), [pod(0, 'ready', 'rev-2'), pod(1, 'ready', 'rev-2'), pod(2, 'ready', 'rev-2')], upd);
    expect(summary(done)).to.deep.equal([]);
    expect(done.status).to.include({ updatedReplicas: 3, currentReplicas: 0 });
  });

  it('stops at the partition, and recreates ordinals below it from the current revision', () => {
    const s = set({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    const upd = { updateRevision: 'rev-2' };
    expect(summary(plan(s, [pod(0), pod(1), pod(2)], upd))).to.deep.equal(['delete web-2 update']);
    expect(summary(plan(s, [pod(0), pod(1), pod(2, 'ready', 'rev-2')], upd))).to.deep.equal([]);
    expect(summary(plan(s, [pod(0), pod(2, 'ready', 'rev-2')], upd))).to.deep.equal(['create 1 current']);
    expect(createsFromCurrent(s, 1)).to.equal(true);
    expect(createsFromCurrent(s, 2)).to.equal(false);
    // ordinals start at 10: the partition counts from the first ordinal
    expect(createsFromCurrent(set({ ordinals: { start: 10 }, updateStrategy: s.spec!.updateStrategy }), 11)).to.equal(true);
  });

  it('maxUnavailable lets that many go at once (percentages round up)', () => {
    const s = set({ replicas: 4, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } } });
    const pods = [pod(0), pod(1), pod(2), pod(3)];
    expect(summary(plan(s, pods, { updateRevision: 'rev-2' }))).to.deep.equal(['delete web-3 update', 'delete web-2 update']);
    // OrderedReady waits for the replaced pod to be ready; Parallel counts it against the budget
    expect(summary(plan(s, [pod(0), pod(1), pod(2), pod(3, 'notready', 'rev-2')], { updateRevision: 'rev-2' }))).to.deep.equal([]);
    const parallel = set({ ...s.spec, podManagementPolicy: 'Parallel' });
    expect(summary(plan(parallel, [pod(0), pod(1), pod(2), pod(3, 'notready', 'rev-2')], { updateRevision: 'rev-2' }))).to.deep.equal(['delete web-2 update']);
    expect(maxUnavailable(set({ replicas: 10, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%' } } }))).to.equal(3);
    expect(maxUnavailable(set())).to.equal(1);
  });

  it('OnDelete never deletes for an update, and makes missing pods at the update revision', () => {
    const s = set({ updateStrategy: { type: 'OnDelete' } });
    expect(summary(plan(s, [pod(0), pod(1), pod(2)], { updateRevision: 'rev-2' }))).to.deep.equal([]);
    expect(summary(plan(s, [pod(0), pod(2)], { updateRevision: 'rev-2' }))).to.deep.equal(['create 1 update']);
  });

  it('repairs a pod out of order, and waits while a claim of a pod to create is still going away', () => {
    expect(summary(plan(set(), [pod(0), pod(1), pod(2)], { inOrder: (p) => p.metadata?.name !== 'web-1' }))).to.deep.equal(['repair web-1']);
    const p = plan(set(), [pod(0)], { claimIsStale: (o) => o === 1 });
    expect(summary(p)).to.deep.equal([]);
    expect(p.requeueAfterMs).to.equal(1000);
  });

  it('does nothing for a set being deleted', () => {
    const s = set();
    s.metadata!.deletionTimestamp = new Date(NOW);
    expect(summary(plan(s, [pod(0)]))).to.deep.equal([]);
  });
});

describe('statefulset controller: identity', () => {
  const withClaims = () =>
    set({
      volumeClaimTemplates: [{ metadata: { name: 'data', labels: { tier: 'db' } }, spec: { accessModes: ['ReadWriteOnce'] } }],
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'c', image: 'nginx' }],
          volumes: [
            { name: 'data', emptyDir: {} },
            { name: 'cfg', emptyDir: {} },
          ],
        },
      },
    });

  it('names, labels, hostname, subdomain and claim volumes of a new pod', () => {
    const s = withClaims();
    const p = newStatefulSetPod(s, s.spec!.template, 2, 'web-abc');
    expect(p.metadata?.name).to.equal('web-2');
    expect(p.metadata?.labels).to.deep.equal({
      app: 'web',
      'statefulset.kubernetes.io/pod-name': 'web-2',
      'apps.kubernetes.io/pod-index': '2',
      'controller-revision-hash': 'web-abc',
    });
    expect(p.spec?.hostname).to.equal('web-2');
    expect(p.spec?.subdomain).to.equal('nginx');
    // the claim replaces the template's volume of the same name
    expect(p.spec?.volumes).to.deep.equal([
      { name: 'data', persistentVolumeClaim: { claimName: 'data-web-2' } },
      { name: 'cfg', emptyDir: {} },
    ]);
    expect(p.metadata?.ownerReferences?.[0]).to.include({ kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true });
    expect(storageMatches(s, p)).to.equal(true);
  });

  it('parses names and only ordinals without leading zeros', () => {
    expect(parsePodName('my-db-12')).to.deep.equal({ parent: 'my-db', ordinal: 12 });
    expect(parsePodName('web-01')).to.equal(undefined);
    expect(parsePodName('web')).to.equal(undefined);
  });

  it('claim owners follow persistentVolumeClaimRetentionPolicy', () => {
    const claim = { metadata: { name: 'data-web-2', ownerReferences: [{ apiVersion: 'v1', kind: 'Other', name: 'x', uid: 'x' }] } };
    const policy = (whenDeleted: string, whenScaled: string, replicas = 3) => {
      const s = set({ replicas, persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled } });
      return desiredClaimOwners(s, pod(2), claim).map((r) => r.kind);
    };
    expect(policy('Retain', 'Retain')).to.deep.equal(['Other']);
    expect(policy('Delete', 'Retain')).to.deep.equal(['Other', 'StatefulSet']);
    expect(policy('Retain', 'Delete')).to.deep.equal(['Other']);
    expect(policy('Retain', 'Delete', 2)).to.deep.equal(['Other', 'Pod']);
    expect(policy('Delete', 'Delete', 2)).to.deep.equal(['Other', 'Pod']);
    expect(policy('Delete', 'Retain', 2)).to.deep.equal(['Other', 'StatefulSet']);
  });

  it('a revision holds the template as a replacing patch, and gives it back', () => {
    const s = set();
    const data = revisionData(s);
    expect(data.spec.template.$patch).to.equal('replace');
    expect(templateOf(data)).to.deep.equal(s.spec!.template);
  });
});
