import { expect } from 'chai';
import { desiredTaints, evictionDelayMs, unknownConditions } from '../src/controllers/nodelifecycle/health.ts';
import { HeartbeatTracker } from '../src/controllers/nodelifecycle/controller.ts';

const T0 = '2024-01-01T00:00:00Z';
const node = (ready: string | undefined, taints: any[] = [], unschedulable = false) => ({
  metadata: { name: 'n1' },
  spec: { taints, unschedulable },
  status: {
    conditions: ready
      ? [
          { type: 'Ready', status: ready, reason: 'KubeletReady', lastHeartbeatTime: T0, lastTransitionTime: T0 },
          { type: 'MemoryPressure', status: 'False' },
        ]
      : [],
  },
});

describe('node lifecycle decisions', () => {
  it('marks every condition Unknown, keeping the last heartbeat', () => {
    const c = unknownConditions(node('True'), '2024-01-01T00:01:00Z');
    expect(c.map((x) => [x.type, x.status, x.reason])).to.deep.equal([
      ['Ready', 'Unknown', 'NodeStatusUnknown'],
      ['MemoryPressure', 'Unknown', 'NodeStatusUnknown'],
    ]);
    expect(c[0]!.message).to.equal('Kubelet stopped posting node status.');
    expect(c[0]!.lastHeartbeatTime).to.equal(T0);
    expect(unknownConditions(node(undefined), T0)[0]!.reason).to.equal('NodeStatusNeverUpdated');
  });

  it('taints by Ready status, keeping foreign taints and timeAdded', () => {
    const foreign = { key: 'dedicated', value: 'x', effect: 'NoSchedule' };
    const t = desiredTaints(node('Unknown', [foreign]), T0);
    expect(t).to.deep.equal([
      foreign,
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: T0 },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: T0 },
    ]);
    expect(desiredTaints(node('Unknown', t), '2030-01-01T00:00:00Z')).to.deep.equal(t);
    expect(desiredTaints(node('False'), T0).map((x) => `${x.key}:${x.effect}`)).to.deep.equal([
      'node.kubernetes.io/not-ready:NoSchedule',
      'node.kubernetes.io/not-ready:NoExecute',
    ]);
    expect(desiredTaints(node('True', t), T0)).to.deep.equal([foreign]);
    expect(desiredTaints(node('True', [], true), T0).map((x) => x.key)).to.deep.equal(['node.kubernetes.io/unschedulable']);
  });

  it('computes eviction delays from tolerations', () => {
    const now = Date.parse(T0) + 10_000;
    const taints = [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: T0 }];
    expect(evictionDelayMs([], taints, now)).to.equal(0);
    const dflt = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
    expect(evictionDelayMs([dflt], taints, now)).to.equal(290_000);
    expect(evictionDelayMs([dflt], taints, now, 5)).to.equal(0);
    expect(evictionDelayMs([dflt], taints, now, 30)).to.equal(20_000);
    expect(evictionDelayMs([{ operator: 'Exists' }], taints, now)).to.equal(Infinity);
    expect(evictionDelayMs([{ key: 'other', operator: 'Exists' }], taints, now)).to.equal(0);
    expect(evictionDelayMs([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }], taints, now)).to.equal(0);
  });

  it('tracks heartbeats by the local clock', () => {
    let t = 1000;
    const h = new HeartbeatTracker(() => t);
    h.observe('n1', 'renew-1', 'lease');
    t = 5000;
    h.observe('n1', 'renew-1', 'lease');
    expect(h.silentForMs('n1')).to.equal(4000);
    h.observe('n1', 'renew-2', 'lease');
    expect(h.silentForMs('n1')).to.equal(0);
  });
});
