// `make bench` figures for what authorization costs (issue 14, acceptance 6: under 10% of P1).
// P1 is pod creates through the apiserver with 64 in flight, made by a user bound to `edit` by a
// RoleBinding, so that RBAC walks the bootstrap ClusterRoleBindings and the namespace's bindings
// for every request; P2 is GET /version, anonymous, allowed by the system:public-info-viewer
// binding. Each is measured against a fresh apiserver with the default --authorization-mode
// (Node,RBAC) and a fresh one with AlwaysAllow, on one etcd: same identity, same requests, the
// difference is the authorizer. Rounds alternate between the two, so that the machine's other
// load falls on both alike, after a warm-up round that is not counted. Besides requests per
// second, each apiserver's own CPU time per request is read from /proc: on a machine shared with
// other work that figure moves much less than throughput does. Prints numbers, asserts nothing.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import https from 'node:https';
import { makeClientCert, startApiserver, startComponent, startEtcd, until, type ApiserverHandle } from '@skiff/common/testing/index';
import { agentFor, call, inFlight, line, podJson, wrk } from './lib/load.ts';

const NAMESPACE = 'authz';
const ROUNDS = 4;
const CREATES_PER_ROUND = 1000;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** user + system CPU seconds a process has used (/proc/PID/stat fields 14 and 15) */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name (field 2) may hold spaces: count fields after its closing parenthesis
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Runs `load` (which returns how many requests it made) and gives requests/s and the apiserver's CPU ms per request. */
async function measured(api: ApiserverHandle, load: () => Promise<number> | number): Promise<{ rps: number; cpuMs: number }> {
  const cpu0 = cpuSeconds(api.pid);
  const t0 = performance.now();
  const requests = await load();
  const seconds = (performance.now() - t0) / 1000;
  return { rps: requests / seconds, cpuMs: ((cpuSeconds(api.pid) - cpu0) * 1000) / requests };
}

/**
 * A watch of every pod, read and thrown away, standing in for the scheduler and kubelets that
 * every cluster has. Without it only the Node,RBAC apiserver would keep a pods watch cache (the
 * Node authorizer's own watch starts it), and each create would cost it an event decode that
 * the AlwaysAllow one is spared: a difference no real cluster shows.
 */
function podWatcher(api: ApiserverHandle): Promise<ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${api.url}/api/v1/pods?watch=true`, {
      ca: readFileSync(api.pki.caCert),
      cert: readFileSync(api.pki.admin.cert),
      key: readFileSync(api.pki.admin.key),
    });
    req.on('response', (res) => {
      res.resume();
      resolve(req);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Binds `user` to the `edit` ClusterRole in NAMESPACE and waits until RBAC lets it create pods. */
async function bindEditor(api: ApiserverHandle, user: string, agent: https.Agent): Promise<void> {
  const binding = await api.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/rolebindings`, {
    body: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: user },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    },
  });
  if (binding.status !== 201) throw new Error(`rolebinding: ${binding.status} ${binding.body}`);
  // `edit` is filled by the aggregation controller; RBAC learns both through its watches
  await until(
    `${user} may create pods`,
    async () => (await call(agent, api.url, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, podJson(NAMESPACE, 'probe'))).status === 201,
    60_000,
  );
  // the figures are only worth something if RBAC really decides: not cluster-wide, not admin
  const nodes = await call(agent, api.url, 'GET', '/api/v1/nodes');
  if (nodes.status !== 403) throw new Error(`${user} is bound in one namespace only, yet listing nodes answered ${nodes.status}`);
}

async function main() {
  const etcd = await startEtcd();
  const started: { stop(): Promise<void> }[] = [];
  const agents: https.Agent[] = [];
  const watches: ClientRequest[] = [];
  try {
    const rbac = await startApiserver({ etcdUrl: etcd.url, extraArgs: ['--compaction-interval-seconds=0'] });
    started.push(rbac);
    const open = await startApiserver({ etcdUrl: etcd.url, extraArgs: ['--compaction-interval-seconds=0', '--authorization-mode=AlwaysAllow'] });
    started.push(open);
    started.push(
      await startComponent({
        workspace: 'controller-manager',
        args: [
          `--kubeconfig=${await rbac.kubeconfigFor(rbac.pki.controllerManager, 'controller-manager')}`,
          '--port=-1',
          '--leader-elect=false',
          '--controllers=clusterrole-aggregation',
        ],
      }),
    );
    const user = 'bench-editor';
    const cert = await makeClientCert(rbac.pki, user, user);
    const servers = [
      { api: rbac, agent: agentFor(rbac, 64, cert) },
      { api: open, agent: agentFor(open, 64, cert) },
    ];
    for (const s of servers) {
      agents.push(s.agent);
      watches.push(await podWatcher(s.api));
      const ns = await s.api.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } } });
      if (ns.status !== 201) throw new Error(`namespace: ${ns.status} ${ns.body}`);
    }
    await bindEditor(rbac, user, servers[0]!.agent);

    type Figure = { rps: number; cpuMs: number };
    const creates = new Map<ApiserverHandle, Figure[]>(servers.map((x) => [x.api, []]));
    const versions = new Map<ApiserverHandle, Figure[]>(servers.map((x) => [x.api, []]));
    // round 0 warms both up (JIT, watch caches, connections) and is not counted
    for (let round = 0; round <= ROUNDS; round++) {
      for (const s of round % 2 ? [...servers].reverse() : servers) {
        const p1 = await measured(s.api, async () => {
          await inFlight(CREATES_PER_ROUND, 64, async (i) => {
            const r = await call(s.agent, s.api.url, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, podJson(NAMESPACE, `r${round}-${i}`));
            if (r.status !== 201) throw new Error(`create failed ${r.status} ${r.body}`);
          });
          return CREATES_PER_ROUND;
        });
        const seconds = 3;
        const p2 = await measured(s.api, () => wrk(`${s.api.url}/version`, seconds) * seconds);
        if (round === 0) continue;
        creates.get(s.api)!.push(p1);
        versions.get(s.api)!.push(p2);
      }
    }
    const [withRbac, allowAll] = servers as [(typeof servers)[0], (typeof servers)[0]];
    /** median of the per-round ratios Node,RBAC : AlwaysAllow (each pair ran back to back) */
    const pairedRatio = (figures: Map<ApiserverHandle, Figure[]>, pick: (f: Figure) => number) => {
      const a = figures.get(withRbac.api)!;
      const b = figures.get(allowAll.api)!;
      return median(a.map((f, i) => pick(f) / pick(b[i]!)));
    };
    const show = (figures: Map<ApiserverHandle, Figure[]>, api: ApiserverHandle) => {
      const f = figures.get(api)!;
      return `${median(f.map((x) => x.rps)).toFixed(0)}/s, ${median(f.map((x) => x.cpuMs)).toFixed(3)} ms CPU each`;
    };
    console.log(`\n== authorization cost: medians of ${ROUNDS} alternating rounds, same non-admin identity`);
    line(`P1 pod creates as ${user} (edit in ${NAMESPACE}), Node,RBAC`, show(creates, withRbac.api));
    line(`P1 pod creates as ${user}, AlwaysAllow`, show(creates, allowAll.api));
    line('ratio P1 creates/s Node,RBAC : AlwaysAllow (goal >= 0.90)', pairedRatio(creates, (f) => f.rps).toFixed(2));
    line('ratio P1 apiserver CPU per create Node,RBAC : AlwaysAllow', pairedRatio(creates, (f) => f.cpuMs).toFixed(2));
    line('P2 GET /version anonymous, Node,RBAC', show(versions, withRbac.api));
    line('P2 GET /version anonymous, AlwaysAllow', show(versions, allowAll.api));
    line('ratio P2 requests/s Node,RBAC : AlwaysAllow', pairedRatio(versions, (f) => f.rps).toFixed(2));
    line('ratio P2 apiserver CPU per request Node,RBAC : AlwaysAllow', pairedRatio(versions, (f) => f.cpuMs).toFixed(2));
    // the spread between rounds tells how much of a ratio is the machine's noise
    const rounds = (figures: Map<ApiserverHandle, Figure[]>, api: ApiserverHandle) =>
      figures
        .get(api)!
        .map((x) => x.rps.toFixed(0))
        .join(' / ');
    line('P1 creates/s by round, Node,RBAC | AlwaysAllow', `${rounds(creates, withRbac.api)} | ${rounds(creates, allowAll.api)}`);
    line('P2 requests/s by round, Node,RBAC | AlwaysAllow', `${rounds(versions, withRbac.api)} | ${rounds(versions, allowAll.api)}`);
  } finally {
    for (const w of watches) w.destroy();
    for (const a of agents) a.destroy();
    for (const s of started.reverse()) await s.stop();
    await etcd.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
