// Acceptance of issue 4 against the real apiserver: each plugin's rule end to end, a pod
// waiting for a node, preemption. Node objects are made through the API; no kubelet runs.
import { expect } from 'chai';
import { useApiserver } from '@skiff/common/testing/index';
import type { ComponentHandle } from '@skiff/common/testing/index';
import {
  api,
  createNamespace,
  createNode,
  createPod,
  deleteAllNodes,
  getPod,
  nodeOf,
  startScheduler,
  unschedulableMessage,
  waitFor,
} from './cluster-helpers.ts';

describe('scheduler against the apiserver', function () {
  this.timeout(60_000);
  const cluster = useApiserver();
  let scheduler: ComponentHandle;
  let nsCounter = 0;
  let ns = '';

  before(async () => {
    scheduler = await startScheduler(cluster.server, ['--leader-elect=false']);
  });
  after(async () => {
    await scheduler?.stop();
  });
  beforeEach(async () => {
    ns = `t${++nsCounter}`;
    await createNamespace(cluster.server, ns);
  });
  afterEach(async () => {
    await deleteAllNodes(cluster.server);
  });

  it('fits resources and reports exhaustion (NodeResourcesFit)', async () => {
    const s = cluster.server;
    await createNode(s, 'r1', { cpu: '1' });
    await createNode(s, 'r2', { cpu: '1' });
    for (const n of ['a', 'b', 'c']) await createPod(s, ns, n, { cpu: '600m' });
    // level, not time: on a loaded machine the first binding can take longer than any fixed wait
    const placed: (string | undefined)[] = await waitFor(
      'two pods bound and the third unschedulable',
      async () => {
        const pods = await Promise.all(['a', 'b', 'c'].map((n) => getPod(s, ns, n)));
        const nodes = pods.map((p) => p.spec?.nodeName as string | undefined);
        const unschedulable = pods.filter((p) => p.status?.conditions?.some((c: any) => c.type === 'PodScheduled' && c.status === 'False'));
        return nodes.filter(Boolean).length === 2 && unschedulable.length === 1 ? nodes : undefined;
      },
      20_000,
    );
    expect(placed.filter(Boolean).sort()).to.deep.equal(['r1', 'r2']);
    const pending = ['a', 'b', 'c'][placed.indexOf(undefined)]!;
    expect(await unschedulableMessage(s, ns, pending)).to.equal(
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    );
    // events leave through the recorder's queue, a moment after the status write
    await waitFor('FailedScheduling and Scheduled events', async () => {
      const events = await api(s, 'GET', `/api/v1/namespaces/${ns}/events`);
      return (
        events.items.some((e: any) => e.reason === 'FailedScheduling' && e.involvedObject.name === pending) &&
        events.items.some((e: any) => e.reason === 'Scheduled' && /^Successfully assigned t\d+\/\w to r[12]$/.test(e.message))
      );
    });
  });

  it('follows nodeSelector (NodeAffinity)', async () => {
    const s = cluster.server;
    await createNode(s, 'ssd', { labels: { disk: 'ssd' } });
    await createNode(s, 'hdd', { labels: { disk: 'hdd' } });
    await createPod(s, ns, 'p', { spec: { nodeSelector: { disk: 'ssd' } } });
    await createPod(s, ns, 'q', { spec: { nodeSelector: { disk: 'nvme' } } });
    expect(await nodeOf(s, ns, 'p')).to.equal('ssd');
    expect(await unschedulableMessage(s, ns, 'q')).to.match(
      /^0\/2 nodes are available: 2 node\(s\) didn't match Pod's node affinity\/selector\. preemption: 0\/2 nodes are available: 2 Preemption is not helpful for scheduling\.$/,
    );
  });

  it('honours required and preferred node affinity', async () => {
    const s = cluster.server;
    for (const [n, z] of [
      ['z1a', 'z1'],
      ['z2a', 'z2'],
      ['z3a', 'z3'],
    ])
      await createNode(s, n!, { labels: { 'topology.kubernetes.io/zone': z! } });
    await createPod(s, ns, 'req', {
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'NotIn', values: ['z1', 'z3'] }] }],
            },
          },
        },
      },
    });
    expect(await nodeOf(s, ns, 'req')).to.equal('z2a');
    await createPod(s, ns, 'pref', {
      spec: {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 100, preference: { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['z3'] }] } },
            ],
          },
        },
      },
    });
    expect(await nodeOf(s, ns, 'pref')).to.equal('z3a');
  });

  it('keeps pods off tainted nodes unless they tolerate the taint (TaintToleration)', async () => {
    const s = cluster.server;
    await createNode(s, 'gpu', { labels: { kind: 'gpu' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    await createPod(s, ns, 'plain', { spec: { nodeSelector: { kind: 'gpu' } } });
    await createPod(s, ns, 'tolerant', {
      spec: { nodeSelector: { kind: 'gpu' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] },
    });
    expect(await nodeOf(s, ns, 'tolerant')).to.equal('gpu');
    expect(await unschedulableMessage(s, ns, 'plain')).to.match(/^0\/1 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: gpu\}\./);
  });

  it('refuses a second pod on the same hostPort (NodePorts)', async () => {
    const s = cluster.server;
    await createNode(s, 'hp1');
    await createPod(s, ns, 'one', { ports: [{ containerPort: 80, hostPort: 8080 }] });
    expect(await nodeOf(s, ns, 'one')).to.equal('hp1');
    await createPod(s, ns, 'two', { ports: [{ containerPort: 80, hostPort: 8080 }] });
    expect(await unschedulableMessage(s, ns, 'two')).to.match(/^0\/1 nodes are available: 1 node\(s\) didn't have free ports for the requested pod ports\./);
  });

  it('spreads replicas with pod anti-affinity over nodes (InterPodAffinity)', async () => {
    const s = cluster.server;
    for (const n of ['aa1', 'aa2', 'aa3']) await createNode(s, n);
    const spec = {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }],
        },
      },
    };
    for (const n of ['w1', 'w2', 'w3', 'w4']) await createPod(s, ns, n, { labels: { app: 'web' }, spec });
    const placed = await Promise.all(['w1', 'w2', 'w3', 'w4'].map((n) => nodeOf(s, ns, n, 3000).catch(() => undefined)));
    expect(placed.filter(Boolean).sort()).to.deep.equal(['aa1', 'aa2', 'aa3']);
    const pending = ['w1', 'w2', 'w3', 'w4'][placed.indexOf(undefined)]!;
    expect(await unschedulableMessage(s, ns, pending)).to.match(/^0\/3 nodes are available: 3 node\(s\) didn't match pod anti-affinity rules\./);
  });

  it('spreads with maxSkew 1 over 3 nodes (PodTopologySpread)', async () => {
    const s = cluster.server;
    for (const n of ['ts1', 'ts2', 'ts3']) await createNode(s, n);
    const spec = {
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } },
      ],
    };
    const names = ['s1', 's2', 's3', 's4', 's5', 's6'];
    for (const n of names) await createPod(s, ns, n, { labels: { app: 'spread' }, spec, cpu: '100m' });
    const placed = await Promise.all(names.map((n) => nodeOf(s, ns, n)));
    const counts = ['ts1', 'ts2', 'ts3'].map((n) => placed.filter((p) => p === n).length);
    expect(counts).to.deep.equal([2, 2, 2]);
  });

  it('schedules a waiting pod within 2 s of a fitting node being added', async () => {
    const s = cluster.server;
    await createNode(s, 'small', { cpu: '500m' });
    await createPod(s, ns, 'waiting', { cpu: '2' });
    await unschedulableMessage(s, ns, 'waiting');
    const t0 = Date.now();
    await createNode(s, 'large', { cpu: '4' });
    expect(await nodeOf(s, ns, 'waiting', 5000)).to.equal('large');
    expect(Date.now() - t0).to.be.lessThan(2000);
  });

  it('preempts a lower-priority pod for a higher-priority one (DefaultPreemption)', async () => {
    const s = cluster.server;
    await createNode(s, 'pre', { cpu: '1' });
    await createPod(s, ns, 'low', { cpu: '800m' });
    expect(await nodeOf(s, ns, 'low')).to.equal('pre');
    const high = await createPod(s, ns, 'high', { cpu: '800m', spec: { priorityClassName: 'system-cluster-critical' } });
    expect(high.spec.priority).to.equal(2000000000);
    // the victim is deleted (gracefully: it is bound) and the node nominated
    await waitFor('victim deletion', async () => (await getPod(s, ns, 'low')).metadata.deletionTimestamp);
    await waitFor('nomination', async () => (await getPod(s, ns, 'high')).status.nominatedNodeName === 'pre');
    // no kubelet here: finish the deletion as the kubelet would
    await api(s, 'DELETE', `/api/v1/namespaces/${ns}/pods/low`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 });
    expect(await nodeOf(s, ns, 'high')).to.equal('pre');
  });
});
