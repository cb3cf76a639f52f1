// The CRI client against a REAL containerd of the test's own (own root, state, socket, CNI
// subnet 10.250.0.0/24 on bridge skiff-test0), pulling Skiff's images from the local registry.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@skiff/common/testing/index';
import { CriClient, CriError } from '../src/cri/client.ts';
import type { ContainerConfig, PodSandboxConfig } from '../src/cri/types.ts';
import { startPrivateContainerd, type PrivateContainerd } from '../src/runtime-setup/private-containerd.ts';
import { ensureRegistry, type RegistryHandle } from '../src/runtime-setup/registry.ts';
import { ensureSkiffImages } from '../src/runtime-setup/skiff-images.ts';

const SUBNET_PREFIX = '10.250.0.';
const BUSYBOX = '127.0.0.1:5000/skiff/busybox:latest';
const WEB = '127.0.0.1:5000/skiff/web:latest';
const PAUSE = '127.0.0.1:5000/skiff/pause:latest';

async function httpGet(url: string, withinMs: number): Promise<string> {
  const until = Date.now() + withinMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      return await res.text();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function sandboxConfig(name: string, uid: string, logDirectory: string): PodSandboxConfig {
  return {
    metadata: { name, uid, namespace: 'cri-test', attempt: 0 },
    hostname: name,
    logDirectory,
    labels: { 'skiff.test/run': uid },
    annotations: { 'skiff.test/purpose': 'cri.test.ts' },
    linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
  };
}

describe('CRI client against a private containerd', function () {
  this.timeout(120_000);
  let registry: RegistryHandle;
  let runtime: PrivateContainerd;
  let cri: CriClient;
  let logRoot: string;

  before(async () => {
    registry = await ensureRegistry();
    await ensureSkiffImages();
    runtime = await startPrivateContainerd({ subnet: `${SUBNET_PREFIX}0/24`, bridge: 'skiff-test0' });
    cri = new CriClient({ endpoint: runtime.endpoint, timeoutMs: 60_000 });
    await cri.waitForReady(10_000);
    logRoot = mkdtempSync(join(tmpdir(), 'skiff-cri-logs-'));
  });

  after(async () => {
    // Leave nothing running: every sandbox of this private containerd is ours.
    if (cri) {
      for (const sandbox of await cri.listPodSandbox().catch(() => [])) {
        await cri.stopPodSandbox(sandbox.id).catch(() => undefined);
        await cri.removePodSandbox(sandbox.id).catch(() => undefined);
      }
      cri.close();
    }
    if (runtime) await runtime.stop();
    if (registry) await registry.stop();
    if (logRoot) rmSync(logRoot, { recursive: true, force: true });
  });

  it('reports the runtime version over runtime.v1', async () => {
    const v = await cri.version();
    expect(v.runtimeName).to.equal('containerd');
    expect(v.runtimeApiVersion).to.equal('v1');
    expect(v.runtimeVersion).to.match(/^1\./);
    const status = await cri.status();
    const conditions = Object.fromEntries(status.status!.conditions.map((c) => [c.type, c.status]));
    expect(conditions).to.include({ RuntimeReady: true, NetworkReady: true });
  });

  it('pulls our busybox image from the local registry', async () => {
    const ref = await cri.pullImage(BUSYBOX);
    expect(ref).to.match(/^sha256:[0-9a-f]{64}$/);
    const image = await cri.imageStatus(BUSYBOX);
    expect(image?.id).to.equal(ref);
    expect(image?.repoTags).to.include(BUSYBOX);
    expect(Number(image?.size)).to.be.greaterThan(500_000);
    expect((await cri.listImages()).map((i) => i.id)).to.include(ref);
    expect(await cri.imageStatus('127.0.0.1:5000/skiff/does-not-exist:latest')).to.equal(null);
  });

  it('maps gRPC failures to CriError with the status code', async () => {
    const err = await cri.containerStatus('no-such-container').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(CriError);
    expect((err as CriError).notFound).to.equal(true);
    expect((err as CriError).message).to.contain('ContainerStatus');
  });

  it('rides out a containerd restart: a call made while it is down completes once it is back', async () => {
    const oldPid = runtime.pid;
    await runtime.stopDaemon();
    const pending = cri.version({ timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 500));
    await runtime.startDaemon();
    expect(runtime.pid).to.not.equal(oldPid);
    expect((await pending).runtimeName).to.equal('containerd');
  });

  describe('a pod running the web image', () => {
    const uid = `uid-${process.pid}-${Date.now()}`;
    const podName = 'web-pod-1';
    let sandboxId = '';
    let containerId = '';
    let podIp = '';
    let logDirectory = '';
    let config: PodSandboxConfig;

    before(async () => {
      await cri.pullImage(WEB);
      logDirectory = join(logRoot, `cri-test_${podName}_${uid}`);
      config = sandboxConfig(podName, uid, logDirectory);
    });

    it('runs a sandbox that gets an IP from CNI', async () => {
      const t0 = performance.now();
      sandboxId = await cri.runPodSandbox(config);
      const ms = performance.now() - t0;
      console.log(`      RunPodSandbox: ${ms.toFixed(0)} ms`);
      const { status } = await cri.podSandboxStatus(sandboxId);
      expect(status?.state).to.equal('SANDBOX_READY');
      expect(status?.metadata?.name).to.equal(podName);
      expect(status?.annotations).to.deep.equal(config.annotations);
      podIp = status?.network?.ip ?? '';
      expect(podIp.startsWith(SUBNET_PREFIX), `pod IP ${podIp}`).to.equal(true);
      const listed = await cri.listPodSandbox({ labelSelector: { 'skiff.test/run': uid } });
      expect(listed.map((s) => s.id)).to.deep.equal([sandboxId]);
      expect(Number(listed[0]!.createdAt)).to.be.greaterThan(1e18); // nanoseconds, kept exact as a string
    });

    it('creates and starts the web container, which serves a page naming the pod', async () => {
      const container: ContainerConfig = {
        metadata: { name: 'web', attempt: 0 },
        image: { image: WEB },
        envs: [{ key: 'GREETING', value: 'hi' }],
        labels: { 'skiff.test/run': uid },
        logPath: 'web/0.log',
      };
      const t0 = performance.now();
      containerId = await cri.createContainer(sandboxId, container, config);
      const created = performance.now();
      await cri.startContainer(containerId);
      const started = performance.now();
      const page = await httpGet(`http://${podIp}:8080/`, 5000);
      const served = performance.now();
      console.log(
        `      CreateContainer: ${(created - t0).toFixed(0)} ms, StartContainer: ${(started - created).toFixed(0)} ms, ` +
          `first HTTP answer after start: ${(served - started).toFixed(0)} ms`,
      );
      expect(page).to.contain(`pod: ${podName}`);
      expect(await httpGet(`http://${podIp}:8080/cgi-bin/whoami`, 1000)).to.contain(`pod: ${podName}`);

      const { status } = await cri.containerStatus(containerId);
      expect(status?.state).to.equal('CONTAINER_RUNNING');
      expect(status?.logPath).to.equal(join(logDirectory, 'web/0.log'));
      expect((await cri.listContainers({ podSandboxId: sandboxId })).map((c) => c.id)).to.deep.equal([containerId]);
    });

    it('runs commands with ExecSync and returns their exit code and output', async () => {
      const failed = await cri.execSync(containerId, ['sh', '-c', 'exit 3'], 10);
      expect(failed.exitCode).to.equal(3);
      const ok = await cri.execSync(containerId, ['sh', '-c', 'echo "$GREETING from $(hostname)"; echo oops >&2'], 10);
      expect(ok.exitCode).to.equal(0);
      expect(ok.stdout.toString()).to.equal(`hi from ${podName}\n`);
      expect(ok.stderr.toString()).to.equal('oops\n');
    });

    it('writes the container log in CRI format under the sandbox log directory', async () => {
      await httpGet(`http://${podIp}:8080/healthz`, 1000);
      const until = Date.now() + 3000;
      let log = '';
      while (!log.includes('/healthz') && Date.now() < until) {
        log = readFileSync(join(logDirectory, 'web/0.log'), 'utf8');
        await new Promise((r) => setTimeout(r, 50));
      }
      // e.g. "2024-01-01T00:00:00.000000000Z stdout F skiff web: pod web-pod-1 serving /www on port 8080"
      expect(log).to.match(/^\S+ stdout F skiff web: pod web-pod-1 serving \/www on port 8080$/m);
      expect(log, log).to.match(/^\S+ stderr F .*url:\/healthz$/m);
    });

    it('returns streaming URLs for exec, attach and port-forward', async () => {
      const execUrl = await cri.exec({ containerId, cmd: ['sh'], stdin: true, stdout: true, stderr: true });
      expect(execUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+\/exec\//);
      expect(await cri.attach({ containerId, stdout: true, stderr: true })).to.match(/\/attach\//);
      expect(await cri.portForward(sandboxId, [8080])).to.match(/\/portforward\//);
    });

    it('reports container stats', async () => {
      const stats = await cri.containerStats(containerId);
      expect(stats?.attributes?.id).to.equal(containerId);
      expect(Number(stats?.memory?.workingSetBytes?.value ?? 0)).to.be.greaterThan(0);
      expect((await cri.listContainerStats({ podSandboxId: sandboxId })).length).to.equal(1);
    });

    it('runs the pause image as PID 1 that exits 0 at once on SIGTERM', async () => {
      await cri.pullImage(PAUSE);
      const id = await cri.createContainer(sandboxId, { metadata: { name: 'pause-check' }, image: { image: PAUSE } }, config);
      await cri.startContainer(id);
      // The script traps TERM in its first line, but a SIGTERM sent before the shell got there
      // kills it by default (143): on a loaded machine that took longer than the CRI calls. Its
      // `sleep` child shows that the trap is set.
      const sleeping = async () => (await cri.execSync(id, ['sh', '-c', 'cat /proc/[0-9]*/comm'], 10)).stdout.toString().split('\n').includes('sleep');
      await until('the pause script to start its sleep', sleeping, 20_000, 100);
      const t0 = performance.now();
      await cri.stopContainer(id, 10); // SIGTERM, SIGKILL only after 10 s
      const ms = performance.now() - t0;
      const { status } = await cri.containerStatus(id);
      await cri.removeContainer(id);
      expect(status?.state).to.equal('CONTAINER_EXITED');
      expect(status?.exitCode).to.equal(0);
      expect(ms, 'stop took the SIGKILL path').to.be.lessThan(3000);
    });

    it('stops and removes everything, leaving nothing listed', async () => {
      const t0 = performance.now();
      await cri.stopContainer(containerId, 5);
      const stopped = performance.now();
      const { status } = await cri.containerStatus(containerId);
      expect(status?.state).to.equal('CONTAINER_EXITED');
      await cri.removeContainer(containerId);
      await cri.stopPodSandbox(sandboxId);
      const sandboxStopped = performance.now();
      console.log(`      StopContainer: ${(stopped - t0).toFixed(0)} ms, StopPodSandbox: ${(sandboxStopped - stopped).toFixed(0)} ms`);
      await cri.removePodSandbox(sandboxId);
      expect(await cri.listContainers()).to.deep.equal([]);
      expect(await cri.listPodSandbox()).to.deep.equal([]);
      // idempotent, as the CRI requires
      await cri.stopPodSandbox(sandboxId).catch((e: unknown) => expect((e as CriError).notFound).to.equal(true));
      await cri.removePodSandbox(sandboxId);
    });
  });
});
