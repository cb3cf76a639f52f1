// Graceful node shutdown, Skiff's design (issue 21): a kubelet process started with
// --drain-on-shutdown, as its node's own identity (system:node:NAME, so the Node authorizer
// and NodeRestriction judge what it does), a private containerd, and a controller-manager
// running only the ReplicaSet and disruption controllers. On SIGTERM it cordons its Node,
// evicts a bare pod (its containers killed, the pod gone), is refused (429) the eviction of a
// ReplicaSet pod a minAvailable budget protects, asks again until --shutdown-grace-period ends,
// names that pod in its log and a Warning event on the Node, and exits 0. /readyz says not
// ready while it drains.
import { expect } from 'chai';
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { componentEntryArgs, freePort, makeClientCert, repoRoot, startComponent, until, useApiserver, type ComponentHandle } from '@skiff/common/testing/index';
import { spawnLogged, stopProcess, type Spawned } from '@skiff/common/testing/processes';
import { CriClient } from '../src/cri/client.ts';
import { removeEverything, unmountUnder } from '../src/runtime-setup/local-node.ts';
import { startPrivateContainerd, type PrivateContainerd } from '../src/runtime-setup/private-containerd.ts';
import { ensureRegistry, type RegistryHandle } from '../src/runtime-setup/registry.ts';
import { ensureSkiffImages } from '../src/runtime-setup/skiff-images.ts';
import * as L from '../src/runtime/labels.ts';

type Json = Record<string, any>;

const NODE = 'shutdown-node-1';
const SUBNET = '10.251.9.0/24';
const BRIDGE = 'skiff-sd0';
const BUSYBOX = '127.0.0.1:5000/skiff/busybox:latest';
const BUDGET_S = 5;

const container = (command: string) => ({ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', command] });

describe('kubelet --drain-on-shutdown: SIGTERM cordons, evicts through the eviction API (budgets hold), exits', function () {
  this.timeout(150_000);
  const cluster = useApiserver();
  const work = mkdtempSync(join(tmpdir(), 'skiff-kubelet-shutdown-'));
  const rootDir = join(work, 'kubelet');
  const logFile = join(work, 'kubelet.log');
  let registry: RegistryHandle | undefined;
  let runtime: PrivateContainerd | undefined;
  let cm: ComponentHandle | undefined;
  let kubelet: Spawned | undefined;
  let port = 0;

  const api = async (method: string, path: string, body?: object) => cluster.server.request(method, path, body ? { body } : {});
  const get = async (path: string): Promise<Json | undefined> => {
    const r = await api('GET', path);
    if (r.status === 404) return undefined;
    expect(r.status, r.body).to.equal(200);
    return JSON.parse(r.body);
  };
  const create = async (path: string, obj: object) => {
    const r = await api('POST', path, obj);
    expect(r.status, r.body).to.equal(201);
  };
  const node = async () => (await get(`/api/v1/nodes/${NODE}`))!;
  const guardedPod = async () => ((await get('/api/v1/namespaces/default/pods?labelSelector=app%3Dguarded'))!.items as Json[])[0];
  const ready = (p: Json | undefined) => p?.status?.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True');
  /** GET /readyz on the kubelet's node API, as an admin (nodes/healthz) */
  const readyz = () =>
    new Promise<number>((resolve, reject) => {
      const admin = cluster.server.pki.admin;
      const req = httpsRequest(
        { host: '127.0.0.1', port, path: '/readyz', cert: readFileSync(admin.cert), key: readFileSync(admin.key), rejectUnauthorized: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
  let nodeKubeconfig = '';
  const startKubelet = (extra: string[]) => {
    startedBefore = existsSync(logFile) ? startedCount() : 0;
    const args = [
      ...componentEntryArgs('kubelet'),
      ...['--kubeconfig', nodeKubeconfig, '--node-name', NODE, '--root-dir', rootDir, '--node-ip', '127.0.0.1'],
      ...['--bind-address', '127.0.0.1', '--port', String(port), '--container-runtime-endpoint', runtime!.endpoint],
      ...['--cni-conf-dir', join(runtime!.dir, 'net.d'), '--cni-bridge', BRIDGE, '--pod-cidr', SUBNET],
    ];
    kubelet = spawnLogged(process.execPath, [...args, ...extra], logFile, { cwd: repoRoot(), env: { ...process.env, SKIFF_LOG_LEVEL: 'info' } });
  };
  /** Waits for the kubelet last started to say it started: its SIGTERM handler is set from then on. */
  const started = () => until('the kubelet started', async () => startedCount() > startedBefore, 30_000);
  const startedCount = () => logLines().filter((l) => l.msg === 'kubelet started').length;
  let startedBefore = 0;
  const logLines = (): Json[] =>
    readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Json);

  before(async () => {
    registry = await ensureRegistry();
    await ensureSkiffImages();
    runtime = await startPrivateContainerd({ subnet: SUBNET, bridge: BRIDGE });
    const pki = cluster.server.pki;
    nodeKubeconfig = await cluster.server.kubeconfigFor(await makeClientCert(pki, 'shutdown-node', `system:node:${NODE}`, 'system:nodes'), 'shutdown-node');
    cm = await startComponent({
      workspace: 'controller-manager',
      args: ['--kubeconfig', cluster.server.kubeconfigPath, '--leader-elect=false', '--port=-1', '--controllers=replicaset,disruption'],
      env: { SKIFF_LOG_LEVEL: 'warn' },
    });
    port = await freePort();
    startKubelet(['--drain-on-shutdown', '--shutdown-grace-period', `${BUDGET_S}s`]);
    await until('the node Ready', async () => ready(await get(`/api/v1/nodes/${NODE}`)), 60_000);
    await started();
  });

  after(async () => {
    if (kubelet) await stopProcess(kubelet, 1000);
    if (runtime) {
      const cri = new CriClient({ endpoint: runtime.endpoint });
      await removeEverything(cri);
      cri.close();
      await runtime.stop();
    }
    await cm?.stop();
    await registry?.stop();
    await unmountUnder(work);
    rmSync(work, { recursive: true, force: true });
  });

  it('evicts the bare pod, leaves the budget-protected one, and exits 0 when the budget ends', async () => {
    // a bare pod that ends on SIGTERM, and one ReplicaSet pod that a minAvailable=1 budget protects
    await create('/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'plain', labels: { app: 'plain' } },
      spec: { nodeName: NODE, terminationGracePeriodSeconds: 5, containers: [container("trap 'exit 0' TERM; while true; do sleep 1; done")] },
    });
    await create('/apis/apps/v1/namespaces/default/replicasets', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'guarded' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'guarded' } },
        template: {
          metadata: { labels: { app: 'guarded' } },
          spec: { nodeName: NODE, terminationGracePeriodSeconds: 1, containers: [container('sleep 3600')] },
        },
      },
    });
    await create('/apis/policy/v1/namespaces/default/poddisruptionbudgets', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'guarded' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } },
    });
    await until('both pods Ready', async () => ready(await get('/api/v1/namespaces/default/pods/plain')) && ready(await guardedPod()), 60_000);
    await until(
      'the budget allowing no disruption',
      async () => {
        const b = await get('/apis/policy/v1/namespaces/default/poddisruptionbudgets/guarded');
        return b?.status?.observedGeneration === b?.metadata.generation && b?.status?.currentHealthy === 1 && b?.status?.disruptionsAllowed === 0;
      },
      30_000,
    );
    const guarded = await guardedPod();
    const guardedName = `default/${guarded.metadata.name}`;
    const plain = (await get('/api/v1/namespaces/default/pods/plain'))!;
    expect(await readyz()).to.equal(200);
    expect((await node()).spec?.unschedulable).to.not.equal(true);

    const sentAt = Date.now();
    process.kill(kubelet!.pid, 'SIGTERM');
    await until('the node cordoned', async () => (await node()).spec?.unschedulable === true, 20_000, 100);
    // the budget's pod cannot go, so the drain lasts until its budget ends: not ready meanwhile
    expect(await readyz()).to.equal(500);
    const code = await kubelet!.exited;
    const exitedAfter = (Date.now() - sentAt) / 1000;
    expect(code, readFileSync(logFile, 'utf8').slice(-3000)).to.equal(0);

    // the bare pod was evicted and is gone, its containers killed; the protected one runs on
    expect(await get('/api/v1/namespaces/default/pods/plain')).to.equal(undefined);
    const cri = new CriClient({ endpoint: runtime!.endpoint });
    try {
      const running = await cri.listContainers({ state: { state: 'CONTAINER_RUNNING' } });
      expect(running.filter((c) => c.labels?.[L.POD_UID] === plain.metadata.uid)).to.have.length(0);
      expect(running.filter((c) => c.labels?.[L.POD_UID] === guarded.metadata.uid)).to.have.length(1);
    } finally {
      cri.close();
    }
    const still = (await get(`/api/v1/namespaces/default/pods/${guarded.metadata.name}`))!;
    expect(still.metadata.deletionTimestamp, 'the protected pod was not deleted').to.equal(undefined);

    // what the kubelet said: the bare pod evicted, the protected one refused (429) and named as left
    const lines = logLines();
    expect(lines.some((l) => l.msg === 'evicted pod' && l.pod === 'default/plain')).to.equal(true);
    const refused = lines.find((l) => l.msg === 'eviction refused, asking again later' && l.pod === guardedName);
    expect(refused, 'a refused eviction of the protected pod').to.include({ code: 429 });
    const incomplete = lines.find((l) => l.msg === 'drain incomplete, stopping anyway');
    expect(incomplete?.cutShort).to.equal('budget');
    expect(incomplete?.evicted).to.deep.equal(['default/plain']);
    expect(incomplete?.left).to.have.length(1);
    expect(incomplete?.left[0]).to.match(new RegExp(`^${guardedName}: Cannot evict pod as it would violate the pod's disruption budget`));

    // and what a user reads on the Node
    const events = (await get(`/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${NODE}`)}`))!.items as Json[];
    const reasons = events.filter((e) => e.source?.component === 'kubelet').map((e) => `${e.type} ${e.reason}`);
    expect(reasons).to.include.members(['Normal Shutdown', 'Warning DrainIncomplete']);
    expect(events.find((e) => e.reason === 'DrainIncomplete')?.message).to.contain(guardedName);
    // the cordon is marked as the kubelet's own, to be lifted when it starts again
    expect((await node()).metadata.annotations).to.have.property('skiff.io/shutdown-cordon');
    console.log(`      SIGTERM to exit ${exitedAfter.toFixed(1)} s (budget ${BUDGET_S} s)`);
  });

  it('started again, it lifts its own cordon; without --drain-on-shutdown, SIGTERM only stops it', async () => {
    startKubelet([]);
    await until(
      'the cordon lifted',
      async () => {
        const n = await node();
        return n.spec?.unschedulable !== true && !n.metadata.annotations?.['skiff.io/shutdown-cordon'];
      },
      30_000,
    );
    const guarded = await guardedPod();
    await started();
    process.kill(kubelet!.pid, 'SIGTERM');
    expect(await kubelet!.exited).to.equal(0);
    expect((await node()).spec?.unschedulable).to.not.equal(true);
    const still = (await get(`/api/v1/namespaces/default/pods/${guarded.metadata.name}`))!;
    expect(still.metadata.uid).to.equal(guarded.metadata.uid);
    expect(still.metadata.deletionTimestamp).to.equal(undefined);
    expect(logLines().filter((l) => l.msg === 'draining the node before the kubelet stops')).to.have.length(1);
  });

  it('with nothing protected, the drain completes: every pod gone, a Drained event, exit 0', async () => {
    // no budget, and no ReplicaSet to put a pod back (its template names the node); its pod stays
    expect((await api('DELETE', '/apis/policy/v1/namespaces/default/poddisruptionbudgets/guarded')).status).to.equal(200);
    expect((await api('DELETE', '/apis/apps/v1/namespaces/default/replicasets/guarded')).status).to.equal(200);
    const guarded = await guardedPod();
    startKubelet(['--drain-on-shutdown', '--shutdown-grace-period', '60s']);
    await started();
    const sentAt = Date.now();
    process.kill(kubelet!.pid, 'SIGTERM');
    expect(await kubelet!.exited).to.equal(0);
    const exitedAfter = (Date.now() - sentAt) / 1000;
    expect(await get(`/api/v1/namespaces/default/pods/${guarded.metadata.name}`)).to.equal(undefined);
    const drained = logLines().find((l) => l.msg === 'drained the node');
    expect(drained?.evicted).to.deep.equal([`default/${guarded.metadata.name}`]);
    const events = (await get(`/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${NODE}`)}`))!.items as Json[];
    expect(events.map((e) => `${e.type} ${e.reason}`)).to.include('Normal Drained');
    console.log(`      SIGTERM to exit ${exitedAfter.toFixed(1)} s with one pod to evict (grace 1 s, budget 60 s)`);
  });
});
