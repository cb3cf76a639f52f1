// `make bench`: pod start latency through the whole path (create through the apiserver ->
// kubelet -> containerd -> status Running seen by a watch) beside the raw CRI time of the same
// work (RunPodSandbox + CreateContainer + StartContainer straight through CriClient) on the same
// containerd in the same run, one pod at a time and interleaved so both see the same machine.
// Prints p50 / p99 of each and their ratio (goal <= 1.5). SKIFF_BENCH_PODS overrides 30.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { percentile, startApiserver, startEtcd, watchLines, type ApiserverHandle } from '@skiff/common/testing/index';
import { containerConfig, sandboxConfig } from '../src/runtime/cri-configs.ts';
import { startLocalNode } from '../src/runtime-setup/local-node.ts';

const PODS = Number(process.env.SKIFF_BENCH_PODS ?? 30);
const NODE = 'bench-node';
const BUSYBOX = '127.0.0.1:5000/skiff/busybox:latest';

/** Watches the namespace's pods and resolves waiters once a pod reports phase Running. */
function runningWatch(server: ApiserverHandle, ns: string) {
  const waiters = new Map<string, (at: number) => void>();
  const seen = new Map<string, number>();
  const close = watchLines(server, `/api/v1/namespaces/${ns}/pods?watch=1`, (line) => {
    if (!line.includes('"Running"')) return;
    const pod = JSON.parse(line).object as V1Pod;
    const name = pod.metadata!.name!;
    if (pod.status?.phase !== 'Running' || seen.has(name)) return;
    const at = performance.now();
    seen.set(name, at);
    waiters.get(name)?.(at);
  });
  return {
    running(name: string): Promise<number> {
      const at = seen.get(name);
      return at !== undefined ? Promise.resolve(at) : new Promise((resolve) => waiters.set(name, resolve));
    },
    close,
  };
}

function podObject(name: string, uid = ''): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(uid ? { uid } : {}) },
    spec: {
      nodeName: NODE,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
    },
  };
}

async function main(): Promise<void> {
  const etcd = await startEtcd();
  const server = await startApiserver({ etcdUrl: etcd.url });
  const node = await startLocalNode({
    kubeconfigPath: server.kubeconfigPath,
    nodeName: NODE,
    subnet: '10.253.4.0/24',
    bridge: 'skiff-kl3',
    kubelet: { resyncMs: 2000 },
  });
  const watch = runningWatch(server, 'default');
  const cri = node.cri;
  const rawDir = join(node.rootDir, 'bench-raw');
  try {
    // Node Ready (CNI written) and the image present, so neither run pays for them.
    for (let i = 0; !node.kubelet.node.networkReady; i++) {
      if (i > 100) throw new Error('node network never ready');
      await new Promise((r) => setTimeout(r, 200));
    }
    const image = await cri.pullImage(BUSYBOX);
    const apiTimes: number[] = [];
    const criTimes: number[] = [];
    for (let i = 0; i < PODS; i++) {
      // Raw CRI: the same configs the kubelet would send, labelled so the kubelet leaves them alone.
      const raw = podObject(`raw-${i}`, `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
      const sb = sandboxConfig(raw, 0, { podLogDir: rawDir, clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local' });
      sb.labels = { 'skiff.bench/raw': 'true' };
      mkdirSync(sb.logDirectory!, { recursive: true });
      const cc = containerConfig({
        pod: raw,
        container: raw.spec!.containers[0]!,
        init: false,
        restartCount: 0,
        image,
        env: {},
        volumes: new Map(),
        terminationMessageHostPath: join(rawDir, `termination-${i}`),
      });
      cc.labels = { 'skiff.bench/raw': 'true' };
      cc.mounts = [];
      const c0 = performance.now();
      const sandboxId = await cri.runPodSandbox(sb);
      const containerId = await cri.createContainer(sandboxId, cc, sb);
      await cri.startContainer(containerId);
      criTimes.push(performance.now() - c0);

      // Through the API: create -> kubelet -> Running on the watch.
      const name = `pod-${i}`;
      const a0 = performance.now();
      const r = await server.request('POST', '/api/v1/namespaces/default/pods', { body: podObject(name) });
      if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.body}`);
      apiTimes.push((await watch.running(name)) - a0);
    }
    apiTimes.sort((a, b) => a - b);
    criTimes.sort((a, b) => a - b);
    const row = (label: string, t: number[]) =>
      `  ${label.padEnd(38)} p50 ${percentile(t, 50).toFixed(0).padStart(5)} ms   p99 ${percentile(t, 99).toFixed(0).padStart(5)} ms`;
    console.log(`pod start latency, ${PODS} pods one at a time (busybox, image present)`);
    console.log(row('apply -> Running (watch)', apiTimes));
    console.log(row('raw CRI sandbox+create+start', criTimes));
    const r50 = percentile(apiTimes, 50) / percentile(criTimes, 50);
    const r99 = percentile(apiTimes, 99) / percentile(criTimes, 99);
    console.log(`  ratio p50 ${r50.toFixed(2)}   p99 ${r99.toFixed(2)}   (goal <= 1.5)`);
  } finally {
    watch.close();
    await node.stop();
    await server.stop();
    await etcd.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
