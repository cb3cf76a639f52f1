// A lab with an HA control plane (scripts/lab.sh with SKIFF_LAB_CONTROL_PLANE=ha; the
// control plane itself is scripts/lab-ha.sh): N control-plane "VMs", each an etcd member, an
// apiserver, a controller-manager and a scheduler in a network namespace of its own, and M
// workers that fail over between the apiservers. Its own bridge, /24 and names (HA_LAYOUT),
// so it can run beside the shared lab; its own SKIFF_DIR, removed by down().
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runKubectl } from '@skiff/common/testing/index';
import type { KubectlOptions, KubectlResult } from '@skiff/common/testing/index';
import { labScript, runLabScript } from './lab-script.ts';
import { layoutEnv, workerAddress, workerName } from './layout.ts';
import type { LabLayout } from './layout.ts';
import type { LabWorker } from './lab.ts';
import { processAlive, servicePids } from '../supervised-pid.ts';

/** beside `make lab` (10.254.0), the shared e2e lab (10.253.0) and the lab CLI (10.252.0) */
export const HA_LAYOUT: LabLayout = { bridge: 'skiffha0', net: '10.251.0', prefix: 'skiff-h' };

export type ControlPlaneComponent = 'etcd' | 'apiserver' | 'controller-manager' | 'scheduler';

export interface ControlPlaneNode {
  index: number;
  /** network namespace, etcd member name */
  name: string;
  address: string;
  /** https://ADDRESS:6443 */
  apiserverUrl: string;
  /** https://ADDRESS:2379 */
  etcdUrl: string;
}

export interface HaLabOptions {
  controlPlanes?: number;
  workers?: number;
  layout?: LabLayout;
  kubectlVersion?: string;
  verbose?: boolean;
  /**
   * Components and node daemons run under scripts/supervise.sh and come back by themselves
   * after a kill (default true, as `make lab-ha`); false: a killed one stays dead until
   * startControlPlaneNode.
   */
  supervise?: boolean;
  /** the lab's SKIFF_DIR (default a new temporary directory, removed by down()) */
  skiffDir?: string;
}

export type NodeDaemon = 'kubelet' | 'proxy' | 'containerd';

export interface HaLab {
  layout: LabLayout;
  controlPlanes: ControlPlaneNode[];
  workers: LabWorker[];
  /** the admin kubeconfig (server: the first apiserver) */
  kubeconfig: string;
  /** the cluster's PKI (etcd/ holds the etcd CA and the healthcheck client) */
  pkiDir: string;
  /** milliseconds from nothing to every worker Ready */
  readyAfterMs: number;
  /** kubectl as admin; `server` picks the apiserver (default: the kubeconfig's, the first) */
  kubectl(args: string[], opts?: KubectlOptions & { server?: string }): Promise<KubectlResult>;
  /**
   * PID of a control-plane component on node `index` (1-based), undefined when it has none: the
   * component's own (its supervisor's state file names it), never the supervisor's
   */
  pid(index: number, component: ControlPlaneComponent): number | undefined;
  /** PID of a daemon of worker `index` (1-based), its own as pid() */
  workerPid(index: number, daemon: NodeDaemon): number | undefined;
  /** the lab's SKIFF_DIR (logs/ holds every component's log) */
  skiffDir: string;
  /**
   * Starts whatever is not running on control-plane node `index` and waits until it is healthy;
   * `etcdJoinsExisting`: its etcd member (announced with `member add`, no data dir) joins the
   * running cluster (--initial-cluster-state existing).
   */
  startControlPlaneNode(index: number, opts?: { etcdJoinsExisting?: boolean }): Promise<void>;
  /** the directory of control-plane node `index` (etcd/ is its member's data, run/ its pid files) */
  controlPlaneDir(index: number): string;
  /** etcdctl with the lab's TLS flags against `endpoints` (default: every member) */
  etcdctl(args: string[], endpoints?: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  down(): Promise<void>;
}

export async function startHaLab(opts: HaLabOptions = {}): Promise<HaLab> {
  const layout = opts.layout ?? HA_LAYOUT;
  const controlPlanes = opts.controlPlanes ?? 3;
  const workers = opts.workers ?? 2;
  const started = Date.now();
  const ownDir = opts.skiffDir === undefined;
  const skiffDir = opts.skiffDir ?? mkdtempSync(join(tmpdir(), 'skiff-halab-'));
  const env: Record<string, string> = {
    ...layoutEnv(layout),
    SKIFF_DIR: skiffDir,
    SKIFF_LAB_CONTROL_PLANE: 'ha',
    SKIFF_LAB_CONTROL_PLANES: String(controlPlanes),
    SKIFF_LAB_SUPERVISE: opts.supervise === false ? '0' : '1',
    SKIFF_LAB_REGISTRY_DATA: process.env.SKIFF_LAB_REGISTRY_DATA ?? join(repoRoot(), '.skiff', 'registry', 'data'),
  };
  const labDir = join(skiffDir, `lab-${layout.bridge}`);
  const down = async () => {
    const r = await runLabScript(['down'], env, { echo: opts.verbose });
    if (ownDir && process.env.SKIFF_KEEP_TEST_DIRS !== '1') rmSync(skiffDir, { recursive: true, force: true });
    if (r.code !== 0) throw new Error(`HA lab down failed:\n${r.output.slice(-3000)}`);
  };
  try {
    await labScript(['up', String(workers)], env, { echo: opts.verbose, timeoutMs: 480_000 });
  } catch (e) {
    await down().catch((err: unknown) => process.stderr.write(`HA lab cleanup after a failed start: ${(err as Error).message}\n`));
    throw e;
  }
  const nodes: ControlPlaneNode[] = Array.from({ length: controlPlanes }, (_, i) => {
    const address = `${layout.net}.2${i + 1}`;
    return { index: i + 1, name: `${layout.prefix}cp${i + 1}`, address, apiserverUrl: `https://${address}:6443`, etcdUrl: `https://${address}:2379` };
  });
  const kubeconfig = join(labDir, 'admin.kubeconfig');
  const pkiDir = join(labDir, 'pki');
  const kubectlDir = mkdtempSync(join(skiffDir, 'kubectl-cache-'));
  return {
    layout,
    controlPlanes: nodes,
    workers: Array.from({ length: workers }, (_, i) => ({ name: workerName(layout, i + 1), address: workerAddress(layout, i + 1) })),
    kubeconfig,
    pkiDir,
    readyAfterMs: Date.now() - started,
    kubectl: (args, { server, ...kopts } = {}) =>
      runKubectl(kubeconfig, opts.kubectlVersion ?? '1.32', [...(server ? [`--server=${server}`] : []), ...args], { cacheDir: kubectlDir, ...kopts }),
    skiffDir,
    pid: (index, component) => ownPid(join(labDir, 'cp', nodes[index - 1]!.name, 'run'), component),
    workerPid(index, daemon) {
      const base = join(skiffDir, 'nodes', workerName(layout, index));
      return daemon === 'containerd' ? ownPid(join(base, 'containerd'), daemon) : ownPid(join(base, 'run'), daemon);
    },
    startControlPlaneNode: async (index, sopts = {}) => {
      const extra: Record<string, string> = sopts.etcdJoinsExisting ? { SKIFF_LAB_ETCD_INITIAL_CLUSTER_STATE: 'existing' } : {};
      await labScript(['control-plane', String(index)], { ...env, ...extra }, { echo: opts.verbose, timeoutMs: 240_000 });
    },
    controlPlaneDir: (index) => join(labDir, 'cp', nodes[index - 1]!.name),
    etcdctl: (args, endpoints = nodes.map((n) => n.etcdUrl)) =>
      new Promise((resolve) => {
        const tls = [
          `--cacert=${join(pkiDir, 'etcd', 'ca.crt')}`,
          `--cert=${join(pkiDir, 'etcd', 'healthcheck-client.crt')}`,
          `--key=${join(pkiDir, 'etcd', 'healthcheck-client.key')}`,
        ];
        execFile(
          'etcdctl',
          [`--endpoints=${endpoints.join(',')}`, ...tls, '--command-timeout=5s', ...args],
          { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 },
          (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      }),
    down,
  };
}

/**
 * The PID of NAME whose files are in DIR: NAME.state's pid= when a supervisor runs it (its
 * NAME.pid names the supervisor), else NAME.pid; undefined when neither names a live process.
 */
function ownPid(dir: string, name: string): number | undefined {
  const { started, service } = servicePids(dir, name);
  if (service !== undefined) return processAlive(service) ? service : undefined;
  return started;
}
