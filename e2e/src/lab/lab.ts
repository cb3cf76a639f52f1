// A lab for tests and the CLI: the lab bridge, a control plane of its own (see
// control-plane.ts) and N worker "VMs" joined through scripts/lab.sh (which calls the one
// join command, scripts/node/join.sh). down() removes everything, also after a failed start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runKubectl } from '@skiff/common/testing/index';
import type { KubectlOptions, KubectlResult } from '@skiff/common/testing/index';
import { startControlPlane } from './control-plane.ts';
import type { ControlPlane } from './control-plane.ts';
import { labScript, runLabScript } from './lab-script.ts';
import type { ScriptResult } from './lab-script.ts';
import { E2E_LAYOUT, hostAddress, layoutEnv, loadBalancerPool, workerAddress, workerName } from './layout.ts';
import type { LabLayout } from './layout.ts';

export interface LabOptions {
  workers: number;
  layout?: LabLayout;
  /** kubectl minor version the lab's kubectl() runs */
  kubectlVersion?: string;
  /** echo the lab script's progress to stderr */
  verbose?: boolean;
}

export interface LabWorker {
  name: string;
  address: string;
}

export interface Lab {
  layout: LabLayout;
  workers: LabWorker[];
  controlPlane: ControlPlane;
  /** the admin kubeconfig */
  kubeconfig: string;
  /** milliseconds from nothing (no bridge, no control plane) to every worker Ready */
  readyAfterMs: number;
  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** the kubeconfig a worker's kubelet wrote after TLS bootstrap: that node's own credential */
  nodeKubeconfig(name: string): string;
  /** the worker "VM" crashes: its processes get SIGKILL, its link goes down */
  killWorker(name: string): Promise<void>;
  /**
   * Worker `index` runs the join command (with `token` instead of a fresh valid one when
   * given); the script's exit code and output come back, a failed join is not thrown.
   */
  joinWorker(index: number, opts?: { token?: string }): Promise<ScriptResult>;
  /** removes one worker and everything it made */
  removeWorker(name: string): Promise<void>;
  /** removes every namespace, link, rule, mount, container and process of the lab */
  down(): Promise<void>;
}

export async function startLab(opts: LabOptions): Promise<Lab> {
  const layout = opts.layout ?? E2E_LAYOUT;
  const started = Date.now();
  // node dirs, lab registry config and logs of this lab only; registry storage stays shared
  const skiffDir = mkdtempSync(join(tmpdir(), 'skiff-lab-'));
  const baseEnv: Record<string, string> = {
    ...layoutEnv(layout),
    SKIFF_DIR: skiffDir,
    SKIFF_LAB_CONTROL_PLANE: 'external',
    SKIFF_LAB_REGISTRY_DATA: process.env.SKIFF_LAB_REGISTRY_DATA ?? join(repoRoot(), '.skiff', 'registry', 'data'),
  };
  let controlPlane: ControlPlane | undefined;
  let env = baseEnv;
  const down = async () => {
    // the script needs the external-mode variables even when the control plane never started
    const r = await runLabScript(['down'], { SKIFF_LAB_KUBECONFIG: '-', SKIFF_LAB_PKI: '-', SKIFF_LAB_SERVER_PORT: '0', ...env }, { echo: opts.verbose });
    if (controlPlane) await controlPlane.stop();
    if (process.env.SKIFF_KEEP_TEST_DIRS !== '1') rmSync(skiffDir, { recursive: true, force: true });
    if (r.code !== 0) throw new Error(`lab down failed:\n${r.output.slice(-3000)}`);
  };
  try {
    await labScript(['bridge'], { ...baseEnv, SKIFF_LAB_KUBECONFIG: '-', SKIFF_LAB_PKI: '-', SKIFF_LAB_SERVER_PORT: '0' }, { echo: opts.verbose });
    controlPlane = await startControlPlane({ hostAddress: hostAddress(layout), loadBalancerIPPool: loadBalancerPool(layout) });
    env = {
      ...baseEnv,
      SKIFF_LAB_KUBECONFIG: controlPlane.adminKubeconfig,
      SKIFF_LAB_PKI: controlPlane.pki.dir,
      SKIFF_LAB_SERVER_PORT: String(controlPlane.port),
    };
    await labScript(['up', String(opts.workers)], env, { echo: opts.verbose, timeoutMs: 300_000 });
  } catch (e) {
    await down().catch((err: unknown) => process.stderr.write(`lab cleanup after a failed start: ${(err as Error).message}\n`));
    throw e;
  }
  const cp = controlPlane;
  const workers = Array.from({ length: opts.workers }, (_, i) => ({ name: workerName(layout, i + 1), address: workerAddress(layout, i + 1) }));
  const kubectlDir = mkdtempSync(join(skiffDir, 'kubectl-cache-'));
  return {
    layout,
    workers,
    controlPlane: cp,
    kubeconfig: cp.adminKubeconfig,
    readyAfterMs: Date.now() - started,
    kubectl: (args, kopts = {}) => runKubectl(cp.adminKubeconfig, opts.kubectlVersion ?? '1.32', args, { cacheDir: kubectlDir, ...kopts }),
    // scripts/node/join.sh: the node's directory is SKIFF_DIR/nodes/NAME
    nodeKubeconfig: (name) => join(skiffDir, 'nodes', name, 'kubelet.kubeconfig'),
    killWorker: async (name) => {
      await labScript(['kill', name], env, { echo: opts.verbose });
    },
    joinWorker: (index, jopts = {}) =>
      runLabScript(
        ['join', String(index)],
        { ...env, ...(jopts.token ? { SKIFF_LAB_JOIN_TOKEN: jopts.token } : {}) },
        { echo: opts.verbose, timeoutMs: 300_000 },
      ),
    removeWorker: async (name) => {
      await labScript(['remove', name], env, { echo: opts.verbose });
    },
    down,
  };
}
