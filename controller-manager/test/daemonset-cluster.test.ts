// The DaemonSet controller against a real apiserver and the real scheduler, on hollow Node
// objects (no kubelet: a small loop here marks bound pods Running and Ready and completes
// their deletion, as a kubelet would): one pod per node bound through the scheduler, a node
// joining, taints, a rolling update node by node, and kubectl rollout status/history/undo.
import { expect } from 'chai';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { type ComponentHandle, startComponent, useApiserver } from '@skiff/common/testing/index';
import type { ControllerManagerHandle } from '../src/manager.ts';
import { kubeConfigFrom, startTestManager, waitFor } from './support/cluster.ts';

const manifest = (image: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'agent', image }] } },
      ...extra,
    },
  });

describe('controller-manager: DaemonSets (real apiserver and scheduler, hollow nodes, kubectl)', function () {
  this.timeout(240_000);
  const cluster = useApiserver();
  let cm: ControllerManagerHandle | undefined;
  let scheduler: ComponentHandle | undefined;
  let core: CoreV1Api;
  let kubeletLoop: NodeJS.Timeout | undefined;
  const k = (args: string[], version = '1.33', stdin?: string) => cluster.server.kubectl(version, args, { stdin });
  const ok = async (args: string[], version = '1.33', stdin?: string) => {
    const r = await k(args, version, stdin);
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r.stdout;
  };

  const addNode = (name: string) =>
    core.createNode({
      body: {
        metadata: { name, labels: { 'kubernetes.io/hostname': name } },
        status: {
          capacity: { cpu: '4', memory: '8Gi', pods: '110' },
          allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'hollow node' }],
        },
      },
    });

  /** What a kubelet would do for hollow nodes: run what is bound, finish what is deleted. */
  const hollowKubelet = async () => {
    const pods = (await core.listNamespacedPod({ namespace: 'default' })).items;
    for (const p of pods) {
      if (!p.spec?.nodeName) continue;
      const name = p.metadata!.name!;
      if (p.metadata?.deletionTimestamp) {
        await core.deleteNamespacedPod({ name, namespace: 'default', gracePeriodSeconds: 0 }).catch(() => {});
        continue;
      }
      if (p.status?.phase === 'Running') continue;
      const now = new Date();
      await core
        .replaceNamespacedPodStatus({
          name,
          namespace: 'default',
          body: { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }], startTime: now } },
        })
        .catch(() => {});
    }
  };

  before(async () => {
    core = kubeConfigFrom(cluster.server.kubeconfigPath).makeApiClient(CoreV1Api);
    await addNode('hollow-1');
    await addNode('hollow-2');
    cm = await startTestManager(cluster.server.kubeconfigPath, { controllers: ['daemonset', 'garbagecollector'] });
    scheduler = await startComponent({ workspace: 'scheduler', args: [`--kubeconfig=${cluster.server.kubeconfigPath}`, '--port=0', '--leader-elect=false'] });
    let busy = false;
    kubeletLoop = setInterval(() => {
      if (busy) return;
      busy = true;
      // a failed round (an apiserver hiccup) is simply tried again on the next tick
      void hollowKubelet()
        .catch(() => {})
        .finally(() => {
          busy = false;
        });
    }, 150);
  });
  after(async () => {
    clearInterval(kubeletLoop);
    await cm?.stop();
    await scheduler?.stop();
  });

  const daemonPods = async (): Promise<V1Pod[]> =>
    (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=agent' })).items.filter((p) => !p.metadata?.deletionTimestamp);
  const podsByNode = async () => {
    const m: Record<string, string[]> = {};
    const pods = (await daemonPods()).sort((a, b) => (a.spec?.nodeName ?? '').localeCompare(b.spec?.nodeName ?? ''));
    for (const p of pods) {
      const n = p.spec?.nodeName ?? '<unbound>';
      m[n] = [...(m[n] ?? []), p.spec?.containers?.[0]?.image ?? ''];
    }
    return m;
  };
  const settled = (want: Record<string, string[]>) =>
    waitFor(
      `daemon pods ${JSON.stringify(want)}`,
      async () => {
        const now = await podsByNode();
        const running = (await daemonPods()).every((p) => p.status?.phase === 'Running');
        // the state seen last is what a timeout reports
        if (JSON.stringify(now) !== JSON.stringify(want) || !running) throw new Error(`pods by node: ${JSON.stringify(now)}, all running: ${running}`);
        return true;
      },
      60_000,
    );

  it('runs one pod per node, pinned by matchFields and bound by the scheduler; rollout status finishes', async () => {
    await ok(['apply', '-f', '-'], '1.33', manifest('busybox:1.36'));
    await settled({ 'hollow-1': ['busybox:1.36'], 'hollow-2': ['busybox:1.36'] });
    const pods = await daemonPods();
    for (const p of pods) {
      expect(p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).to.deep.equal([
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec?.nodeName] }] },
      ]);
      expect(p.metadata?.labels).to.have.property('controller-revision-hash');
      expect(p.metadata?.labels?.['pod-template-generation']).to.equal('1');
      expect(p.spec?.tolerations?.map((t) => `${t.key}:${t.effect}`)).to.include.members([
        'node.kubernetes.io/not-ready:NoExecute',
        'node.kubernetes.io/unschedulable:NoSchedule',
      ]);
    }
    const status = await ok(['rollout', 'status', 'ds/agent', '--timeout=60s']);
    expect(status).to.contain('daemon set "agent" successfully rolled out');
    const table = await ok(['get', 'ds', 'agent']);
    expect(table).to.match(/agent\s+2\s+2\s+2\s+2\s+2\s+<none>/);
    const events = await ok(['get', 'events', '--field-selector=involvedObject.kind=DaemonSet,reason=SuccessfulCreate', '-o', 'name']);
    expect(events.trim().split('\n')).to.have.length.at.least(1);
  });

  it('gives a node that joins its pod', async () => {
    await addNode('hollow-3');
    await settled({ 'hollow-1': ['busybox:1.36'], 'hollow-2': ['busybox:1.36'], 'hollow-3': ['busybox:1.36'] });
    // the status follows the pods at the controller's next sync (it read numberReady 2 once under load)
    const want = { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3, numberAvailable: 3 };
    const status = await waitFor(
      'the DaemonSet status to count the third node',
      async () => {
        const st = JSON.parse(await ok(['get', 'ds', 'agent', '-o', 'json'])).status as Record<string, number>;
        return Object.entries(want).every(([k, v]) => st[k] === v) && st;
      },
      30_000,
      1000,
    );
    expect(status).to.include(want);
  });

  it('rolls an image update node by node (maxUnavailable 1) and records revisions kubectl reads', async () => {
    const seen: number[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const pods = await daemonPods();
        // old or new, a node keeps at most one pod and at most one node lacks a running pod
        const running = pods.filter((p) => p.status?.phase === 'Running' && p.spec?.nodeName).length;
        seen.push(3 - running);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await ok(['annotate', 'ds', 'agent', 'kubernetes.io/change-cause=upgrade to 1.37']);
    await ok(['set', 'image', 'ds/agent', 'agent=busybox:1.37']);
    const status = await ok(['rollout', 'status', 'ds/agent', '--timeout=90s'], '1.27');
    expect(status).to.contain('successfully rolled out');
    watching = false;
    await watcher;
    await settled({ 'hollow-1': ['busybox:1.37'], 'hollow-2': ['busybox:1.37'], 'hollow-3': ['busybox:1.37'] });
    expect(Math.max(...seen)).to.be.at.most(1);
    const deleted = await ok(['get', 'events', '--field-selector=involvedObject.kind=DaemonSet,reason=SuccessfulDelete', '-o', 'name']);
    expect(deleted.trim().split('\n')).to.have.length.at.least(3);

    const revisions = JSON.parse(await ok(['get', 'controllerrevisions', '-l', 'app=agent', '-o', 'json'])).items;
    expect(revisions.map((r: any) => r.revision).sort()).to.deep.equal([1, 2]);
    for (const version of ['1.33', '1.27']) {
      const history = await ok(['rollout', 'history', 'ds/agent'], version);
      expect(history).to.match(/REVISION\s+CHANGE-CAUSE/);
      expect(history)
        .to.match(/\n1\s+/)
        .and.to.match(/\n2\s+upgrade to 1\.37/);
      const one = await ok(['rollout', 'history', 'ds/agent', '--revision=1'], version);
      expect(one).to.contain('busybox:1.36');
    }
  });

  it('kubectl rollout undo returns the previous template as a new revision, and rolls back', async () => {
    const undo = await ok(['rollout', 'undo', 'ds/agent']);
    expect(undo).to.contain('rolled back');
    const ds = JSON.parse(await ok(['get', 'ds', 'agent', '-o', 'json']));
    expect(ds.spec.template.spec.containers[0].image).to.equal('busybox:1.36');
    await ok(['rollout', 'status', 'ds/agent', '--timeout=90s']);
    await settled({ 'hollow-1': ['busybox:1.36'], 'hollow-2': ['busybox:1.36'], 'hollow-3': ['busybox:1.36'] });
    const revisions = JSON.parse(await ok(['get', 'controllerrevisions', '-l', 'app=agent', '-o', 'json'])).items;
    // revision 1 became revision 3: the same template is one revision, renumbered
    expect(revisions.map((r: any) => r.revision).sort()).to.deep.equal([2, 3]);
    const undoAgain = await ok(['rollout', 'undo', 'ds/agent', '--to-revision=2'], '1.27');
    expect(undoAgain).to.contain('rolled back');
    await waitFor(
      'template back at 1.37',
      async () => JSON.parse(await ok(['get', 'ds', 'agent', '-o', 'json'])).spec.template.spec.containers[0].image === 'busybox:1.37',
    );
    await settled({ 'hollow-1': ['busybox:1.37'], 'hollow-2': ['busybox:1.37'], 'hollow-3': ['busybox:1.37'] });
  });

  it('keeps its pod on a node tainted NoSchedule, removes it for NoExecute and does not come back', async () => {
    await ok(['taint', 'node', 'hollow-1', 'dedicated=db:NoSchedule']);
    await ok(['taint', 'node', 'hollow-2', 'dedicated=db:NoExecute']);
    await settled({ 'hollow-1': ['busybox:1.37'], 'hollow-3': ['busybox:1.37'] });
    await waitFor('status after taints', async () => {
      const s = JSON.parse(await ok(['get', 'ds', 'agent', '-o', 'json'])).status;
      return s.desiredNumberScheduled === 1 && s.numberMisscheduled === 1 && s.currentNumberScheduled === 1;
    });
    // still gone a little later: nothing recreates it
    await new Promise((r) => setTimeout(r, 1000));
    expect(Object.keys(await podsByNode()).sort()).to.deep.equal(['hollow-1', 'hollow-3']);
    await ok(['taint', 'node', 'hollow-2', 'dedicated=db:NoExecute-']);
    await ok(['taint', 'node', 'hollow-1', 'dedicated=db:NoSchedule-']);
    await settled({ 'hollow-1': ['busybox:1.37'], 'hollow-2': ['busybox:1.37'], 'hollow-3': ['busybox:1.37'] });
  });

  it('prunes history beyond revisionHistoryLimit, keeping the revisions pods still run', async () => {
    await ok(['patch', 'ds', 'agent', '--type=merge', '-p', '{"spec":{"revisionHistoryLimit":1}}']);
    for (const tag of ['1.38', '1.39']) {
      await ok(['set', 'image', 'ds/agent', `agent=busybox:${tag}`]);
      await ok(['rollout', 'status', 'ds/agent', '--timeout=90s']);
    }
    await waitFor('history pruned to current + 1', async () => {
      const items = JSON.parse(await ok(['get', 'controllerrevisions', '-l', 'app=agent', '-o', 'json'])).items;
      return items.length === 2 && items.some((r: any) => r.data.spec.template.spec.containers[0].image === 'busybox:1.39');
    });
  });

  it('OnDelete replaces a pod only once it is deleted', async () => {
    await ok(['patch', 'ds', 'agent', '--type=merge', '-p', '{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}']);
    await ok(['set', 'image', 'ds/agent', 'agent=busybox:1.40']);
    await new Promise((r) => setTimeout(r, 1500));
    expect(Object.values(await podsByNode()).flat()).to.deep.equal(['busybox:1.39', 'busybox:1.39', 'busybox:1.39']);
    const victim = (await daemonPods()).find((p) => p.spec?.nodeName === 'hollow-2')!;
    await ok(['delete', 'pod', victim.metadata!.name!, '--wait=false']);
    await settled({ 'hollow-1': ['busybox:1.39'], 'hollow-2': ['busybox:1.40'], 'hollow-3': ['busybox:1.39'] });
    // the status follows the pods by a sync of the controller
    await waitFor('status: one updated pod of three', async () => {
      const s = JSON.parse(await ok(['get', 'ds', 'agent', '-o', 'json'])).status;
      if (s.updatedNumberScheduled !== 1 || s.desiredNumberScheduled !== 3) throw new Error(`status ${JSON.stringify(s)}`);
      return true;
    });
  });
});
