// The shared ControllerRevision helpers: naming, hashing, numbering, comparison and pruning.
import { expect } from 'chai';
import {
  controllerRevisionHashLabel,
  findEqualRevisions,
  hashRevisionData,
  newControllerRevision,
  nextRevision,
  revisionName,
  revisionsToPrune,
  sortRevisions,
} from '../src/controllers/history/revisions.ts';

const owner = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'kube-system', uid: 'u-1' } };
const data = (image: string) => ({ spec: { template: { $patch: 'replace', spec: { containers: [{ name: 'a', image }] } } } });

describe('controller history: revisions', () => {
  it('names a revision <owner>-<hash>, labels it with the hash and makes the owner its controller', () => {
    const r = newControllerRevision(owner, { app: 'agent' }, data('busybox:1'), 1);
    const hash = hashRevisionData(data('busybox:1'));
    expect(r.metadata.name).to.equal(`agent-${hash}`);
    expect(r.metadata.namespace).to.equal('kube-system');
    expect(r.metadata.labels).to.deep.equal({ app: 'agent', [controllerRevisionHashLabel]: hash });
    expect(r.metadata.ownerReferences).to.deep.equal([
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'u-1', controller: true, blockOwnerDeletion: true },
    ]);
    expect(hash).to.match(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
  });

  it('hashes equal data equally regardless of key order, and a collision count moves the hash', () => {
    expect(hashRevisionData({ a: 1, b: 2 })).to.equal(hashRevisionData({ b: 2, a: 1 }));
    expect(hashRevisionData(data('x'))).to.not.equal(hashRevisionData(data('y')));
    expect(hashRevisionData(data('x'), 1)).to.not.equal(hashRevisionData(data('x')));
  });

  it('truncates a long owner name so the revision name stays within 253 characters', () => {
    expect(revisionName('a'.repeat(300), 'hash').length).to.equal(223 + 5);
  });

  it('numbers the next revision after the highest and finds equal ones oldest first', () => {
    const r1 = newControllerRevision(owner, {}, data('v1'), 1);
    const r3 = newControllerRevision(owner, {}, data('v2'), 3);
    const r2 = newControllerRevision(owner, {}, data('v1'), 2);
    expect(nextRevision([])).to.equal(1);
    expect(nextRevision([r1, r3, r2])).to.equal(4);
    expect(sortRevisions([r3, r1, r2]).map((r) => r.revision)).to.deep.equal([1, 2, 3]);
    expect(findEqualRevisions([r3, r2, r1], r1).map((r) => r.revision)).to.deep.equal([1, 2]);
  });

  it('prunes the oldest dead revisions beyond the history limit and never a live one', () => {
    const revs = [1, 2, 3, 4, 5].map((n) => newControllerRevision(owner, {}, data(`v${n}`), n));
    const live = new Set([revs[0].metadata.name as string, revs[4].metadata.name as string]);
    expect(revisionsToPrune(revs, live, 2).map((r) => r.revision)).to.deep.equal([2]);
    expect(revisionsToPrune(revs, live, 0).map((r) => r.revision)).to.deep.equal([2, 3, 4]);
    expect(revisionsToPrune(revs, live, 10)).to.deep.equal([]);
  });
});
