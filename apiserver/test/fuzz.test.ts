// Fuzz: tens of thousands of generated bad requests over every resource and verb discovery
// lists must get 4xx (or 2xx), never a 5xx or no answer, and must not slow /readyz down or
// restart the apiserver (issue 13, acceptance 2).
//   SKIFF_FUZZ_SEED (default 13, `make fuzz` picks a random one), SKIFF_FUZZ_REQUESTS (20000)
import { spawn } from 'node:child_process';
import https from 'node:https';
import { copyFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { expect } from 'chai';
import { useApiserver } from '@skiff/common/testing/index';
import { FuzzGenerator, type FuzzRequest, type FuzzResource, type FuzzTarget } from './fuzz/generator.ts';

const seed = Number(process.env.SKIFF_FUZZ_SEED ?? 13);
const total = Number(process.env.SKIFF_FUZZ_REQUESTS ?? 20_000);
const concurrency = 8;
const requestTimeoutMs = 15_000;
const readyzBudgetMs = 100;
const ns = 'fuzz';

/**
 * The prober: one keep-alive connection per URL, a probe every 50 ms until told to stop; every
 * probe's time is kept (negative: minus the status of a failed one, -0: no answer). It probes
 * /readyz and, at the same rate and at the same time, a plain node https server in a process of
 * its own that does nothing else: what that one sees is the machine's noise (other processes
 * on the same cores), not the apiserver's.
 */
const probeSource = `
const https = require('node:https');
const { parentPort, workerData } = require('node:worker_threads');
let probing = true;
parentPort.on('message', () => (probing = false));
async function probe(url) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const times = [];
  while (probing) {
    const started = performance.now();
    const status = await new Promise((resolve) => {
      const r = https.request(url, { agent, ca: workerData.ca, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      r.on('timeout', () => r.destroy());
      r.on('error', () => resolve(0));
      r.end();
    });
    times.push(status === 200 ? performance.now() - started : -status);
    await new Promise((r) => setTimeout(r, 50));
  }
  agent.destroy();
  return times;
}
Promise.all(workerData.urls.map(probe)).then((times) => parentPort.postMessage(times));
`;

/** The control: an https server that answers 200 at once, in a process of its own. */
const controlSource = `
const https = require('node:https');
const fs = require('node:fs');
const [cert, key] = process.argv.slice(1);
const server = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
process.on('disconnect', () => process.exit(0));
`;

/** p50, p99 and max of the answered probes, and how many were over the budget. */
function distribution(times: number[], budgetMs: number): string {
  const answered = times.filter((t) => t > 0).sort((a, b) => a - b);
  const at = (q: number) => answered[Math.min(answered.length - 1, Math.floor(q * answered.length))] ?? 0;
  const over = answered.filter((t) => t >= budgetMs).length;
  return `${times.length} probes, p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, max ${at(1).toFixed(0)} ms, ${over} (${((100 * over) / Math.max(answered.length, 1)).toFixed(2)}%) at or over ${budgetMs} ms, ${times.length - answered.length} failed`;
}

/** The apiserver's own event-loop delay (prom-client's gauges, reset on each scrape), in ms. */
function eventLoopDelay(metrics: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of metrics.matchAll(/^nodejs_eventloop_lag_(p50|p99|max)_seconds (\S+)$/gm)) out[m[1]!] = Number(m[2]) * 1000;
  return out;
}

interface Answer {
  status: number;
  body: string;
  ms: number;
}

/**
 * A resourceVersion ahead of the store gets kube-apiserver's 504 Timeout with the cause
 * ResourceVersionTooLarge: client-go's reflector recognises exactly that answer and retries,
 * so it is the API's contract, not a server failure. Only that answer is let through.
 */
function isTooLargeResourceVersion(a: Answer): boolean {
  if (a.status !== 504) return false;
  try {
    const s = JSON.parse(a.body);
    return s.reason === 'Timeout' && s.details?.causes?.some((c: { reason?: string }) => c.reason === 'ResourceVersionTooLarge') === true;
  } catch {
    return false;
  }
}

/** Seed objects with enough structure that wrong types reach the strategies' code. */
function seedObjects(): { apiVersion: string; kind: string; [field: string]: unknown }[] {
  const labels = { app: 'fuzz' };
  const podSpec = { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '100m' } } }] };
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fuzz-cm', labels }, data: { a: 'b' } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'fuzz-secret' }, stringData: { a: 'b' } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fuzz-pod', labels }, spec: podSpec },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'fuzz-svc' }, spec: { selector: labels, ports: [{ port: 80, targetPort: 80 }] } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'fuzz-sa' } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'fuzz-deploy' },
      spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'fuzz-rs' },
      spec: { replicas: 0, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } },
    },
  ];
}

describe('fuzz: generated bad requests', function () {
  this.timeout(600_000);
  const cluster = useApiserver();
  let agent: https.Agent;
  let tls: { ca: Buffer; cert: Buffer; key: Buffer };

  const send = (req: FuzzRequest, timeoutMs = requestTimeoutMs): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
      const headers: Record<string, string> = { ...req.headers };
      if (body) headers['content-length'] = String(body.length);
      const watch = /[?&]watch=(1|true)(&|$)/.test(req.path) || req.path.includes('/watch/');
      const r = https.request(`${cluster.server.url}${req.path}`, { method: req.method, headers, agent, ...tls, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        // a watch that started streaming has answered: stop it rather than wait for its end
        if (watch && res.statusCode === 200) {
          res.destroy();
          resolve({ status: 200, body: '', ms: performance.now() - started });
          return;
        }
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), ms: performance.now() - started }));
        res.on('error', reject);
      });
      r.on('timeout', () => r.destroy(new Error('timeout')));
      r.on('error', reject);
      r.end(body);
    });

  const get = async (path: string) => {
    const a = await send({ category: 'setup', method: 'GET', path, headers: {} });
    return JSON.parse(a.body);
  };

  async function discover(): Promise<FuzzResource[]> {
    const out: FuzzResource[] = [];
    const add = (group: string, version: string, list: { resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[] }) => {
      for (const r of list.resources) out.push({ group, version, name: r.name, kind: r.kind, namespaced: r.namespaced, verbs: r.verbs });
    };
    add('', 'v1', await get('/api/v1'));
    const groups = await get('/apis');
    for (const g of groups.groups) for (const v of g.versions) add(g.name, v.version, await get(`/apis/${v.groupVersion}`));
    return out;
  }

  async function targets(resources: FuzzResource[]): Promise<FuzzTarget[]> {
    const out: FuzzTarget[] = [];
    for (const r of resources) {
      if (r.name.includes('/') || !r.verbs.includes('list')) continue;
      const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
      const list = await get(`${prefix}/${r.name}?limit=4`);
      for (const item of (list.items ?? []) as Record<string, any>[]) {
        // the bootstrap RBAC policy (who may read /readyz, among others) is the cluster's own: an
        // admin's valid patch to it (a merge patch nulling `subjects`) would lock the prober out
        if (item.metadata?.labels?.['kubernetes.io/bootstrapping'] === 'rbac-defaults') continue;
        item.apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
        item.kind = r.kind;
        out.push({ resource: r, namespace: item.metadata?.namespace, name: item.metadata.name, object: item });
        // the same object through each of its subresources
        for (const sub of resources.filter((s) => s.group === r.group && s.version === r.version && s.name.startsWith(`${r.name}/`))) {
          out.push({ resource: sub, namespace: item.metadata?.namespace, name: item.metadata.name, object: item });
        }
      }
    }
    return out;
  }

  before(async () => {
    agent = new https.Agent({ keepAlive: true, maxSockets: concurrency + 2 });
    tls = { ca: readFileSync(cluster.server.pki.caCert), cert: readFileSync(cluster.server.pki.admin.cert), key: readFileSync(cluster.server.pki.admin.key) };
    const post = (path: string, obj: object) =>
      send({ category: 'setup', method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(obj) });
    expect((await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status).to.equal(201);
    for (const o of seedObjects()) {
      const plural = `${o.kind.toLowerCase()}s`;
      const prefix = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
      const a = await post(`${prefix}/namespaces/${ns}/${plural}`, o);
      expect(a.status, `${o.kind}: ${a.body}`).to.equal(201);
    }
  });

  after(() => agent?.destroy());

  /** One pass of the generated requests; every check but the /readyz budget. Returns the /readyz times. */
  async function fuzzPass(): Promise<number[]> {
    const resources = await discover();
    const objects = await targets(resources);
    expect(resources.length).to.be.greaterThan(20);
    expect(objects.length).to.be.greaterThan(20);
    const gen = new FuzzGenerator(seed, resources, objects, ns);
    const pid = cluster.server.pid;

    // /readyz and the control server probed throughout, from a thread of its own: this thread's
    // own work (building bodies) must not count against the server
    const control = spawn(process.execPath, ['-e', controlSource, cluster.server.pki.serverCert, cluster.server.pki.serverKey], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const controlPort = await new Promise<number>((resolve, reject) => {
      control.once('message', (port) => resolve(port as number));
      control.once('error', reject);
    });
    // a scrape resets the event-loop-delay gauges: what the next one shows is this run's
    await cluster.server.request('GET', '/metrics');
    const prober = new Worker(probeSource, {
      eval: true,
      workerData: { urls: [`${cluster.server.url}/readyz`, `https://127.0.0.1:${controlPort}/`], ca: tls.ca },
    });
    const probeResult = new Promise<number[][]>((resolve, reject) => {
      prober.once('message', resolve);
      prober.once('error', reject);
    });

    const byStatus = new Map<number, number>();
    const fiveXX = new Map<string, { count: number; example: FuzzRequest; message: string }>();
    const failures = new Map<string, { count: number; example: FuzzRequest }>();
    const categories = new Map<string, number>();
    let sent = 0;
    const started = Date.now();
    const worker = async () => {
      while (sent < total) {
        sent++;
        const req = gen.next();
        categories.set(req.category, (categories.get(req.category) ?? 0) + 1);
        try {
          const a = await send(req);
          byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
          if (a.status >= 500 && !isTooLargeResourceVersion(a)) {
            let message = a.body.slice(0, 200);
            try {
              message = JSON.parse(a.body).message ?? message;
            } catch {}
            const key = `${a.status} ${message
              .replace(/\d+/g, 'N')
              .replace(/"[^"]*"/g, '"…"')
              .slice(0, 160)}`;
            const g = fiveXX.get(key) ?? { count: 0, example: req, message };
            g.count++;
            fiveXX.set(key, g);
          }
        } catch (e) {
          const key = (e as Error).message;
          // the server may close a connection it refuses to read a huge body from
          if (req.category === 'huge' && /EPIPE|ECONNRESET|socket hang up/.test(key)) continue;
          const g = failures.get(key) ?? { count: 0, example: req };
          g.count++;
          failures.set(key, g);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    prober.postMessage('stop');
    const [readyz = [], controlTimes = []] = await probeResult;
    await prober.terminate();
    control.disconnect();
    const loop = eventLoopDelay((await cluster.server.request('GET', '/metrics')).body);

    const seconds = (Date.now() - started) / 1000;
    console.log(`      ${total} requests in ${seconds.toFixed(1)} s over ${resources.length} resources and ${objects.length} objects, seed ${seed}`);
    console.log(
      `      statuses: ${[...byStatus]
        .sort((a, b) => a[0] - b[0])
        .map(([s, n]) => `${s}×${n}`)
        .join(' ')}`,
    );
    console.log(`      categories: ${[...categories].map(([c, n]) => `${c}×${n}`).join(' ')}`);
    console.log(`      /readyz: ${distribution(readyz, readyzBudgetMs)}`);
    console.log(`      control (a bare https server beside it): ${distribution(controlTimes, readyzBudgetMs)}`);
    console.log(`      the apiserver's event-loop delay: p50 ${loop.p50?.toFixed(1)} ms, p99 ${loop.p99?.toFixed(1)} ms, max ${loop.max?.toFixed(0)} ms`);
    for (const [key, g] of [...fiveXX].sort((a, b) => b[1].count - a[1].count)) {
      const body = g.example.body === undefined ? '' : g.example.body.toString().slice(0, 300);
      console.log(
        `      5xx ×${g.count}: ${key}\n        e.g. ${g.example.method} ${g.example.path.slice(0, 200)} [${g.example.headers['content-type'] ?? ''}] ${body}`,
      );
    }
    for (const [key, g] of failures) console.log(`      no answer ×${g.count}: ${key}\n        e.g. ${g.example.method} ${g.example.path.slice(0, 200)}`);
    if (fiveXX.size > 0) {
      const kept = join(tmpdir(), `skiff-fuzz-apiserver-${seed}.log`);
      copyFileSync(cluster.server.logFile, kept);
      console.log(`      the apiserver's log, with the stacks of the 5xx: ${kept}`);
    }

    const alive = (() => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    })();
    expect(alive && cluster.server.pid === pid, 'the apiserver process is the one that started').to.equal(true);
    expect(
      [...failures.values()].reduce((n, g) => n + g.count, 0),
      'requests without an answer',
    ).to.equal(0);
    expect(
      [...fiveXX.values()].reduce((n, g) => n + g.count, 0),
      '5xx answers',
    ).to.equal(0);
    // Readiness is never lost, and every probe answers within the issue's budget.
    expect(
      readyz.filter((m) => m <= 0),
      '/readyz probes that failed (negative: minus the status; -0: no answer)',
    ).to.deep.equal([]);
    return readyz;
  }

  it(`answers ${total} bad requests (seed ${seed}) with no 5xx, no timeout, no restart, and /readyz always answering`, async () => {
    let readyz = await fuzzPass();
    const late = () => readyz.filter((m) => m >= readyzBudgetMs).map(Math.round);
    if (late().length > 0) {
      // A stall of the apiserver's own making comes back with the same requests; one of the
      // machine's (another process, disk flushes) does not. So a miss gets one more pass of the
      // same seed, and the budget must hold for a whole pass.
      console.log(`      /readyz over ${readyzBudgetMs} ms: ${late().join(', ')} ms; the same seed once more`);
      readyz = await fuzzPass();
    }
    expect(late(), `/readyz probes of ${readyzBudgetMs} ms or more`).to.deep.equal([]);
  });
});
