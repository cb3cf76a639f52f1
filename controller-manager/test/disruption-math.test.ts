// The arithmetic of the disruption controller (budget-math.ts), case by case as upstream's
// disruption_test.go states it.
import { expect } from 'chai';
import type { V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { buildDisruptedPodMap, countHealthyPods, disruptionsAllowed, expectedPodCount, type ScaleFinder } from '../src/controllers/disruption/budget-math.ts';
import { conditionsAreUpToDate, updateDisruptionAllowedCondition } from '@skiff/common/policy/disruption-budget';
import { staleDisruptionDelayMs } from '../src/controllers/disruption/stale-condition.ts';

const owner = (uid: string, kind = 'ReplicaSet') => ({
  apiVersion: kind === 'ReplicationController' ? 'v1' : 'apps/v1',
  kind,
  name: `owner-${uid}`,
  uid,
  controller: true,
});
const pod = (name: string, o: { ready?: boolean; ownerUid?: string; deleting?: boolean } = {}): V1Pod => ({
  metadata: {
    name,
    namespace: 'ns',
    ownerReferences: o.ownerUid ? [owner(o.ownerUid)] : undefined,
    deletionTimestamp: o.deleting ? new Date() : undefined,
  },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
});
const pdb = (spec: V1PodDisruptionBudget['spec'], status: V1PodDisruptionBudget['status'] = undefined): V1PodDisruptionBudget => ({
  metadata: { name: 'b', namespace: 'ns', generation: 1 },
  spec: { selector: { matchLabels: { app: 'x' } }, ...spec },
  status,
});
const scales =
  (byUid: Record<string, number>): ScaleFinder =>
  async (ref) =>
    byUid[ref.uid] === undefined ? undefined : { uid: ref.uid, scale: byUid[ref.uid]! };

describe('disruption controller: budget arithmetic', () => {
  it('an integer minAvailable counts against the pods that exist, without asking any controller', async () => {
    const pods = [pod('a'), pod('b'), pod('c')];
    const r = await expectedPodCount(pdb({ minAvailable: 2 }), pods, scales({}));
    expect(r).to.deep.equal({ expectedCount: 3, desiredHealthy: 2, unmanagedPods: [] });
    expect(disruptionsAllowed(countHealthyPods(pods, {}, Date.now()), r.desiredHealthy, r.expectedCount)).to.equal(1);
  });

  it('a percentage minAvailable counts against the controllers’ scale, rounded up', async () => {
    const pods = [pod('a', { ownerUid: 'rs1' }), pod('b', { ownerUid: 'rs1' }), pod('c', { ownerUid: 'rs2' })];
    const r = await expectedPodCount(pdb({ minAvailable: '50%' }), pods, scales({ rs1: 4, rs2: 3 }));
    expect(r).to.deep.equal({ expectedCount: 7, desiredHealthy: 4, unmanagedPods: [] });
    // 3 healthy of 4 desired: nothing may go
    expect(disruptionsAllowed(3, r.desiredHealthy, r.expectedCount)).to.equal(0);
  });

  it('maxUnavailable subtracts from the scale (a percentage rounded up) and never goes below 0', async () => {
    const pods = [pod('a', { ownerUid: 'd' }), pod('b', { ownerUid: 'd' }), pod('c', { ownerUid: 'd' })];
    expect(await expectedPodCount(pdb({ maxUnavailable: 1 }), pods, scales({ d: 3 }))).to.include({ expectedCount: 3, desiredHealthy: 2 });
    expect(await expectedPodCount(pdb({ maxUnavailable: '50%' }), pods, scales({ d: 3 }))).to.include({ expectedCount: 3, desiredHealthy: 1 });
    expect(await expectedPodCount(pdb({ maxUnavailable: 5 }), pods, scales({ d: 3 }))).to.include({ desiredHealthy: 0 });
  });

  it('reports pods without a controller and fails on a controller no finder knows', async () => {
    const r = await expectedPodCount(pdb({ maxUnavailable: 1 }), [pod('bare'), pod('owned', { ownerUid: 'rs' })], scales({ rs: 2 }));
    expect(r).to.deep.equal({ expectedCount: 2, desiredHealthy: 1, unmanagedPods: ['bare'] });
    let err: Error | undefined;
    try {
      await expectedPodCount(pdb({ maxUnavailable: 1 }), [pod('lost', { ownerUid: 'gone' })], scales({}));
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.equal('found no controllers for pod "lost"');
  });

  it('allows nothing while no pod is expected, even with healthy pods', () => {
    expect(disruptionsAllowed(2, 0, 0)).to.equal(0);
    expect(disruptionsAllowed(2, 0, 2)).to.equal(2);
  });

  it('does not count unready pods, pods being deleted, or pods an eviction recorded within the 2-minute timeout', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const pods = [pod('ready'), pod('unready', { ready: false }), pod('deleting', { deleting: true }), pod('evicted'), pod('stale')];
    const recorded = {
      evicted: new Date(now - 60_000),
      stale: new Date(now - 3 * 60_000),
      deleting: new Date(now - 1000),
      gone: new Date(now - 1000),
    };
    const map = buildDisruptedPodMap(pods, pdb({ minAvailable: 1 }, { disruptedPods: recorded } as never), now);
    // gone and being-deleted pods drop out; a stale entry (not deleted within 2 minutes) too
    expect(Object.keys(map.pods)).to.deep.equal(['evicted']);
    expect(map.expired).to.deep.equal(['stale']);
    expect(map.recheckAtMs).to.equal(now - 60_000 + 120_000);
    expect(countHealthyPods(pods, map.pods, now)).to.equal(2); // ready and stale
  });

  it('keeps the DisruptionAllowed condition in step with disruptionsAllowed', () => {
    const b = pdb({ minAvailable: 1 }, { disruptionsAllowed: 1, observedGeneration: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 });
    expect(conditionsAreUpToDate(b as never)).to.equal(false);
    updateDisruptionAllowedCondition(b as never, new Date('2026-01-01T00:00:00Z'));
    expect(b.status!.conditions).to.deep.equal([
      {
        type: 'DisruptionAllowed',
        status: 'True',
        reason: 'SufficientPods',
        message: '',
        observedGeneration: 1,
        lastTransitionTime: new Date('2026-01-01T00:00:00Z'),
      },
    ]);
    expect(conditionsAreUpToDate(b as never)).to.equal(true);
    b.status!.disruptionsAllowed = 0;
    expect(conditionsAreUpToDate(b as never)).to.equal(false);
    updateDisruptionAllowedCondition(b as never, new Date('2026-01-01T00:01:00Z'));
    expect(b.status!.conditions![0]).to.include({ status: 'False', reason: 'InsufficientPods' });
    expect(b.status!.conditions![0]!.lastTransitionTime).to.deep.equal(new Date('2026-01-01T00:01:00Z'));
    // a generation the controller has not observed is never up to date
    b.metadata!.generation = 2;
    expect(conditionsAreUpToDate(b as never)).to.equal(false);
  });

  it('a DisruptionTarget condition on a pod not being deleted goes stale two minutes after it was set', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const marked = (reason: string, setAgoMs: number, extra: Partial<V1Pod['status']> = {}, deleting = false): V1Pod => ({
      metadata: { name: 'p', deletionTimestamp: deleting ? new Date(now) : undefined },
      status: { phase: 'Running', conditions: [{ type: 'DisruptionTarget', status: 'True', reason, lastTransitionTime: new Date(now - setAgoMs) }], ...extra },
    });
    expect(staleDisruptionDelayMs(marked('EvictionByEvictionAPI', 30_000), now)).to.equal(90_000);
    expect(staleDisruptionDelayMs(marked('PreemptionByScheduler', 5 * 60_000), now)).to.equal(0);
    expect(staleDisruptionDelayMs(marked('TerminationByKubelet', 5 * 60_000), now)).to.equal(undefined);
    expect(staleDisruptionDelayMs(marked('EvictionByEvictionAPI', 5 * 60_000, { phase: 'Failed' }), now)).to.equal(undefined);
    expect(staleDisruptionDelayMs(marked('EvictionByEvictionAPI', 5 * 60_000, {}, true), now)).to.equal(undefined);
    expect(staleDisruptionDelayMs(pod('plain'), now)).to.equal(undefined);
  });
});
