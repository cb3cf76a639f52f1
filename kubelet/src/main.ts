// kubelet: the node agent. Flags as the real kubelet names them (a subset); see --help.
import os from 'node:os';
import { join } from 'node:path';
import { createLogger, FlagError, loadKubeConfig, onShutdown, parseFlags } from '@skiff/common';
import { parseGoDurationMs } from '@skiff/common/go-duration';
import { startIdleGc } from '@skiff/common/idle-gc';
import { Kubelet } from './kubelet.ts';
import { firstIPv4 } from './node/machine.ts';
import { runHollowNodes } from './hollow.ts';
import { defaultCertDir, ensureCredentials } from './node/credentials.ts';

const log = createLogger('kubelet');

const FLAGS = {
  kubeconfig: { description: 'kubeconfig for the apiserver; with --bootstrap-kubeconfig, where the bootstrapped one is written' },
  'bootstrap-kubeconfig': {
    description: 'kubeconfig with a bootstrap token: used to get a node client certificate by CSR when --kubeconfig holds no good one',
  },
  'cert-dir': { description: 'where bootstrapped keys and certificates go (default <root-dir>/pki)' },
  'rotate-server-certificates': {
    type: 'boolean',
    default: false,
    description: 'without --tls-cert-file, ask the cluster for a serving certificate (kubelet-serving CSR) instead of a self-signed one',
  },
  'bootstrap-timeout': { type: 'number', default: 300, description: 'seconds to wait for a CSR to be approved and signed' },
  'node-name': { description: 'node name (default: hostname)' },
  'container-runtime-endpoint': { default: 'unix:///run/containerd/containerd.sock', description: 'CRI socket' },
  'root-dir': { description: 'state directory (default .skiff/nodes/<node>/kubelet)' },
  'pod-log-dir': { description: 'container log root (default <root-dir>/pod-logs)' },
  'cni-conf-dir': { description: "CNI config dir containerd reads; written for the node's podCIDR" },
  'cni-bridge': { default: 'cni0', description: 'bridge name in the CNI config' },
  'node-ip': { description: 'InternalIP to report (default: first non-loopback IPv4)' },
  'bind-address': { default: '0.0.0.0', description: 'address for the node API' },
  port: { type: 'number', default: 10250, description: 'HTTPS port of the node API' },
  'tls-cert-file': { description: 'serving certificate (default: self-signed in the root dir)' },
  'tls-private-key-file': { description: 'serving key' },
  'client-ca-file': {
    description:
      'CA that client certificates on the node API must verify against (default: the cluster CA of --kubeconfig, what kubeadm configures); bearer tokens are checked by TokenReview',
  },
  'cluster-dns': { type: 'list', default: ['10.96.0.10'], description: 'DNS servers for ClusterFirst pods' },
  'cluster-domain': { default: 'cluster.local', description: 'cluster DNS domain' },
  'max-pods': { type: 'number', default: 110, description: 'pods capacity' },
  'pod-cidr': { description: 'pod CIDR to use when the controller-manager assigns none' },
  runtime: { default: 'cri', description: 'cri or simulated' },
  'simulated-ready-delay': { type: 'number', default: 1, description: 'seconds before a simulated pod is Running' },
  'hollow-nodes': { type: 'number', default: 0, description: 'run N simulated kubelets in this process (hollow-node-0..N-1)' },
  'hollow-name-prefix': { default: 'hollow-node-', description: 'name prefix of hollow nodes' },
  'hollow-first-index': {
    type: 'number',
    default: 0,
    description: 'number of the first hollow node (PREFIX<i>): several processes with one prefix run nodes FIRST..FIRST+N-1 each',
  },
  'hollow-serve': {
    type: 'boolean',
    default: false,
    description: 'hollow nodes serve their node API (/metrics/resource...) each on its own 127.x.y.z address, reported as InternalIP',
  },
  'hollow-usage-factor': {
    type: 'number',
    default: 0.5,
    description: "hollow nodes report each running container's CPU and memory usage as this fraction of its requests",
  },
  'node-labels': { type: 'list', default: [], description: 'extra labels k=v' },
  // Graceful node shutdown, Skiff's design (node/drain.ts). --shutdown-grace-period is
  // upstream's name (KubeletConfiguration shutdownGracePeriod) for the whole time a shutdown
  // may take; there it turns on GracefulNodeShutdown, which holds a systemd inhibitor lock and
  // kills the pods itself. Here the shutdown is the kubelet's own SIGTERM (systemctl stop),
  // the pods go through the eviction API so that PodDisruptionBudgets hold, and the separate
  // switch keeps SIGTERM as it was unless asked: no share is set aside for critical pods
  // (upstream's shutdownGracePeriodCriticalPods), as the DaemonSet pods that are usually the
  // critical ones stay.
  'drain-on-shutdown': {
    type: 'boolean',
    default: false,
    description:
      'on SIGTERM, cordon the node and evict its pods through the eviction API (PodDisruptionBudgets hold), wait for them to be gone, then stop; a second SIGTERM stops at once',
  },
  'shutdown-grace-period': {
    default: '30s',
    description: 'with --drain-on-shutdown, how long the drain may take in all (e.g. 30s, 2m); pods still there then are left running',
  },
} as const;

async function main(): Promise<void> {
  const f = parseFlags('kubelet', FLAGS);
  let shutdownGraceMs: number;
  try {
    shutdownGraceMs = parseGoDurationMs(f['shutdown-grace-period']);
  } catch (e) {
    throw new FlagError(`--shutdown-grace-period: ${(e as Error).message}`);
  }
  if (f['hollow-nodes'] > 0) {
    if (f['drain-on-shutdown']) throw new FlagError('--drain-on-shutdown is for a real node, not --hollow-nodes');
    const first = f['hollow-first-index'];
    if (!Number.isInteger(first) || first < 0) throw new FlagError(`--hollow-first-index must be a whole number of 0 or more, got ${first}`);
    const hollow = await runHollowNodes({
      kubeConfig: loadKubeConfig(f.kubeconfig),
      count: f['hollow-nodes'],
      prefix: f['hollow-name-prefix'],
      firstIndex: first,
      readyDelayMs: f['simulated-ready-delay'] * 1000,
      usageFactor: f['hollow-usage-factor'],
      serve: f['hollow-serve'],
      log,
    });
    onShutdown(log, () => hollow.stop());
    return;
  }
  const nodeName: string = f['node-name'] || os.hostname().toLowerCase();
  const rootDir: string = f['root-dir'] || join(process.cwd(), '.skiff', 'nodes', nodeName, 'kubelet');
  const nodeIP: string = f['node-ip'] || firstIPv4();
  const labels = Object.fromEntries((f['node-labels'] as string[]).map((kv) => kv.split('=') as [string, string]));
  if (f.runtime !== 'cri' && f.runtime !== 'simulated') throw new FlagError(`--runtime must be cri or simulated, got "${f.runtime}"`);
  if (f['bootstrap-kubeconfig'] && !f.kubeconfig)
    throw new FlagError('--bootstrap-kubeconfig needs --kubeconfig: the path the bootstrapped kubeconfig is written to');
  if (Boolean(f['tls-cert-file']) !== Boolean(f['tls-private-key-file'])) throw new FlagError('--tls-cert-file and --tls-private-key-file go together');
  const creds = await ensureCredentials({
    kubeconfig: f.kubeconfig,
    bootstrapKubeconfig: f['bootstrap-kubeconfig'] || undefined,
    nodeName,
    nodeIP,
    certDir: f['cert-dir'] || defaultCertDir(rootDir),
    serverTLSBootstrap: f['rotate-server-certificates'],
    tlsCertFile: f['tls-cert-file'] || undefined,
    tlsPrivateKeyFile: f['tls-private-key-file'] || undefined,
    timeoutMs: f['bootstrap-timeout'] * 1000,
    log,
  });
  const kubelet = new Kubelet({
    kubeConfig: loadKubeConfig(creds.kubeconfig),
    nodeName,
    nodeIP,
    rootDir,
    podLogDir: f['pod-log-dir'] || undefined,
    cniConfDir: f['cni-conf-dir'] || undefined,
    cniBridge: f['cni-bridge'],
    runtime: f.runtime,
    containerRuntimeEndpoint: f['container-runtime-endpoint'],
    clusterDNS: f['cluster-dns'],
    clusterDomain: f['cluster-domain'],
    maxPods: f['max-pods'],
    podCIDR: f['pod-cidr'] || undefined,
    simulatedReadyDelayMs: f['simulated-ready-delay'] * 1000,
    port: f.port,
    bindAddress: f['bind-address'],
    tlsCertFile: creds.tlsCertFile,
    tlsPrivateKeyFile: creds.tlsPrivateKeyFile,
    requestServingCertificate: creds.requestServingCertificate,
    clientCaFile: f['client-ca-file'] || undefined,
    labels,
    logger: log,
  });
  await kubelet.start();
  startIdleGc(); // the kubelet's registry has no process metrics, which start it in the others
  const drain = f['drain-on-shutdown'] ? (abort: AbortSignal) => kubelet.drain(shutdownGraceMs, abort).then(() => undefined) : undefined;
  onShutdown(log, () => kubelet.stop(), { prepare: drain });
}

main().catch((e: unknown) => {
  if (e instanceof FlagError) {
    process.stderr.write(`kubelet: ${e.message}\n`);
    process.exit(2);
  }
  log.error('fatal', { err: e as Error });
  process.exit(1);
});
