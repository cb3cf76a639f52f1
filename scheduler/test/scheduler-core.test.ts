// The scheduling loop against an in-memory writer: messages, preemption, queue behaviour.
import { expect } from 'chai';
import type { CoreV1Event, V1PodCondition } from '@kubernetes/client-node';
import { createLogger } from '@skiff/common';
import { Scheduler } from '../src/scheduler.ts';
import type { SchedulerWriter } from '../src/scheduler.ts';
import type { PodInfo } from '../src/cache/pod-info.ts';
import { SchedulingQueue } from '../src/queue/scheduling-queue.ts';
import { numFeasibleNodesToFind } from '../src/node-sampling.ts';
import { makeNode, makePod } from './fixtures.ts';

class RecordingWriter implements SchedulerWriter {
  bound = new Map<string, string>();
  conditions = new Map<string, { condition: V1PodCondition; nominated?: string }>();
  deleted: string[] = [];
  events: CoreV1Event[] = [];
  failBind = false;
  async bind(pod: PodInfo, node: string) {
    if (this.failBind) throw new Error('boom');
    this.bound.set(pod.key, node);
  }
  async updatePodStatus(pod: PodInfo, condition: V1PodCondition, nominated?: string) {
    this.conditions.set(pod.key, { condition, nominated });
  }
  async deletePod(pod: PodInfo) {
    this.deleted.push(pod.key);
  }
  readonly eventSink = {
    create: async (_ns: string, ev: CoreV1Event) => {
      this.events.push(ev);
    },
    bump: async (_ns: string, name: string, count: number) => {
      const ev = this.events.find((e) => e.metadata.name === name);
      if (ev) ev.count = count;
      return ev !== undefined;
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

function setup() {
  const writer = new RecordingWriter();
  const s = new Scheduler({ writer, log: createLogger('test-scheduler') });
  void s.run();
  return { s, writer };
}

describe('scheduler core', () => {
  it('binds a pod, records Scheduled and keeps capacity assumed', async () => {
    const { s, writer } = setup();
    s.onNodeAdd(makeNode('n1', { cpu: '1' }));
    s.onPodAdd(makePod('a', { cpu: '600m' }));
    s.onPodAdd(makePod('b', { cpu: '600m' }));
    await settle();
    expect(writer.bound.get('default/a')).to.equal('n1');
    expect(writer.bound.has('default/b')).to.equal(false);
    expect(writer.events.find((e) => e.reason === 'Scheduled')?.message).to.equal('Successfully assigned default/a to n1');
    expect(writer.conditions.get('default/b')!.condition.message).to.equal(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
    s.stop();
  });

  it('words the failure like kube-scheduler, sorted reasons and preemption', async () => {
    const { s, writer } = setup();
    s.onNodeAdd(makeNode('n1', { cpu: '1' }));
    s.onNodeAdd(makeNode('n2', { cpu: '1' }));
    for (const n of ['n3', 'n4', 'n5']) s.onNodeAdd(makeNode(n, { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }] }));
    s.onPodAdd(makePod('big', { cpu: '2' }));
    await settle();
    expect(writer.conditions.get('default/big')!.condition).to.include({
      status: 'False',
      reason: 'Unschedulable',
      message:
        '0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
    });
    expect(writer.events.some((e) => e.reason === 'FailedScheduling')).to.equal(true);
    s.stop();
  });

  it('schedules a parked pod as soon as a fitting node arrives', async () => {
    const { s, writer } = setup();
    s.onPodAdd(makePod('a', { cpu: '1' }));
    await settle();
    expect(writer.conditions.get('default/a')!.condition.message).to.equal('no nodes available to schedule pods');
    const t0 = Date.now();
    s.onNodeAdd(makeNode('n1'));
    while (!writer.bound.has('default/a') && Date.now() - t0 < 3000) await settle();
    expect(writer.bound.get('default/a')).to.equal('n1');
    s.stop();
  });

  it('preempts the lowest-priority pod and nominates the node', async () => {
    const { s, writer } = setup();
    s.onNodeAdd(makeNode('n1', { cpu: '2' }));
    s.onPodAdd(makePod('low', { cpu: '1', priority: 1, nodeName: 'n1' }));
    s.onPodAdd(makePod('mid', { cpu: '1', priority: 5, nodeName: 'n1' }));
    s.onPodAdd(makePod('high', { cpu: '1', priority: 10 }));
    await settle();
    expect(writer.deleted).to.deep.equal(['default/low']);
    expect(writer.conditions.get('default/high')!.nominated).to.equal('n1');
    // the victim goes away: the preemptor gets the room
    s.onPodDelete(makePod('low', { cpu: '1', priority: 1, nodeName: 'n1' }));
    const t0 = Date.now();
    while (!writer.bound.has('default/high') && Date.now() - t0 < 3000) await settle();
    expect(writer.bound.get('default/high')).to.equal('n1');
    s.stop();
  });

  it('does not preempt with preemptionPolicy Never', async () => {
    const { s, writer } = setup();
    s.onNodeAdd(makeNode('n1', { cpu: '1' }));
    s.onPodAdd(makePod('low', { cpu: '1', priority: 1, nodeName: 'n1' }));
    s.onPodAdd(makePod('high', { cpu: '1', priority: 10, spec: { preemptionPolicy: 'Never' } }));
    await settle();
    expect(writer.deleted).to.deep.equal([]);
    expect(writer.conditions.get('default/high')!.condition.message).to.equal(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.',
    );
    s.stop();
  });

  it('forgets the assumed pod when binding fails and retries', async () => {
    const { s, writer } = setup();
    writer.failBind = true;
    s.onNodeAdd(makeNode('n1', { cpu: '1' }));
    s.onPodAdd(makePod('a', { cpu: '800m' }));
    await settle();
    expect(s.cache.hasPod('default/a')).to.equal(false);
    expect(writer.conditions.get('default/a')!.condition.reason).to.equal('SchedulerError');
    writer.failBind = false;
    const t0 = Date.now();
    while (!writer.bound.has('default/a') && Date.now() - t0 < 3000) await settle();
    expect(writer.bound.get('default/a')).to.equal('n1');
    s.stop();
  });

  it('ignores pods of other schedulers', async () => {
    const { s, writer } = setup();
    s.onNodeAdd(makeNode('n1'));
    s.onPodAdd(makePod('a', { spec: { schedulerName: 'someone-else' } }));
    await settle();
    expect(writer.bound.size).to.equal(0);
    s.stop();
  });
});

describe('scheduling queue', () => {
  it('pops by priority, then by arrival', async () => {
    const q = new SchedulingQueue();
    q.add(makePod('a', { priority: 1 }));
    q.add(makePod('b', { priority: 5 }));
    q.add(makePod('c', { priority: 1 }));
    expect([(await q.pop())!.key, (await q.pop())!.key, (await q.pop())!.key]).to.deep.equal(['default/b', 'default/a', 'default/c']);
    q.close();
  });

  it('parks unschedulable pods until a move, then honours the back-off', async () => {
    let now = 1000;
    const q = new SchedulingQueue({ now: () => now });
    q.add(makePod('a'));
    const p = (await q.pop())!;
    q.addUnschedulable(p);
    expect(q.sizes()).to.deep.equal({ active: 0, backoff: 0, unschedulable: 1 });
    q.moveAllToActiveOrBackoff();
    expect(q.sizes().backoff).to.equal(1); // 1 s back-off not over yet
    now += 1500;
    q.moveAllToActiveOrBackoff();
    q.close();
  });

  it('computes the adaptive share of nodes to score as Kubernetes does', () => {
    expect(numFeasibleNodesToFind(0, 50)).to.equal(50);
    expect(numFeasibleNodesToFind(0, 500)).to.equal(230);
    expect(numFeasibleNodesToFind(0, 5000)).to.equal(500);
    expect(numFeasibleNodesToFind(0, 100000)).to.equal(5000);
    expect(numFeasibleNodesToFind(10, 500)).to.equal(100);
    expect(numFeasibleNodesToFind(100, 5000)).to.equal(5000);
  });
});
