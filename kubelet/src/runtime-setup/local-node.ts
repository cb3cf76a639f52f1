// One node on this machine for tests and benches: a private containerd (own bridge and pod
// subnet) and an in-process Kubelet against a given apiserver. stop() leaves no sandbox,
// bridge or state directory behind.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '@skiff/common';
import { CriClient } from '../cri/client.ts';
import { Kubelet, type KubeletConfig } from '../kubelet.ts';
import { startPrivateContainerd, type PrivateContainerd } from './private-containerd.ts';
import { ensureRegistry, type RegistryHandle } from './registry.ts';
import { ensureSkiffImages } from './skiff-images.ts';

export interface LocalNodeOptions {
  kubeconfigPath: string;
  nodeName: string;
  /** pod subnet, e.g. 10.253.1.0/24; unique per concurrently running node */
  subnet: string;
  /** Linux bridge name (max 15 chars) */
  bridge: string;
  /** overrides of the kubelet's config */
  kubelet?: Partial<KubeletConfig>;
}

export interface LocalNode {
  kubelet: Kubelet;
  containerd: PrivateContainerd;
  rootDir: string;
  kubeConfig: KubeConfig;
  /** a CRI client of its own, independent of the kubelet's (which stop() closes) */
  cri: CriClient;
  /** the config the kubelet was started with, to start another one like it */
  kubeletConfig: KubeletConfig;
  /** stops the kubelet (only) and starts a new one with the same config */
  restartKubelet(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalNode(o: LocalNodeOptions): Promise<LocalNode> {
  const registry: RegistryHandle = await ensureRegistry();
  await ensureSkiffImages();
  const containerd = await startPrivateContainerd({ subnet: o.subnet, bridge: o.bridge });
  const rootDir = mkdtempSync(join(tmpdir(), `skiff-${o.nodeName}-`));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(o.kubeconfigPath);
  const kubeletConfig: KubeletConfig = {
    kubeConfig,
    nodeName: o.nodeName,
    nodeIP: '127.0.0.1',
    rootDir,
    runtime: 'cri',
    containerRuntimeEndpoint: containerd.endpoint,
    cniConfDir: join(containerd.dir, 'net.d'),
    cniBridge: o.bridge,
    podCIDR: o.subnet,
    port: 0,
    bindAddress: '127.0.0.1',
    // the default periodic pass (10 s): container changes reach the pod workers through the
    // relist every second, probes and back-offs wake them
    logger: createLogger('kubelet-test').child({ node: o.nodeName }),
    ...o.kubelet,
  };
  const cri = new CriClient({ endpoint: containerd.endpoint });
  const node: LocalNode = {
    kubelet: new Kubelet(kubeletConfig),
    containerd,
    rootDir,
    kubeConfig,
    cri,
    kubeletConfig,
    async restartKubelet() {
      await node.kubelet.stop();
      node.kubelet = new Kubelet(kubeletConfig);
      await node.kubelet.start();
    },
    async stop() {
      await node.kubelet.stop().catch(() => undefined);
      await removeEverything(cri);
      cri.close();
      await containerd.stop();
      await registry.stop();
      await unmountUnder(rootDir);
      rmSync(rootDir, { recursive: true, force: true });
    },
  };
  try {
    await node.kubelet.start();
  } catch (e) {
    await node.stop().catch(() => undefined);
    throw e;
  }
  return node;
}

/** Stops and removes every container and sandbox the runtime holds. */
export async function removeEverything(cri: CriClient): Promise<void> {
  for (const c of await cri.listContainers().catch(() => [])) {
    await cri.stopContainer(c.id, 0).catch(() => undefined);
    await cri.removeContainer(c.id).catch(() => undefined);
  }
  for (const s of await cri.listPodSandbox().catch(() => [])) {
    await cri.stopPodSandbox(s.id).catch(() => undefined);
    await cri.removePodSandbox(s.id).catch(() => undefined);
  }
}

// Pods still running at the end keep their tmpfs volumes mounted under the root dir;
// rm -rf must not stop at (or reach through) them.
export async function unmountUnder(dir: string): Promise<void> {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(dir + '/'));
  for (const m of mounts.sort().reverse()) await promisify(execFile)('umount', ['-l', m]).catch(() => undefined);
}
