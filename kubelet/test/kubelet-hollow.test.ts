// 500 hollow kubelets (simulated runtime) in one kubelet process against a real apiserver:
// every Node registers and goes Ready, every Lease keeps being renewed, and pods bound to
// the nodes go Running. Prints the time to all-Ready and the process's RSS.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { useApiserver, startComponent, type ComponentHandle } from '@skiff/common/testing/index';

const COUNT = Number(process.env.SKIFF_HOLLOW_NODES ?? 500);
const PREFIX = 'hollow-';

type Json = Record<string, any>;

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms: number, everyMs = 500): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Math.round(Number(line.split(/\s+/)[1]) / 1024);
}

describe(`${COUNT} hollow kubelets in one process`, function () {
  this.timeout(150_000);
  const cluster = useApiserver();
  let proc: ComponentHandle | undefined;
  const list = async (path: string): Promise<Json[]> => {
    const r = await cluster.server.request('GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.body.slice(0, 200)}`);
    return JSON.parse(r.body).items;
  };
  const hollowNodes = async () => (await list('/api/v1/nodes?labelSelector=skiff.io%2Fhollow%3Dtrue')).filter((n) => n.metadata.name.startsWith(PREFIX));
  const isReady = (n: Json) => n.status?.conditions?.find((c: Json) => c.type === 'Ready')?.status === 'True';

  after(async () => {
    await proc?.stop();
  });

  it('registers every node Ready, renews every lease and runs pods bound to them', async () => {
    const t0 = performance.now();
    proc = await startComponent({
      workspace: 'kubelet',
      args: ['--kubeconfig', cluster.server.kubeconfigPath, '--hollow-nodes', String(COUNT), '--hollow-name-prefix', PREFIX, '--simulated-ready-delay', '1'],
      env: { SKIFF_LOG_LEVEL: 'warn' },
    });
    const nodes = await until(
      `${COUNT} Ready nodes`,
      async () => {
        const n = await hollowNodes();
        return n.length === COUNT && n.every(isReady) && n;
      },
      90_000,
    );
    const readySeconds = (performance.now() - t0) / 1000;
    console.log(`      ${COUNT} hollow nodes Ready after ${readySeconds.toFixed(1)} s; kubelet process RSS ${rssMiB(proc.pid)} MiB`);
    const names = new Set(nodes.map((n) => n.metadata.name));
    for (let i = 0; i < COUNT; i++) expect(names.has(`${PREFIX}${i}`), `${PREFIX}${i}`).to.equal(true);
    const sample = nodes.find((n) => n.metadata.name === `${PREFIX}7`)!;
    expect(sample.status.capacity.pods).to.equal('110');
    expect(sample.status.nodeInfo.containerRuntimeVersion).to.equal('simulated://1.0.0');
    expect(sample.metadata.labels['kubernetes.io/hostname']).to.equal(`${PREFIX}7`);

    // Heartbeats: every lease's renewTime moves within one renew period (10 s) and a bit.
    const leases = async () =>
      new Map(
        (await list('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases'))
          .filter((l) => l.metadata.name.startsWith(PREFIX))
          .map((l) => [l.metadata.name as string, l.spec.renewTime as string]),
      );
    const first = await leases();
    expect(first.size).to.equal(COUNT);
    await until(
      'every lease renewed',
      async () => {
        const now = await leases();
        return [...first].every(([name, t]) => now.get(name) && now.get(name) !== t);
      },
      25_000,
      1000,
    );

    // One pod per node, bound directly (no scheduler): all go Running with an IP.
    const tPods = performance.now();
    const queue = Array.from({ length: COUNT }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          const r = await cluster.server.request('POST', '/api/v1/namespaces/default/pods', {
            body: {
              apiVersion: 'v1',
              kind: 'Pod',
              metadata: { name: `hp-${i}` },
              spec: { nodeName: `${PREFIX}${i}`, containers: [{ name: 'c', image: 'skiff/none:1' }] },
            },
          });
          expect(r.status, r.body).to.equal(201);
        }
      }),
    );
    const pods = await until(
      `${COUNT} pods Running`,
      async () => {
        const p = (await list('/api/v1/namespaces/default/pods')).filter((x) => x.metadata.name.startsWith('hp-'));
        return p.length === COUNT && p.every((x) => x.status?.phase === 'Running' && x.status.podIP) && p;
      },
      60_000,
      1000,
    );
    console.log(`      ${COUNT} pods Running after ${((performance.now() - tPods) / 1000).toFixed(1)} s; kubelet process RSS ${rssMiB(proc.pid)} MiB`);
    for (const p of pods) {
      expect(p.status.hostIP).to.be.a('string');
      expect(p.status.containerStatuses[0].ready).to.equal(true);
      expect(p.status.conditions.find((c: Json) => c.type === 'Ready').status).to.equal('True');
    }
    // a hollow node reports no pod twice and keeps every node Ready
    expect((await hollowNodes()).every(isReady)).to.equal(true);
  });
});
