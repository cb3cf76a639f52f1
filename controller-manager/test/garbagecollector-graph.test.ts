import { expect } from 'chai';
import { OwnerGraph, decideForDependent } from '../src/controllers/garbagecollector/graph.ts';
import type { OwnerState } from '../src/controllers/garbagecollector/graph.ts';

const obj = (kind: string, uid: string, owners: string[] = [], extra: Record<string, unknown> = {}) => ({
  apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1',
  kind,
  metadata: {
    name: uid,
    namespace: 'ns',
    uid,
    ownerReferences: owners.map((o) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o, uid: o, blockOwnerDeletion: true })),
    ...extra,
  },
});

describe('garbage collector graph', () => {
  it('links dependents to owners, virtual until the owner is observed', () => {
    const g = new OwnerGraph();
    expect(g.observe(obj('Pod', 'p1', ['rs1'])).ownersChanged).to.equal(true);
    expect(g.get('rs1')!.virtual).to.equal(true);
    expect(g.dependents('rs1').map((d) => d.identity.uid)).to.deep.equal(['p1']);
    g.observe(obj('ReplicaSet', 'rs1'));
    expect(g.get('rs1')!.virtual).to.equal(false);
    expect(g.observe(obj('Pod', 'p1', ['rs1'])).ownersChanged).to.equal(false);
  });

  it('removing an owner reports its dependents and keeps a virtual node for them', () => {
    const g = new OwnerGraph();
    g.observe(obj('ReplicaSet', 'rs1'));
    g.observe(obj('Pod', 'p1', ['rs1']));
    const gone = g.remove('rs1')!;
    expect([...gone.dependents]).to.deep.equal(['p1']);
    expect(g.get('rs1')!.virtual).to.equal(true);
    const pod = g.remove('p1')!;
    expect(pod.owners.map((o) => o.uid)).to.deep.equal(['rs1']);
    expect(g.get('rs1')).to.equal(undefined);
  });

  it('tracks owner reference changes and blocking dependents', () => {
    const g = new OwnerGraph();
    g.observe(obj('Pod', 'p1', ['rs1']));
    g.observe(obj('Pod', 'p2', ['rs1']));
    expect(g.blockingDependents('rs1')).to.have.length(2);
    expect(g.observe(obj('Pod', 'p1', [])).ownersChanged).to.equal(true);
    expect(g.dependents('rs1').map((d) => d.identity.uid)).to.deep.equal(['p2']);
  });

  it('decides as kube does from owner states', () => {
    const g = new OwnerGraph();
    g.observe(obj('Pod', 'p', ['a', 'b']));
    const node = g.get('p')!;
    const st = (a: OwnerState, b: OwnerState) =>
      new Map<string, OwnerState>([
        ['a', a],
        ['b', b],
      ]);
    expect(decideForDependent(node, st('solid', 'solid'), false)).to.deep.equal({ action: 'none' });
    expect(decideForDependent(node, st('solid', 'dangling'), false)).to.deep.equal({ action: 'removeOwnerRefs', uids: ['b'] });
    expect(decideForDependent(node, st('dangling', 'dangling'), false)).to.deep.equal({ action: 'delete', propagationPolicy: 'Background' });
    expect(decideForDependent(node, st('waitingForDependentsDeletion', 'dangling'), true)).to.deep.equal({ action: 'delete', propagationPolicy: 'Foreground' });
    expect(decideForDependent(node, st('waitingForDependentsDeletion', 'dangling'), false)).to.deep.equal({
      action: 'delete',
      propagationPolicy: 'Background',
    });
    g.observe(obj('Pod', 'p', ['a', 'b'], { finalizers: ['orphan'] }));
    expect(decideForDependent(g.get('p')!, st('dangling', 'dangling'), false)).to.deep.equal({ action: 'delete', propagationPolicy: 'Orphan' });
    g.observe(obj('Pod', 'q'));
    expect(decideForDependent(g.get('q')!, new Map(), false)).to.deep.equal({ action: 'none' });
  });
});
