// The DaemonSet controller's decisions on hollow nodes and pods (kwok-style: Node and Pod
// objects only): which nodes run a daemon pod, what the pod looks like, how a rolling update
// steps, and the status it reports.
import { expect } from 'chai';
import type { V1DaemonSet, V1Node, V1Pod, V1Taint } from '@kubernetes/client-node';
import { daemonPodTemplate, newDaemonPod, nodeShouldRunDaemonPod, targetNodeName, withDaemonTolerations } from '../src/controllers/daemonset/placement.ts';
import { calculateStatus, type NodePods, planNodes, planRollingUpdate, rolloutLimits } from '../src/controllers/daemonset/rollout.ts';
import { revisionData, snapshot, splitHistory } from '../src/controllers/daemonset/history.ts';

const node = (name: string, o: { labels?: Record<string, string>; taints?: V1Taint[] } = {}): V1Node => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
  spec: { taints: o.taints },
});

function daemonSet(o: { spec?: Record<string, any>; strategy?: any; generation?: string; minReadySeconds?: number } = {}): V1DaemonSet {
  return {
    metadata: {
      name: 'agent',
      namespace: 'default',
      uid: 'ds-uid',
      generation: 1,
      annotations: { 'deprecated.daemonset.template.generation': o.generation ?? '1' },
    },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      minReadySeconds: o.minReadySeconds,
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'busybox' }], ...o.spec } },
      updateStrategy: o.strategy ?? { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
    },
  };
}

let seq = 0;
function pod(nodeName: string, hash: string, o: { ready?: boolean; phase?: string; bound?: boolean; deleting?: boolean; createdSec?: number } = {}): V1Pod {
  seq++;
  return {
    metadata: {
      name: `agent-${hash}-${nodeName}-${seq}`,
      namespace: 'default',
      labels: { app: 'agent', 'controller-revision-hash': hash },
      creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, o.createdSec ?? seq)),
      deletionTimestamp: o.deleting ? new Date() : undefined,
    },
    spec: {
      containers: [],
      nodeName: o.bound === false ? undefined : nodeName,
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
          },
        },
      },
    },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: new Date(0) }],
    },
  };
}

const byNode = (pods: V1Pod[]): NodePods => {
  const m: NodePods = new Map();
  for (const p of pods) {
    const n = targetNodeName(p)!;
    m.set(n, [...(m.get(n) ?? []), p]);
  }
  return m;
};

describe('daemonset placement', () => {
  it('runs on every node matching nodeSelector and required node affinity', () => {
    const ds = daemonSet({
      spec: {
        nodeSelector: { disk: 'ssd' },
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }],
            },
          },
        },
      },
    });
    expect(nodeShouldRunDaemonPod(node('n1', { labels: { disk: 'ssd', zone: 'a' } }), ds)).to.deep.equal({ shouldRun: true, shouldContinueRunning: true });
    expect(nodeShouldRunDaemonPod(node('n2', { labels: { disk: 'hdd', zone: 'a' } }), ds).shouldRun).to.equal(false);
    expect(nodeShouldRunDaemonPod(node('n3', { labels: { disk: 'ssd', zone: 'c' } }), ds)).to.deep.equal({ shouldRun: false, shouldContinueRunning: false });
    const byName = daemonSet({ spec: { nodeName: 'n2' } });
    expect(nodeShouldRunDaemonPod(node('n1'), byName).shouldRun).to.equal(false);
    expect(nodeShouldRunDaemonPod(node('n2'), byName).shouldRun).to.equal(true);
  });

  it('keeps a pod on a NoSchedule-tainted node, evicts on an untolerated NoExecute taint, and honours tolerations', () => {
    const ds = daemonSet();
    const noSchedule = node('n1', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
    expect(nodeShouldRunDaemonPod(noSchedule, ds)).to.deep.equal({ shouldRun: false, shouldContinueRunning: true });
    const noExecute = node('n2', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] });
    expect(nodeShouldRunDaemonPod(noExecute, ds)).to.deep.equal({ shouldRun: false, shouldContinueRunning: false });
    const tolerant = daemonSet({ spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db' }] } });
    expect(nodeShouldRunDaemonPod(noExecute, tolerant).shouldRun).to.equal(true);
    expect(nodeShouldRunDaemonPod(node('n3', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }), ds).shouldRun).to.equal(true);
  });

  it('tolerates what Kubernetes adds to every daemon pod: not-ready, unreachable, pressure, unschedulable; network-unavailable for hostNetwork', () => {
    const ds = daemonSet();
    for (const [key, effect] of [
      ['node.kubernetes.io/not-ready', 'NoExecute'],
      ['node.kubernetes.io/unreachable', 'NoExecute'],
      ['node.kubernetes.io/disk-pressure', 'NoSchedule'],
      ['node.kubernetes.io/memory-pressure', 'NoSchedule'],
      ['node.kubernetes.io/pid-pressure', 'NoSchedule'],
      ['node.kubernetes.io/unschedulable', 'NoSchedule'],
    ]) {
      expect(nodeShouldRunDaemonPod(node('n', { taints: [{ key, effect }] }), ds).shouldRun, key).to.equal(true);
    }
    const network = node('n', { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] });
    expect(nodeShouldRunDaemonPod(network, ds).shouldRun).to.equal(false);
    expect(nodeShouldRunDaemonPod(network, daemonSet({ spec: { hostNetwork: true } })).shouldRun).to.equal(true);
    // a user's toleration of the same taint is replaced by the daemon one (no tolerationSeconds)
    const tolerations = withDaemonTolerations({
      containers: [],
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    });
    expect(tolerations.filter((t) => t.key === 'node.kubernetes.io/not-ready')).to.deep.equal([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    ]);
    expect(tolerations).to.have.length(6);
  });

  it('builds a pod pinned to its node by matchFields, unbound, labelled with hash and template generation', () => {
    const ds = daemonSet({
      generation: '3',
      spec: {
        affinity: {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }] } },
        },
      },
    });
    const p = newDaemonPod(ds, daemonPodTemplate(ds, 'abc123'), 'n7');
    expect(p.spec?.nodeName).to.equal(undefined);
    expect(p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).to.deep.equal({
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }],
    });
    expect(p.metadata?.labels).to.deep.equal({ app: 'agent', 'controller-revision-hash': 'abc123', 'pod-template-generation': '3' });
    expect(p.metadata?.generateName).to.equal('agent-');
    expect(p.metadata?.ownerReferences?.[0]).to.include({ kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true });
    expect(targetNodeName(p)).to.equal('n7');
    expect(ds.spec?.template?.spec?.tolerations).to.equal(undefined);
  });
});

describe('daemonset sync plan', () => {
  const nodes = [node('n1'), node('n2'), node('n3')];

  it('creates on nodes without a pod, deletes extra and misplaced pods and pods pinned to gone nodes', () => {
    const ds = daemonSet({ spec: { nodeSelector: { role: 'agent' } } });
    const labelled = nodes.map((n) => (n.metadata!.name === 'n3' ? n : { ...n, metadata: { ...n.metadata, labels: { role: 'agent' } } }));
    const keep = pod('n1', 'h', { createdSec: 1 });
    const extra = pod('n1', 'h', { createdSec: 2 });
    const misplaced = pod('n3', 'h');
    const orphanNode = pod('gone', 'h', { bound: false });
    const plan = planNodes(ds, labelled, byNode([keep, extra, misplaced, orphanNode]), 'h');
    expect(plan.create).to.deep.equal(['n2']);
    expect(plan.delete.sort()).to.deep.equal([extra, misplaced, orphanNode].map((p) => p.metadata!.name!).sort());
  });

  it('replaces failed pods, but does not recreate on a node whose pod is still being deleted', () => {
    const ds = daemonSet();
    const failed = pod('n1', 'h', { phase: 'Failed' });
    const deleting = pod('n2', 'h', { deleting: true });
    const plan = planNodes(ds, nodes, byNode([failed, deleting]), 'h');
    expect(plan.delete).to.deep.equal([failed.metadata!.name]);
    expect(plan.failed).to.have.length(1);
    expect(plan.create).to.deep.equal(['n3']);
  });

  it('does not recreate a pod evicted by a NoExecute taint, and keeps one under NoSchedule', () => {
    const ds = daemonSet();
    const tainted = [
      node('n1', { taints: [{ key: 'k', effect: 'NoExecute' }] }),
      node('n2', { taints: [{ key: 'k', effect: 'NoSchedule' }] }),
      node('n3', { taints: [{ key: 'k', effect: 'NoSchedule' }] }),
    ];
    const p1 = pod('n1', 'h');
    const p2 = pod('n2', 'h');
    const plan = planNodes(ds, tainted, byNode([p1, p2]), 'h');
    expect(plan.delete).to.deep.equal([p1.metadata!.name]);
    expect(plan.create).to.deep.equal([]);
  });

  it('rolls maxUnavailable nodes at a time, counting unavailable new pods against the budget', () => {
    const ds = daemonSet({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } });
    const old = nodes.map((n) => pod(n.metadata!.name!, 'old'));
    let plan = planRollingUpdate(ds, nodes, byNode(old), 'new');
    expect(plan.delete).to.deep.equal([old[0].metadata!.name]);
    // n1 now runs a new pod that is not ready: no further deletion
    const notReady = pod('n1', 'new', { ready: false });
    plan = planRollingUpdate(ds, nodes, byNode([notReady, old[1], old[2]]), 'new');
    expect(plan.delete).to.deep.equal([]);
    // once ready, the next node goes
    const ready = pod('n1', 'new');
    plan = planRollingUpdate(ds, nodes, byNode([ready, old[1], old[2]]), 'new');
    expect(plan.delete).to.deep.equal([old[1].metadata!.name]);
    // an old pod that is not available is replaced at once, and uses up the budget
    const broken = pod('n3', 'old', { ready: false });
    plan = planRollingUpdate(ds, nodes, byNode([ready, old[1], broken]), 'new');
    expect(plan.delete).to.deep.equal([broken.metadata!.name]);
    // 2 of 3 at once with 50% (rounded up)
    const half = daemonSet({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '50%', maxSurge: 0 } } });
    expect(rolloutLimits(half, nodes)).to.deep.equal({ maxSurge: 0, maxUnavailable: 2, desired: 3 });
    expect(planRollingUpdate(half, nodes, byNode(old), 'new').delete).to.have.length(2);
    // a pod of the current template generation counts as updated even under another hash
    const byGeneration = daemonSet({ generation: '2' });
    const labelled = old.map((p) => ({ ...p, metadata: { ...p.metadata, labels: { ...p.metadata!.labels, 'pod-template-generation': '2' } } }));
    expect(planRollingUpdate(byGeneration, nodes, byNode(labelled), 'new').delete).to.deep.equal([]);
  });

  it('surges: a new pod beside each old one up to maxSurge, the old one removed once the new one is available', () => {
    const ds = daemonSet({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    const old = nodes.map((n) => pod(n.metadata!.name!, 'old'));
    let plan = planRollingUpdate(ds, nodes, byNode(old), 'new');
    expect(plan).to.deep.include({ create: ['n1'], delete: [] });
    const surgeNotReady = pod('n1', 'new', { ready: false });
    plan = planRollingUpdate(ds, nodes, byNode([...old, surgeNotReady]), 'new');
    expect(plan).to.deep.include({ create: [], delete: [] });
    const surgeReady = pod('n1', 'new');
    plan = planRollingUpdate(ds, nodes, byNode([...old, surgeReady]), 'new');
    expect(plan).to.deep.include({ create: ['n2'], delete: [old[0].metadata!.name] });
    // the manage loop keeps both while the new pod is not ready, and drops the old one after
    expect(planNodes(ds, nodes, byNode([old[0], surgeNotReady, old[1], old[2]]), 'new').delete).to.deep.equal([]);
    expect(planNodes(ds, nodes, byNode([old[0], surgeReady, old[1], old[2]]), 'new').delete).to.deep.equal([old[0].metadata!.name]);
  });

  it('waits for the pod to be available minReadySeconds before counting it', () => {
    const ds = daemonSet({ minReadySeconds: 30 });
    const fresh = pod('n1', 'new');
    fresh.status!.conditions![0].lastTransitionTime = new Date(Date.now() - 5_000);
    const old = [pod('n2', 'old'), pod('n3', 'old')];
    expect(planRollingUpdate(ds, nodes, byNode([fresh, ...old]), 'new').delete).to.deep.equal([]);
    const status = calculateStatus(ds, nodes, byNode([fresh, ...old]), 'new');
    expect(status).to.deep.equal({
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      numberMisscheduled: 0,
      numberReady: 3,
      updatedNumberScheduled: 1,
      numberAvailable: 2,
      numberUnavailable: 1,
    });
  });

  it('counts misscheduled pods on nodes that should not run them', () => {
    const ds = daemonSet({ spec: { nodeSelector: { role: 'agent' } } });
    const status = calculateStatus(ds, nodes, byNode([pod('n1', 'h')]), 'h');
    expect(status).to.include({ desiredNumberScheduled: 0, numberMisscheduled: 1, numberUnavailable: 0 });
  });
});

describe('daemonset history', () => {
  it('snapshots the template as a replace patch, labelled with the hash and the template labels', () => {
    const ds = daemonSet();
    ds.metadata!.annotations!['kubernetes.io/change-cause'] = 'first';
    const r = snapshot(ds, 1);
    expect(r.data).to.deep.equal({ spec: { template: { ...ds.spec!.template, $patch: 'replace' } } });
    expect(r.metadata.name).to.match(/^agent-[a-z0-9]+$/);
    expect(r.metadata.labels).to.include({ app: 'agent', 'controller-revision-hash': r.metadata.name!.slice('agent-'.length) });
    expect(r.metadata.annotations).to.include({ 'kubernetes.io/change-cause': 'first' });
    expect(r.metadata.ownerReferences?.[0]).to.include({ kind: 'DaemonSet', uid: 'ds-uid', controller: true });
  });

  it('splits owned revisions into current and old, and numbers the current one above the old', () => {
    const ds = daemonSet();
    const current = { ...snapshot(ds, 1), revision: 1 };
    const other = daemonSet({ spec: { containers: [{ name: 'a', image: 'busybox:2' }] } });
    const old = { ...snapshot(other, 2), revision: 2 };
    const foreign = { ...snapshot(ds, 5), metadata: { ...snapshot(ds, 5).metadata, ownerReferences: [] } };
    const split = splitHistory(ds, [current, old, foreign] as never);
    expect(split.current.map((r) => r.revision)).to.deep.equal([1]);
    expect(split.old.map((r) => r.revision)).to.deep.equal([2]);
    expect(split.currentRevision).to.equal(3);
    expect(revisionData(ds)).to.deep.equal(current.data);
  });
});
