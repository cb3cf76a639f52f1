// kubectl logs / exec / port-forward through the apiserver's proxy to the kubelet and on to
// containerd's streaming server (real kubectl 1.27 and 1.33, real apiserver and containerd).
// SKIFF_TEST_APISERVER_ENTRY=file runs that apiserver entry instead of the default main.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { useApiserver, kubectlBinary, freePort, until } from '@skiff/common/testing/index';
import { createLogger } from '@skiff/common';
import { Kubelet } from '../src/kubelet.ts';
import { CriClient } from '../src/cri/client.ts';
import { startPrivateContainerd, type PrivateContainerd } from '../src/runtime-setup/private-containerd.ts';
import { ensureRegistry, type RegistryHandle } from '../src/runtime-setup/registry.ts';
import { ensureSkiffImages } from '../src/runtime-setup/skiff-images.ts';

const SUBNET = '10.251.2.0/24';
const WEB = '127.0.0.1:5000/skiff/web:latest';
const NODE = 'kt-node-2';

describe('kubectl streaming through apiserver and kubelet', function () {
  this.timeout(180_000);
  const entry = process.env.SKIFF_TEST_APISERVER_ENTRY;
  const cluster = useApiserver(entry ? { entryArgs: ['--conditions=source', entry] } : {});
  let registry: RegistryHandle;
  let runtime: PrivateContainerd;
  let kubelet: Kubelet;
  let rootDir: string;

  before(async () => {
    registry = await ensureRegistry();
    await ensureSkiffImages();
    runtime = await startPrivateContainerd({ subnet: SUBNET, bridge: 'skiff-kt1' });
    rootDir = mkdtempSync(join(tmpdir(), 'skiff-kubelet-stream-'));
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.server.kubeconfigPath);
    kubelet = new Kubelet({
      kubeConfig: kc,
      nodeName: NODE,
      nodeIP: '127.0.0.1',
      rootDir,
      runtime: 'cri',
      containerRuntimeEndpoint: runtime.endpoint,
      cniConfDir: join(runtime.dir, 'net.d'),
      cniBridge: 'skiff-kt1',
      podCIDR: SUBNET,
      port: 0,
      bindAddress: '127.0.0.1',
      logger: createLogger('kubelet-test'),
    });
    await kubelet.start();
    const r = await cluster.server.request('POST', '/api/v1/namespaces/default/pods', {
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web' },
        spec: { nodeName: NODE, containers: [{ name: 'web', image: WEB, ports: [{ containerPort: 8080 }] }] },
      },
    });
    expect(r.status, r.body).to.equal(201);
    await until(
      'web Running',
      async () => JSON.parse((await cluster.server.request('GET', '/api/v1/namespaces/default/pods/web')).body).status?.phase === 'Running',
    );
  });

  after(async () => {
    if (kubelet) await kubelet.stop();
    const cri = new CriClient({ endpoint: runtime.endpoint });
    for (const s of await cri.listPodSandbox().catch(() => [])) {
      await cri.stopPodSandbox(s.id).catch(() => undefined);
      await cri.removePodSandbox(s.id).catch(() => undefined);
    }
    cri.close();
    if (runtime) await runtime.stop();
    if (registry) await registry.stop();
    if (rootDir) rmSync(rootDir, { recursive: true, force: true });
  });

  it('kubectl logs returns the container log', async () => {
    const r = await until(
      'logs',
      async () => {
        const x = await cluster.server.kubectl('1.33', ['logs', 'web']);
        return x.code === 0 && x;
      },
      15_000,
    );
    expect(r.stdout).to.contain('skiff web: pod web serving');
  });

  for (const version of ['1.27', '1.33']) {
    it(`kubectl ${version} exec returns output and exit code 3`, async () => {
      const ok = await cluster.server.kubectl(version, ['exec', 'web', '--', 'sh', '-c', 'echo hi-from-$(hostname)']);
      expect(ok.stdout, ok.stderr).to.equal('hi-from-web\n');
      const failed = await cluster.server.kubectl(version, ['exec', 'web', '--', 'sh', '-c', 'exit 3']);
      expect(failed.code, failed.stderr).to.equal(3);
    });
  }

  for (const version of ['1.30', '1.33']) {
    it(`kubectl ${version} port-forward reaches the pod`, async () => {
      const port = await freePort();
      const pf = spawn(kubectlBinary(version), ['--kubeconfig', cluster.server.kubeconfigPath, 'port-forward', 'pod/web', `${port}:8080`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      pf.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      try {
        const page = await until(
          'forwarded page',
          async () => (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })).text(),
          20_000,
        ).catch((e: Error) => {
          throw new Error(`${e.message}; kubectl said: ${err}`);
        });
        expect(page).to.contain('pod: web');
      } finally {
        pf.kill('SIGTERM');
      }
    });
  }
});
