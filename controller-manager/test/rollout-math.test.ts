import { expect } from 'chai';
import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { scaledValue } from '@skiff/common/apimachinery/int-or-string';
import {
  maxSurge,
  maxUnavailable,
  newReplicaSetReplicas,
  planOldReplicaSetScaleDown,
  proportionalScale,
  resolveFenceposts,
  findActiveOrLatest,
} from '../src/controllers/deployment/replica-math.ts';
import { computePodTemplateHash, templatesEqualIgnoringHash } from '../src/controllers/deployment/hash.ts';
import { setNewReplicaSetAnnotations } from '../src/controllers/deployment/annotations.ts';
import { calculateStatus, deploymentTimedOut, updateProgressingCondition } from '../src/controllers/deployment/conditions.ts';
import { podsToDelete } from '../src/controllers/replicaset/pod-ranking.ts';
import { slowStartBatch } from '../src/lib/slow-start.ts';
import { Expectations } from '../src/lib/expectations.ts';

function deployment(
  replicas: number,
  surge: number | string = '25%',
  unavailable: number | string = '25%',
  extra: Partial<V1Deployment['spec']> = {},
): V1Deployment {
  return {
    metadata: { name: 'd', generation: 1, annotations: {} },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'd' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
      template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } },
      ...extra,
    },
    status: {},
  };
}
let seq = 0;
function rs(name: string, replicas: number, available = replicas, annotations: Record<string, string> = {}): V1ReplicaSet {
  seq++;
  return {
    metadata: { name, annotations, creationTimestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, seq)) },
    spec: { replicas, selector: {}, template: {} },
    status: { replicas, availableReplicas: available, readyReplicas: available },
  };
}

describe('rollout math (pure)', () => {
  it('scales IntOrString: percent surge rounds up, unavailable rounds down', () => {
    expect(scaledValue('25%', 10, true)).to.equal(3);
    expect(scaledValue('25%', 10, false)).to.equal(2);
    expect(scaledValue(2, 10, true)).to.equal(2);
    expect(scaledValue('7', 10, false)).to.equal(7);
    expect(() => scaledValue('x%', 10, true)).to.throw(/invalid value for IntOrString/);
  });

  it('resolves fenceposts; 0 and 0 becomes unavailable 1; unavailable is capped at replicas', () => {
    expect(resolveFenceposts(deployment(4))).to.deep.equal({ surge: 1, unavailable: 1 });
    expect(resolveFenceposts(deployment(3, 0, '10%'))).to.deep.equal({ surge: 0, unavailable: 1 });
    expect(maxUnavailable(deployment(2, 1, 5))).to.equal(2);
    expect(maxUnavailable(deployment(0))).to.equal(0);
    const recreate = deployment(3);
    recreate.spec!.strategy = { type: 'Recreate' };
    expect(maxSurge(recreate)).to.equal(0);
  });

  it('grows the new ReplicaSet only within replicas + maxSurge', () => {
    const d = deployment(10, 3, 2);
    const old = rs('old', 10);
    const fresh = rs('new', 0);
    expect(newReplicaSetReplicas(d, [old, fresh], fresh)).to.equal(3);
    const grown = rs('new', 3);
    expect(newReplicaSetReplicas(d, [old, grown], grown)).to.equal(3);
    expect(newReplicaSetReplicas(d, [rs('old', 7), grown], grown)).to.equal(6);
  });

  it('shrinks old ReplicaSets: unhealthy replicas first, then down to replicas - maxUnavailable', () => {
    const d = deployment(10, 3, 2);
    const old = rs('old', 10, 10);
    const fresh = rs('new', 3, 0);
    // 13 total, min available 8, 3 new unavailable: 2 may go
    expect([...planOldReplicaSetScaleDown(d, [old, fresh], [old], fresh)]).to.deep.equal([['old', 8]]);
    const sick = rs('sick', 4, 1);
    const healthy = rs('healthy', 6, 6);
    const n = rs('n2', 3, 3);
    const plan = planOldReplicaSetScaleDown(d, [sick, healthy, n], [sick, healthy], n);
    // the 3 unavailable of "sick" go first; then availability 10 allows 2 more
    expect(plan.get('sick')).to.equal(0);
    expect(plan.get('healthy')).to.equal(5);
  });

  it('scales proportionally in the middle of a rollout, leftovers to the largest', () => {
    const d = deployment(20, 3, 2); // was 10 (+3 surge = 13 max)
    const a = rs('a', 8, 8, { 'deployment.kubernetes.io/max-replicas': '13' });
    const b = rs('b', 5, 0, { 'deployment.kubernetes.io/max-replicas': '13' });
    const plan = proportionalScale(d, [a, b])!;
    expect(plan.direction).to.equal('up');
    // 23 allowed: a 8*23/13 = 14.15 -> 14, b 5*23/13 = 8.8 -> 9
    expect(plan.sizes.get('a')).to.equal(14);
    expect(plan.sizes.get('b')).to.equal(9);
    const down = proportionalScale(deployment(5, 1, 1), [a, b])!;
    expect(down.direction).to.equal('down');
    expect([...down.sizes.values()].reduce((x, y) => x + y)).to.equal(6);
  });

  it('finds the single active ReplicaSet, or the newest when none is active', () => {
    const o1 = rs('o1', 0),
      o2 = rs('o2', 0);
    expect(findActiveOrLatest(undefined, [o1, o2])?.metadata?.name).to.equal('o2');
    expect(findActiveOrLatest(undefined, [o1, rs('o3', 2), rs('o4', 1)])).to.equal(undefined);
  });

  it('hashes templates stably into the safe alphabet, and compares them ignoring the hash label', () => {
    const t = deployment(1).spec!.template;
    const h = computePodTemplateHash(t);
    expect(h).to.match(/^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    expect(computePodTemplateHash(structuredClone(t))).to.equal(h);
    expect(computePodTemplateHash(t, 1)).to.not.equal(h);
    const labelled = structuredClone(t);
    labelled.metadata!.labels!['pod-template-hash'] = h;
    expect(templatesEqualIgnoringHash(t, labelled)).to.equal(true);
    const other = structuredClone(t);
    other.spec!.containers[0]!.image = 'i:2';
    expect(templatesEqualIgnoringHash(t, other)).to.equal(false);
  });

  it('gives a returning ReplicaSet the next revision and remembers the old one', () => {
    const d = deployment(3);
    d.metadata!.annotations = { 'kubernetes.io/change-cause': 'undo', 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
    const back = rs('back', 0, 0, { 'deployment.kubernetes.io/revision': '1' });
    expect(setNewReplicaSetAnnotations(d, back, 3, true, 3, 4)).to.equal(true);
    expect(back.metadata!.annotations).to.deep.equal({
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
      'kubernetes.io/change-cause': 'undo',
    });
    const created = rs('created', 0, 0, {});
    setNewReplicaSetAnnotations(d, created, 1, false, 3, 4);
    expect(created.metadata!.annotations).to.include({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
  });

  it('reports Available and Progressing with upstream reasons, and times out after the deadline', () => {
    const d = deployment(3, 1, 0, { progressDeadlineSeconds: 10 });
    const n = rs('d-abc', 3, 3);
    const done = updateProgressingCondition(d, n, calculateStatus([n], n, d));
    expect(done.conditions!.find((c) => c.type === 'Available')).to.include({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(done.conditions!.find((c) => c.type === 'Progressing')).to.include({
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: 'ReplicaSet "d-abc" has successfully progressed.',
    });
    const stuck = rs('d-new', 1, 0);
    const t0 = new Date('2024-01-01T00:00:00Z');
    d.status = {
      replicas: 4,
      updatedReplicas: 1,
      availableReplicas: 3,
      readyReplicas: 3,
      conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: t0, lastTransitionTime: t0 }],
    };
    const s = calculateStatus([n, stuck], stuck, d);
    expect(deploymentTimedOut(d, s, t0.getTime() + 5_000)).to.equal(false);
    expect(deploymentTimedOut(d, s, t0.getTime() + 11_000)).to.equal(true);
    const timed = updateProgressingCondition(d, stuck, s, new Date(t0.getTime() + 11_000));
    expect(timed.conditions!.find((c) => c.type === 'Progressing')).to.include({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: 'ReplicaSet "d-new" has timed out progressing.',
    });
  });
});

function pod(name: string, o: { node?: string; phase?: string; ready?: boolean; created?: number; restarts?: number } = {}): V1Pod {
  return {
    metadata: { name, creationTimestamp: new Date(o.created ?? 0) },
    spec: { nodeName: o.node, containers: [] },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: new Date(o.created ?? 0) }],
      containerStatuses: [{ name: 'c', image: '', imageID: '', ready: true, restartCount: o.restarts ?? 0 }],
    },
  };
}

describe('ReplicaSet building blocks (pure)', () => {
  it('deletes unscheduled, then pending, then not ready, then doubled-up, then newest pods first', () => {
    const pods = [
      pod('old-ready', { node: 'n1', created: 1000 }),
      pod('new-ready', { node: 'n2', created: 5000 }),
      pod('not-ready', { node: 'n1', ready: false, created: 100 }),
      pod('pending', { node: 'n1', phase: 'Pending', ready: false, created: 50 }),
      pod('unscheduled', { phase: 'Pending', ready: false, created: 10 }),
    ];
    expect(podsToDelete(pods, pods, 4).map((p) => p.metadata!.name)).to.deep.equal(['unscheduled', 'pending', 'not-ready', 'old-ready']);
    // with n1 crowded, the doubled-up pod goes before the newer one alone on n2
    expect(podsToDelete(pods, pods, 5)).to.have.length(5);
  });

  it('creates in slow-start batches 1, 2, 4, ... and stops at the first failing batch', async () => {
    let calls = 0;
    const ok = await slowStartBatch(10, 1, async () => {
      calls++;
    });
    expect(ok).to.deep.equal({ succeeded: 10 });
    expect(calls).to.equal(10);
    calls = 0;
    const failing = await slowStartBatch(100, 1, async () => {
      calls++;
      if (calls > 3) throw new Error('quota');
    });
    // batches 1 and 2 succeed (3 calls), the batch of 4 fails: 7 calls in all, not 100
    expect(calls).to.equal(7);
    expect(failing.succeeded).to.equal(3);
    expect((failing.firstError as Error).message).to.equal('quota');
  });

  it('expectations block a sync until creations and deletions are observed, or expire', () => {
    let now = 0;
    const e = new Expectations(1000, () => now);
    expect(e.satisfied('ns/rs')).to.equal(true);
    e.expectCreations('ns/rs', 2);
    expect(e.satisfied('ns/rs')).to.equal(false);
    e.creationObserved('ns/rs');
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).to.equal(true);
    e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
    e.deletionObserved('ns/rs', 'ns/a');
    e.deletionObserved('ns/rs', 'ns/a');
    expect(e.satisfied('ns/rs')).to.equal(false);
    now = 2000;
    expect(e.satisfied('ns/rs')).to.equal(true);
  });

  it('creations and deletions expected by one sync are both waited for (a DaemonSet rolls one node, starts another)', () => {
    const e = new Expectations(1000, () => 0);
    e.expectCreations('ns/ds', 1);
    e.expectDeletions('ns/ds', ['ns/old']);
    e.deletionObserved('ns/ds', 'ns/old');
    expect(e.satisfied('ns/ds'), 'the creation is still pending').to.equal(false);
    e.creationObserved('ns/ds');
    expect(e.satisfied('ns/ds')).to.equal(true);
    e.expectDeletions('ns/ds', ['ns/a']);
    e.expectCreations('ns/ds', 1);
    e.creationObserved('ns/ds');
    expect(e.satisfied('ns/ds'), 'the deletion is still pending').to.equal(false);
    // a satisfied expectation is replaced, not added to
    e.deletionObserved('ns/ds', 'ns/a');
    e.expectCreations('ns/ds', 1);
    e.creationObserved('ns/ds');
    expect(e.satisfied('ns/ds')).to.equal(true);
  });
});
