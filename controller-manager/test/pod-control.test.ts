// PodControl against the real apiserver: pods created in slow-start batches under
// expectations with SuccessfulCreate events on the owner, a template the apiserver refuses
// costs one call and one FailedCreate, deletes record SuccessfulDelete, and a pod already gone
// (or replaced, under a uid precondition) records nothing.
import { CoreV1Api, type CoreV1Event, type V1Pod } from '@kubernetes/client-node';
import { EventRecorder, loadKubeConfig } from '@skiff/common';
import { useApiserver } from '@skiff/common/testing/index';
import { expect } from 'chai';
import { Expectations } from '../src/lib/expectations.ts';
import { PodControl } from '../src/lib/pod-control.ts';

describe('PodControl (create and delete pods for an owner, with events)', function () {
  this.timeout(60_000);
  const cluster = useApiserver();
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'owner', namespace: 'default', uid: 'owner-uid' };
  let core: CoreV1Api;
  let events: EventRecorder;
  let control: PodControl;

  before(() => {
    const kc = loadKubeConfig(cluster.server.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
    events = EventRecorder.forKubeConfig(kc, { component: 'test-controller' });
    control = new PodControl(core, events);
  });

  const pod = (name: string, image = 'busybox'): V1Pod => ({ metadata: { name, labels: { app: 'pc' } }, spec: { containers: [{ name: 'c', image }] } });
  const ownerEvents = async (): Promise<CoreV1Event[]> => {
    await events.flush(5000);
    return (await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=owner' })).items;
  };
  const messages = async (reason: string) => (await ownerEvents()).filter((e) => e.reason === reason).map((e) => e.message);

  it('creates pods under expectations and records each on the owner', async () => {
    const expectations = new Expectations();
    const seen: string[] = [];
    const r = await control.createPods(
      expectations,
      'default/owner',
      owner,
      'default',
      5,
      (i) => pod(`made-${i}`),
      (p) => seen.push(p.metadata!.name!),
    );
    expect(r).to.deep.equal({ created: 5, error: undefined });
    expect(seen.sort()).to.deep.equal(['made-0', 'made-1', 'made-2', 'made-3', 'made-4']);
    expect(expectations.satisfied('default/owner'), 'no creation observed yet').to.equal(false);
    for (let i = 0; i < 5; i++) expectations.creationObserved('default/owner');
    expect(expectations.satisfied('default/owner')).to.equal(true);
    expect((await messages('SuccessfulCreate')).sort()).to.deep.equal([0, 1, 2, 3, 4].map((i) => `Created pod: made-${i}`));
  });

  it('stops at the first refused batch: one call, one FailedCreate, the rest observed at once', async () => {
    const expectations = new Expectations();
    let calls = 0;
    const r = await control.createPods(expectations, 'default/bad', owner, 'default', 8, () => {
      calls++;
      return pod('Not_A_Name');
    });
    expect(r.created).to.equal(0);
    expect((r.error as { code?: number }).code).to.equal(422);
    expect(calls).to.equal(1);
    expect(expectations.satisfied('default/bad')).to.equal(true);
    const failed = await messages('FailedCreate');
    expect(failed).to.have.length(1);
    expect(failed[0]).to.match(/^Error creating: /);
  });

  it('deletes pods with SuccessfulDelete; a pod already gone is no failure and no event', async () => {
    const expectations = new Expectations();
    const victims = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=pc' })).items.slice(0, 2);
    const ghost = { metadata: { name: 'never-was', namespace: 'default' } };
    const failure = await control.deletePods(expectations, 'default/owner', owner, [...victims, ghost]);
    expect(failure).to.equal(undefined);
    expect(expectations.satisfied('default/owner'), 'two deletions still to be observed').to.equal(false);
    const deleted = await messages('SuccessfulDelete');
    expect(deleted.sort()).to.deep.equal(victims.map((p) => `Deleted pod: ${p.metadata?.name}`).sort());
    expect(await messages('FailedDelete')).to.deep.equal([]);
  });

  it('a uid precondition that no longer holds throws Conflict and records nothing', async () => {
    const live = await core.readNamespacedPod({ name: 'made-4', namespace: 'default' });
    let thrown: unknown;
    await control.deletePod(owner, 'default', 'made-4', 'some-earlier-uid').catch((e) => {
      thrown = e;
    });
    expect((thrown as { code?: number }).code).to.equal(409);
    expect(await messages('FailedDelete')).to.deep.equal([]);
    await control.deletePod(owner, 'default', 'made-4', live.metadata?.uid);
    expect(await messages('SuccessfulDelete')).to.include('Deleted pod: made-4');
  });

  it('patches ownerReferences guarded by the resourceVersion', async () => {
    const live = await core.readNamespacedPod({ name: 'made-3', namespace: 'default' });
    const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'owner', uid: 'owner-uid', controller: true, blockOwnerDeletion: true };
    const adopted = await control.patchOwnerRefs(live, [ref]);
    expect(adopted.metadata?.ownerReferences).to.deep.equal([ref]);
    let thrown: unknown;
    await control.patchOwnerRefs(live, []).catch((e) => {
      thrown = e;
    });
    expect((thrown as { code?: number }).code, 'stale resourceVersion').to.equal(409);
  });
});
