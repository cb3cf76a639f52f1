// A whole single-node cluster, started the way `make up` starts one (scripts/cluster.sh with
// the service list of scripts/services.sh), but inside a network namespace of its own (see
// node-network.ts) and with its own state dir. Ports therefore stay the defaults, as a user
// has them (apiserver 6443, registry 127.0.0.1:5000, ...), yet nothing is shared with a
// `make up` cluster or a lab on the same host: not the ports, not the registry, not the
// proxy's iptables chains, not the CNI bridge or the pod and service CIDRs.
// The host reaches the cluster as it would reach a VM: kubectl via https://NODE_IP:6443
// (the serving certificate names every address of the node), NodePorts on NODE_IP.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { componentEntryArgs, repoRoot, runKubectl, scratchDir } from '@skiff/common/testing/index';
import type { KubectlOptions, KubectlResult } from '@skiff/common/testing/index';
import { killNodeContainers, killShims, pidsWhere, unmountUnder } from './node-cleanup.ts';
import { createNodeNetwork, inNode, removeNodeNetwork } from './node-network.ts';
import type { NodeNetwork } from './node-network.ts';
import { run } from './run.ts';
import type { RunOptions, RunResult } from './run.ts';
import { formatUsage, serviceCpu, topRequests } from './usage-report.ts';

export const APISERVER_PORT = 6443;

export interface SingleNodeClusterOptions {
  /** kubectl minor version that kubectl() runs (default 1.33) */
  kubectlVersion?: string;
  /** echo the scripts' progress to stderr */
  verbose?: boolean;
}

export interface SingleNodeCluster {
  /** the cluster's SKIFF_DIR: pki/, logs/, run/, nodes/, kubeconfig */
  dir: string;
  network: NodeNetwork;
  nodeName: string;
  /** admin kubeconfig as seen from the host (server https://NODE_IP:6443) */
  kubeconfig: string;
  kubectlVersion: string;
  kubectl(args: string[], opts?: KubectlOptions & { version?: string }): Promise<KubectlResult>;
  /** kubectl that must succeed; returns stdout */
  kubectlOk(args: string[], opts?: KubectlOptions & { version?: string }): Promise<string>;
  /** scripts/cluster.sh COMMAND inside the node, with this cluster's environment */
  clusterScript(command: 'up' | 'down' | 'status'): Promise<RunResult>;
  /** PID of a service from the run dir (what `make down` kills) */
  pid(service: string): number | undefined;
  /** runs a program inside the node's network namespace */
  inNode(command: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** node arguments that start a workspace's main module, as cluster.sh does in this mode */
  componentArgs(workspace: string): string[];
  /** last lines of a service's log, for failure messages */
  logTail(service: string, lines?: number): string;
  /** make down, then removes containers, mounts, the namespace and the state dir */
  down(): Promise<void>;
}

function fromSource(): boolean {
  return componentEntryArgs('apiserver')[0] === '--conditions=source';
}

function scriptEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SKIFF_DIR: dir,
    SKIFF_FROM_SOURCE: fromSource() ? '1' : '0',
    // `make test` turns logging down for in-process components; these log to files
    SKIFF_LOG_LEVEL: 'info',
    // a service that hangs fails the suite in a minute, not after make up's 90 s per service
    SKIFF_START_TIMEOUT: process.env.SKIFF_START_TIMEOUT ?? '60',
  };
  delete env.KUBECONFIG;
  return env;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function startSingleNodeCluster(opts: SingleNodeClusterOptions = {}): Promise<SingleNodeCluster> {
  const network = await createNodeNetwork();
  const dir = mkdtempSync(join(tmpdir(), `${network.netns}-`));
  // etcd's data in memory (see scratch.ts): cluster.sh finds its data folder already there
  const etcdData = scratchDir(`${network.netns}-etcd-`);
  symlinkSync(etcdData, join(dir, 'etcd'));
  const env = scriptEnv(dir);
  const nodeName = hostname().toLowerCase().replace(/_/g, '-');
  const nodeDir = join(dir, 'nodes', nodeName);
  const kubectlVersion = opts.kubectlVersion ?? '1.33';
  const cacheDir = join(dir, 'kubectl-cache');
  const hostKubeconfig = join(dir, 'host.kubeconfig');
  const script = join(repoRoot(), 'scripts', 'cluster.sh');

  const inNodeRun = (command: string, args: readonly string[], ropts: RunOptions = {}) => {
    const [cmd, full] = inNode(network, command, args);
    return run(cmd, full, { env, cwd: repoRoot(), ...ropts });
  };
  const clusterScript = async (command: 'up' | 'down' | 'status') => {
    const r = await inNodeRun('bash', [script, command], { timeoutMs: 300_000 });
    if (opts.verbose) process.stderr.write(r.stdout + r.stderr);
    return r;
  };
  const logTail = (service: string, lines = 30) => {
    try {
      return readFileSync(join(dir, 'logs', `${service}.log`), 'utf8')
        .split('\n')
        .slice(-lines)
        .join('\n');
    } catch {
      return `(no log of ${service})`;
    }
  };

  /** Each service's CPU and the apiserver's request counts, once the cluster's work is done. */
  const reportUsage = async () => {
    const metrics = existsSync(hostKubeconfig)
      ? await runKubectl(hostKubeconfig, kubectlVersion, ['get', '--raw', '/metrics'], { cacheDir, timeoutMs: 20_000 })
      : undefined;
    process.stdout.write(formatUsage(serviceCpu(join(dir, 'run')), metrics?.code === 0 ? topRequests(metrics.stdout) : []));
  };

  let stopped = false;
  const down = async () => {
    if (stopped) return;
    stopped = true;
    const problems: string[] = [];
    await reportUsage().catch((e: unknown) => process.stdout.write(`      (no usage report: ${(e as Error).message})\n`));
    const r = await run('bash', [script, 'down'], { env, cwd: repoRoot(), timeoutMs: 120_000 });
    if (opts.verbose) process.stderr.write(r.stdout + r.stderr);
    if (r.code !== 0) problems.push(`cluster.sh down exited ${r.code}: ${(r.stdout + r.stderr).slice(-1500)}`);
    await killNodeContainers(join(nodeDir, 'containerd', 'state'));
    await killShims(join(nodeDir, 'containerd', 'containerd.sock'));
    // anything still running from this state dir was started by this cluster
    const stray = strayProcesses(dir).map((pid) => ({ pid, cmdline: commandLine(pid) }));
    for (const { pid } of stray) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (stray.length) problems.push(`processes left running after make down (killed): ${stray.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`);
    await unmountUnder(dir);
    await removeNodeNetwork(network);
    if (process.env.SKIFF_KEEP_TEST_DIRS !== '1') {
      rmSync(dir, { recursive: true, force: true });
      rmSync(etcdData, { recursive: true, force: true });
    }
    if (problems.length) throw new Error(problems.join('\n'));
  };

  try {
    const up = await clusterScript('up');
    if (up.code !== 0) throw new Error(`cluster.sh up exited ${up.code}:\n${(up.stdout + up.stderr).slice(-4000)}`);
    const admin = readFileSync(join(dir, 'kubeconfig'), 'utf8');
    const local = `https://127.0.0.1:${APISERVER_PORT}`;
    if (!admin.includes(local)) throw new Error(`the admin kubeconfig does not point at ${local}`);
    writeFileSync(hostKubeconfig, admin.replaceAll(local, `https://${network.nodeIP}:${APISERVER_PORT}`), { mode: 0o600 });
    mkdirSync(cacheDir, { recursive: true });
  } catch (e) {
    await down().catch((err: unknown) => process.stderr.write(`single-node cleanup after a failed start: ${(err as Error).message}\n`));
    throw e;
  }

  const kubectl = (args: string[], kopts: KubectlOptions & { version?: string } = {}) =>
    runKubectl(hostKubeconfig, kopts.version ?? kubectlVersion, args, { cacheDir, ...kopts });
  const cluster: SingleNodeCluster = {
    dir,
    network,
    nodeName,
    kubeconfig: hostKubeconfig,
    kubectlVersion,
    kubectl,
    kubectlOk: async (args, kopts) => {
      const r = await kubectl(args, kopts);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
      return r.stdout;
    },
    clusterScript,
    pid: (service) => {
      const file = join(dir, 'run', `${service}.pid`);
      return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
    },
    inNode: inNodeRun,
    componentArgs: (workspace) => componentEntryArgs(workspace),
    logTail,
    down,
  };
  try {
    // make up returns when the kubelet answers /healthz; workloads need the node Ready
    await until(`node ${nodeName} Ready`, 60_000, async () => {
      const r = await kubectl(['get', 'node', nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
      return r.stdout === 'True' ? true : undefined;
    });
  } catch (e) {
    const tail = logTail('kubelet');
    await down().catch(() => undefined);
    throw new Error(`${(e as Error).message}\n--- kubelet log:\n${tail}`);
  }
  return cluster;
}

/** Processes whose command line names the state dir (services, shims, registry). */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').slice(0, 300);
  } catch {
    return '(gone)';
  }
}

function strayProcesses(dir: string): number[] {
  return pidsWhere((argv) => argv.some((a) => a.includes(`${dir}/`)));
}
