// Issue 16, acceptance 5: `kubectl drain` of a node whose pods a minAvailable=2 budget guards
// evicts them one at a time, waits for replacements elsewhere, and completes; an eviction that
// would break the budget is answered 429. Real apiserver, scheduler and controller-manager;
// three hollow kubelets (the simulated runtime) run the pods.
import { expect } from 'chai';
import { startComponent, useApiserver, type ComponentHandle } from '@skiff/common/testing/index';
import type { ControllerManagerHandle } from '../src/manager.ts';
import { ClusterView, deploymentManifest, isReadyPod, startTestManager, waitFor } from './support/cluster.ts';

const nodes = ['drain-node-0', 'drain-node-1', 'drain-node-2'];

describe('kubectl drain with a PodDisruptionBudget (scheduler, controller-manager, hollow kubelets)', function () {
  this.timeout(240_000);
  let cm: ControllerManagerHandle | undefined;
  let scheduler: ComponentHandle | undefined;
  let kubelets: ComponentHandle | undefined;
  after(async () => {
    await kubelets?.stop();
    await scheduler?.stop();
    await cm?.stop();
  });
  const cluster = useApiserver();
  let view: ClusterView;
  const k = (args: string[], stdin?: string) => cluster.server.kubectl('1.33', args, { stdin });
  const webPods = async () => view.pods('default', 'app=web');
  const evict = (name: string) =>
    cluster.server.request('POST', `/api/v1/namespaces/default/pods/${name}/eviction`, {
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } },
    });
  const budgetAllows = (n: number) =>
    waitFor(`budget allowing ${n}`, async () => {
      const b = JSON.parse((await k(['get', 'pdb', 'web', '-o', 'json'])).stdout);
      return b.status?.observedGeneration === b.metadata.generation && b.status?.currentHealthy === 3 && b.status?.disruptionsAllowed === n;
    });

  before(async () => {
    view = new ClusterView(cluster.server.kubeconfigPath);
    cm = await startTestManager(cluster.server.kubeconfigPath);
    scheduler = await startComponent({
      workspace: 'scheduler',
      args: [`--kubeconfig=${cluster.server.kubeconfigPath}`, '--port=0'],
      env: { SKIFF_LOG_LEVEL: 'warn' },
    });
    kubelets = await startComponent({
      workspace: 'kubelet',
      args: ['--kubeconfig', cluster.server.kubeconfigPath, '--hollow-nodes', '3', '--hollow-name-prefix', 'drain-node-', '--simulated-ready-delay', '1'],
      env: { SKIFF_LOG_LEVEL: 'warn' },
    });
    await waitFor(
      'three Ready nodes',
      async () => {
        const list = (await view.core.listNode()).items.filter((n) => nodes.includes(n.metadata?.name ?? ''));
        return list.length === 3 && list.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      },
      60_000,
    );
    // all three replicas start on drain-node-0, so that draining it moves every one of them
    for (const n of nodes.slice(1)) expect((await k(['cordon', n])).code).to.equal(0);
    const r = await k(['apply', '-f', '-'], deploymentManifest('web', { replicas: 3 }));
    expect(r.code, r.stderr).to.equal(0);
    await waitFor(
      '3 ready web pods on drain-node-0',
      async () => {
        const pods = await webPods();
        return pods.length === 3 && pods.every((p) => isReadyPod(p) && p.spec?.nodeName === 'drain-node-0');
      },
      60_000,
    );
    for (const n of nodes.slice(1)) expect((await k(['uncordon', n])).code).to.equal(0);
    expect((await k(['create', 'pdb', 'web', '--selector=app=web', '--min-available=2'])).code).to.equal(0);
    await budgetAllows(1);
  });

  it('answers 429 to an eviction that would break the budget', async () => {
    // keep the replacement off drain-node-0 while the budget is spent
    expect((await k(['cordon', 'drain-node-0'])).code).to.equal(0);
    const [a, b] = await webPods();
    const first = await evict(a!.metadata!.name!);
    expect(first.status, first.body).to.equal(201);
    const second = await evict(b!.metadata!.name!);
    expect(second.status, second.body).to.equal(429);
    const status = JSON.parse(second.body);
    expect(status.message).to.equal("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(status.details.causes[0].reason).to.equal('DisruptionBudget');
    // the ReplicaSet's replacement runs elsewhere and the budget recovers
    await budgetAllows(1);
  });

  it('kubectl drain evicts one pod at a time, retries on 429, and completes once the pods moved', async () => {
    const onNode = (await webPods()).filter((p) => p.spec?.nodeName === 'drain-node-0');
    expect(onNode.length).to.equal(2);
    // sample the ready replicas while the drain runs: the budget never lets them drop below 2
    let minReady = 3;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const ready = (await webPods()).filter(isReadyPod).length;
        minReady = Math.min(minReady, ready);
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    const t0 = Date.now();
    const r = await k(['drain', 'drain-node-0', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=150s']);
    sampling = false;
    await sampler;
    expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
    const out = `${r.stdout}\n${r.stderr}`;
    for (const p of onNode) expect(out).to.include(`evicting pod default/${p.metadata?.name}`);
    expect(out).to.include("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(out).to.include('node/drain-node-0 drained');
    expect(minReady).to.be.at.least(2);
    console.log(`      drain took ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const pods = await webPods();
    expect(pods.length).to.equal(3);
    expect(pods.some((p) => p.spec?.nodeName === 'drain-node-0')).to.equal(false);
    const node = await view.core.readNode({ name: 'drain-node-0' });
    expect(node.spec?.unschedulable).to.equal(true);
    await budgetAllows(1);
  });

  it('kubectl 1.27 drains the next node the same way (policy/v1 eviction found through discovery)', async () => {
    expect((await k(['uncordon', 'drain-node-0'])).code).to.equal(0);
    // the node holding most replicas now (two of three, at least)
    const pods0 = await webPods();
    const target = ['drain-node-1', 'drain-node-2'].sort(
      (a, b) => pods0.filter((p) => p.spec?.nodeName === b).length - pods0.filter((p) => p.spec?.nodeName === a).length,
    )[0]!;
    const onNode = pods0.filter((p) => p.spec?.nodeName === target);
    expect(onNode.length).to.be.at.least(2);
    let minReady = 3;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        minReady = Math.min(minReady, (await webPods()).filter(isReadyPod).length);
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    const r = await cluster.server.kubectl('1.27', ['drain', target, '--ignore-daemonsets', '--timeout=150s']);
    sampling = false;
    await sampler;
    expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
    for (const p of onNode) expect(`${r.stdout}\n${r.stderr}`).to.include(`evicting pod default/${p.metadata?.name}`);
    expect(r.stdout).to.include(`node/${target} drained`);
    expect(`${r.stdout}\n${r.stderr}`).to.include("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(minReady).to.be.at.least(2);
    const pods = await webPods();
    expect(pods.filter((p) => p.spec?.nodeName === target)).to.have.length(0);
    await budgetAllows(1);
  });
});
