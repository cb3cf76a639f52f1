// VolumeBinding over the claims, volumes and classes the informers keep: missing and unbound
// immediate claims stop the pod before any node is tried; a bound local volume pins the pod
// to its node; WaitForFirstConsumer claims fit where they can be provisioned or bound.
import { expect } from 'chai';
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { CycleState } from '../src/framework/interface.ts';
import type { Status } from '../src/framework/status.ts';
import { errNodeConflict, errNoVolumeToBind, errUnboundImmediate, volumeBinding } from '../src/plugins/volume-binding.ts';
import { VolumeView } from '../src/volumes.ts';
import { makeNode, makePod, nodeInfo, pi, viewOf } from './fixtures.ts';

const nodes = [nodeInfo(makeNode('a')), nodeInfo(makeNode('b'))];
const claim = (name: string, o: { volumeName?: string; storageClassName?: string } = {}): V1PersistentVolumeClaim => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: o.storageClassName ?? '', volumeName: o.volumeName },
});
const volume = (name: string, node?: string, o: { storageClassName?: string; claimed?: boolean } = {}): V1PersistentVolume => ({
  metadata: { name },
  spec: {
    capacity: { storage: '1Gi' },
    accessModes: ['ReadWriteOnce'],
    storageClassName: o.storageClassName ?? '',
    hostPath: { path: `/data/${name}` },
    claimRef: o.claimed ? { name: 'someone', namespace: 'default', uid: 'x' } : undefined,
    nodeAffinity: node
      ? { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } }
      : undefined,
  },
  status: { phase: o.claimed ? 'Bound' : 'Available' },
});

function schedule(view: VolumeView, claimName: string | undefined): { pre: Status | null | object; fits: (string | true)[] } {
  const plugin = volumeBinding(view);
  const st = new CycleState();
  const pod = pi(makePod('p', { spec: claimName ? { volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] } : {} }));
  const pre = plugin.preFilter(st, pod, viewOf(nodes));
  const fits = nodes.map((n) => {
    const s = plugin.filter(st, pod, n, viewOf(nodes));
    return s === null ? true : s.message();
  });
  return { pre, fits };
}

describe('scheduler: VolumeBinding', () => {
  it('skips pods without claims', () => {
    const r = schedule(new VolumeView(), undefined);
    expect((r.pre as Status).code).to.equal('Skip');
  });

  it('stops on a missing claim and on an unbound claim of an Immediate class', () => {
    const view = new VolumeView();
    expect((schedule(view, 'nope').pre as Status).message()).to.equal('persistentvolumeclaim "nope" not found');
    view.setClaim(claim('waiting'));
    const r = schedule(view, 'waiting');
    expect((r.pre as Status).code).to.equal('UnschedulableAndUnresolvable');
    expect((r.pre as Status).message()).to.equal(errUnboundImmediate);
  });

  it('pins a pod whose claim is bound to a local volume to that volume node', () => {
    const view = new VolumeView();
    view.setClaim(claim('data', { volumeName: 'pv-on-b' }));
    view.setVolume(volume('pv-on-b', 'b'));
    const r = schedule(view, 'data');
    expect(r.pre).to.equal(null);
    expect(r.fits).to.deep.equal([errNodeConflict, true]);
  });

  it('WaitForFirstConsumer: any node when the class provisions, else only nodes with an available volume', () => {
    const view = new VolumeView();
    view.setClass({ metadata: { name: 'local-path' }, provisioner: 'skiff.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' });
    view.setClass({ metadata: { name: 'static' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' });
    view.setClaim(claim('dynamic', { storageClassName: 'local-path' }));
    expect(schedule(view, 'dynamic').fits).to.deep.equal([true, true]);
    view.setClaim(claim('fixed', { storageClassName: 'static' }));
    view.setVolume(volume('static-on-a', 'a', { storageClassName: 'static' }));
    view.setVolume(volume('taken-on-b', 'b', { storageClassName: 'static', claimed: true }));
    expect(schedule(view, 'fixed').fits).to.deep.equal([true, errNoVolumeToBind]);
  });
});
