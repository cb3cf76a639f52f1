// The kill schedule: what is SIGKILLed, in turn, and what "healed" means for each. Every kill
// hits the component's own PID (the lab runs each under scripts/supervise.sh, which starts it
// again); the window lasts until every heal condition holds.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlPlaneComponent, ControlPlaneNode, HaLab, NodeDaemon } from '../lab/index.ts';
import type { ApiClient } from './api.ts';
import { json } from './api.ts';
import type { KillWindow } from './windows.ts';

export interface KillTarget {
  /** resolved just before the kill (a leader is whoever leads then) */
  resolve(): Promise<{ target: string; pid: number; healed: HealCheck; healedWhen: string }>;
}

/** true once healed; `killedAt` the SIGKILL's time */
type HealCheck = (killedAt: number) => Promise<boolean>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(cmd: string, args: string[], timeoutMs = 5000): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout) => resolve({ code: err ? 1 : 0, stdout }));
  });
}

const COMPONENT_PORT: Record<'controller-manager' | 'scheduler', number> = { 'controller-manager': 10257, scheduler: 10259 };
const LEASE: Record<'controller-manager' | 'scheduler', string> = { 'controller-manager': 'kube-controller-manager', scheduler: 'kube-scheduler' };

export function killSchedule(lab: HaLab, api: ApiClient): KillTarget[] {
  const cps = lab.controlPlanes;
  const respawned = (index: number, component: ControlPlaneComponent, killed: number) => {
    const pid = lab.pid(index, component);
    return pid !== undefined && pid !== killed;
  };
  const inNs = (ns: string, url: string) => run('nsenter', [`--net=/var/run/netns/${ns}`, 'curl', '-fsS', '--max-time', '2', '-o', '/dev/null', url]);
  const leaseRenewedAfter = async (ns: string, name: string, killedAt: number, notHolder?: string): Promise<boolean> => {
    const l = json<{ spec?: { holderIdentity?: string; renewTime?: string } }>(
      await api.any('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${name}`),
    );
    const holder = l?.spec?.holderIdentity;
    return !!holder && holder !== notHolder && Date.parse(l?.spec?.renewTime ?? '') > killedAt;
  };
  const nodeReady = async (node: string): Promise<boolean> => {
    const n = json<{ status?: { conditions?: { type: string; status: string }[] } }>(await api.any('GET', `/api/v1/nodes/${node}`));
    return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  };

  const apiserver = (cp: ControlPlaneNode): KillTarget => ({
    async resolve() {
      const pid = need(lab.pid(cp.index, 'apiserver'), `apiserver of ${cp.name}`);
      return {
        target: `apiserver ${cp.name}`,
        pid,
        healedWhen: 'restarted, /readyz 200, back in the kubernetes Endpoints',
        healed: async () => {
          if (!respawned(cp.index, 'apiserver', pid)) return false;
          if ((await api.call(cp.apiserverUrl, 'GET', '/readyz')).status !== 200) return false;
          const ep = json<{ subsets?: { addresses?: { ip: string }[] }[] }>(
            await api.call(cp.apiserverUrl, 'GET', '/api/v1/namespaces/default/endpoints/kubernetes'),
          );
          return (ep?.subsets ?? []).some((s) => (s.addresses ?? []).some((a) => a.ip === cp.address));
        },
      };
    },
  });

  const leader = (component: 'controller-manager' | 'scheduler'): KillTarget => ({
    async resolve() {
      const l = json<{ spec?: { holderIdentity?: string } }>(
        await api.any('GET', `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${LEASE[component]}`),
      );
      const holder = need(l?.spec?.holderIdentity, `the ${LEASE[component]} Lease's holder`);
      // every node's component runs with the host's hostname: its log names the identity it leads with
      const cp = need(
        cps.find((c) => logOf(lab, component, c).includes(holder)),
        `the ${component} whose log names ${holder}`,
      );
      const pid = need(lab.pid(cp.index, component), `${component} of ${cp.name}`);
      return {
        target: `leading ${component} ${cp.name}`,
        pid,
        healedWhen: 'restarted and /healthz; the Lease held by another identity and renewed',
        healed: async (killedAt) =>
          respawned(cp.index, component, pid) &&
          (await inNs(cp.name, `http://127.0.0.1:${COMPONENT_PORT[component]}/healthz`)).code === 0 &&
          (await leaseRenewedAfter('kube-system', LEASE[component], killedAt, holder)),
      };
    },
  });

  const etcdLeader: KillTarget = {
    async resolve() {
      let cp: ControlPlaneNode | undefined;
      for (const c of cps) {
        const r = await lab.etcdctl(['endpoint', 'status', '-w', 'json'], [c.etcdUrl]);
        const s = (JSON.parse(r.code === 0 ? r.stdout : '[]') as { Status: { leader: number | string; header: { member_id: number | string } } }[])[0];
        if (s && String(s.Status.leader) === String(s.Status.header.member_id)) cp = c;
      }
      cp = need(cp, 'the etcd leader');
      const pid = need(lab.pid(cp.index, 'etcd'), `etcd of ${cp.name}`);
      const member = cp;
      return {
        target: `etcd member (leader) ${cp.name}`,
        pid,
        healedWhen: 'restarted, endpoint health ok',
        healed: async () => respawned(member.index, 'etcd', pid) && (await lab.etcdctl(['endpoint', 'health'], [member.etcdUrl])).code === 0,
      };
    },
  };

  const nodeDaemon = (workerIndex: number, daemon: NodeDaemon): KillTarget => ({
    async resolve() {
      const node = lab.workers[workerIndex - 1]!.name;
      const pid = need(lab.workerPid(workerIndex, daemon), `${daemon} of ${node}`);
      const socket = join(lab.skiffDir, 'nodes', node, 'containerd', 'containerd.sock');
      return {
        target: `${daemon} ${node}`,
        pid,
        healedWhen: `restarted${daemon === 'containerd' ? ', answers ctr' : ''}; the node's Lease renewed and the node Ready`,
        healed: async (killedAt) => {
          const now = lab.workerPid(workerIndex, daemon);
          if (now === undefined || now === pid) return false;
          if (daemon === 'containerd' && (await run('ctr', ['--address', socket, 'version'])).code !== 0) return false;
          return (await leaseRenewedAfter('kube-node-lease', node, killedAt)) && (await nodeReady(node));
        },
      };
    },
  });

  const [cp1, cp2, cp3] = [cps[0]!, cps[1]!, cps[2]!];
  return [
    apiserver(cp1),
    leader('controller-manager'),
    etcdLeader,
    apiserver(cp2),
    nodeDaemon(1, 'kubelet'),
    leader('scheduler'),
    apiserver(cp3),
    nodeDaemon(2, 'containerd'),
  ];
}

function logOf(lab: HaLab, component: string, cp: ControlPlaneNode): string {
  try {
    return readFileSync(join(lab.skiffDir, 'logs', `${component}-${cp.name}.log`), 'utf8');
  } catch {
    return '';
  }
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`chaos: no ${what}`);
  return v;
}

/** SIGKILLs the target and waits until it is healed (at most healTimeoutMs) */
export async function killAndHeal(t: KillTarget, healTimeoutMs: number, log: (line: string) => void): Promise<KillWindow> {
  const { target, pid, healed, healedWhen } = await t.resolve();
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');
  log(`SIGKILL ${target} (pid ${pid})`);
  while (Date.now() - killedAt < healTimeoutMs) {
    await sleep(500);
    if (await healed(killedAt).catch(() => false)) {
      const healedAt = Date.now();
      log(`${target} healthy again after ${((healedAt - killedAt) / 1000).toFixed(1)} s`);
      return { target, pid, killedAt, healedAt, healedWhen };
    }
  }
  log(`${target} NOT healthy ${healTimeoutMs / 1000} s after the kill`);
  return { target, pid, killedAt, healedWhen };
}
