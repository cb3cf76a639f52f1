// Issue 20, acceptance 1: the Skiff ingress controller on every lab worker. Two Ingresses route
// a.example and b.example/api to two Deployments over HTTP and HTTPS (a certificate from a
// kubernetes.io/tls Secret, chosen by SNI); the Ingress status shows the workers' addresses;
// a rolling update behind the Ingress under steady load loses none of at least 2,000 requests.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { httpGet, servingPod, sharedLab, startLoad } from '../src/lab/index.ts';
import type { Lab, LoadReport, ProbeResult } from '../src/lab/index.ts';
import { list, webDeployment } from '../src/web-workloads.ts';
import { waitFor } from '@skiff/common/testing/index';

const NS = 'lab-ingress';

/** GET over TLS to `address`, SNI and Host `host`, the certificate verified against `ca` (curl --resolve). */
function httpsGet(address: string, host: string, path: string, ca: string): Promise<ProbeResult & { subject?: string }> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      { host: address, port: 443, path, servername: host, headers: { host, connection: 'close' }, ca, agent: false, timeout: 3000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate?.();
          resolve({ ok: res.statusCode === 200, status: res.statusCode ?? 0, body, subject: cert?.subject?.CN as string | undefined });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve({ ok: false, status: 0, body: '', error: e.message }));
    req.end();
  });
}

/** The skiff/web page under /api/ as well, so that b's answers say they came from b's /api. */
function apiDeployment(): object {
  const d = webDeployment({ name: 'b', replicas: 2, labels: { app: 'b' } }) as any;
  d.metadata.namespace = NS;
  d.spec.template.spec.containers[0].command = [
    'sh',
    '-c',
    'mkdir -p /www/api && echo "api pod: $(hostname)" > /www/api/index.html && exec /usr/local/bin/start-web',
  ];
  return d;
}

const service = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: NS },
  spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
});

describe('lab: Ingress through the Skiff ingress controller on every worker (issue 20)', function () {
  this.timeout(300_000);
  let lab: Lab;
  let certDir: string;
  let ca: string;
  const started = Date.now();

  const k = async (args: string[], stdin?: string, timeoutMs = 60_000): Promise<string> => {
    const r = await lab.kubectl(args, stdin === undefined ? { timeoutMs } : { stdin, timeoutMs });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const readyPods = async (app: string) => {
    const out = JSON.parse(await k(['get', 'pods', '-n', NS, '-l', `app=${app}`, '-o', 'json']));
    return (out.items as any[]).filter(
      (p) => !p.metadata.deletionTimestamp && p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'),
    );
  };

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    lab = await sharedLab();
    certDir = mkdtempSync(join(tmpdir(), 'skiff-ingress-tls-'));
    await promisify(execFile)('openssl', [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=a.example'],
      ...['-addext', 'subjectAltName=DNS:a.example,DNS:b.example', '-keyout', join(certDir, 'tls.key'), '-out', join(certDir, 'tls.crt')],
    ]);
    ca = readFileSync(join(certDir, 'tls.crt'), 'utf8');
    await k(['create', 'namespace', NS]);
  });
  after(async () => {
    if (certDir) rmSync(certDir, { recursive: true, force: true });
    await lab?.kubectl(['delete', 'namespace', NS, '--wait=false']);
    process.stdout.write(`      lab-ingress wall time: ${((Date.now() - started) / 1000).toFixed(1)} s (after the shared lab was up)\n`);
  });

  it('routes a.example and b.example/api over HTTP and HTTPS on every worker; status lists the workers', async () => {
    const a = webDeployment({ name: 'a', replicas: 2, labels: { app: 'a' } }) as any;
    a.metadata.namespace = NS;
    await k(['apply', '-f', '-'], list(a, apiDeployment(), service('a'), service('b')));
    await k(['create', 'secret', 'tls', 'ab-tls', '-n', NS, `--cert=${join(certDir, 'tls.crt')}`, `--key=${join(certDir, 'tls.key')}`]);
    // a: no class (the default IngressClass skiff claims it); b: the class named, a Prefix path
    await k(['create', 'ingress', 'a', '-n', NS, '--rule=a.example/*=a:80,tls=ab-tls']);
    await k(['create', 'ingress', 'b', '-n', NS, '--class=skiff', '--rule=b.example/api/*=b:http,tls=ab-tls']);
    await waitFor('2 ready pods of a and of b', async () => (await readyPods('a')).length === 2 && (await readyPods('b')).length === 2, 120_000);

    const addresses = lab.workers.map((w) => w.address).sort();
    const shown = await waitFor(
      'the Ingresses to show the worker addresses',
      async () => {
        const out = JSON.parse(await k(['get', 'ingress', '-n', NS, '-o', 'json']));
        const ips = (out.items as any[]).map((i) => (i.status?.loadBalancer?.ingress ?? []).map((x: any) => x.ip).join(','));
        return ips.length === 2 && ips.every((s) => s === addresses.join(',')) && ips;
      },
      30_000,
    );
    expect(shown).to.have.length(2);
    const table = await k(['get', 'ingress', '-n', NS]);
    expect(table.split('\n')[0]!.split(/\s+/)).to.deep.equal(['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE']);
    expect(table).to.match(new RegExp(`\\nb\\s+skiff\\s+b\\.example\\s+${addresses.join(',').replaceAll('.', '\\.')}\\s+80, 443\\s`));

    for (const w of lab.workers) {
      const url = (path: string) => `http://${w.address}${path}`;
      const ra = await waitFor(`a.example on ${w.name}`, async () => {
        const r = await httpGet(url('/'), 3000, { host: 'a.example' });
        return r.ok && r;
      });
      expect(ra.body).to.contain('Hello from Skiff');
      expect(servingPod(ra.body)).to.match(/^a-/);
      const rb = await waitFor(`b.example/api/ on ${w.name}`, async () => {
        const r = await httpGet(url('/api/'), 3000, { host: 'b.example' });
        return r.ok && r;
      });
      expect(rb.body).to.match(/^api pod: b-/);
      // b.example outside /api, and a host no rule names: the default 404
      expect((await httpGet(url('/'), 3000, { host: 'b.example' })).status).to.equal(404);
      expect((await httpGet(url('/api/'), 3000, { host: 'c.example' })).status).to.equal(404);

      const sa = await httpsGet(w.address, 'a.example', '/', ca);
      expect(sa.error, sa.error).to.equal(undefined);
      expect(sa.status).to.equal(200);
      expect(sa.subject).to.equal('a.example');
      expect(servingPod(sa.body)).to.match(/^a-/);
      const sb = await httpsGet(w.address, 'b.example', '/api/', ca);
      expect(sb.status, sb.error).to.equal(200);
      expect(sb.body).to.match(/^api pod: b-/);
    }
  });

  it('a rolling update behind the Ingress under steady load loses none of at least 2,000 requests', async () => {
    const before = new Set((await readyPods('a')).map((p) => p.metadata.name));
    const urls = lab.workers.map((w) => `http://${w.address}/`);
    const loads = [0, 1, 2, 3].map(() => startLoad(urls, 0, { host: 'a.example' }));
    const t0 = Date.now();
    let reports: LoadReport[] = [];
    try {
      await k(['set', 'env', '-n', NS, 'deployment/a', 'RELEASE=2']);
      await k(['rollout', 'status', '-n', NS, 'deployment/a', '--timeout=120s'], undefined, 130_000);
      await waitFor('every pod of a replaced', async () => {
        const now = await readyPods('a');
        return now.length === 2 && now.every((p) => !before.has(p.metadata.name));
      });
      // the load stays on until it has made 2,000 requests
      await waitFor('2,000 requests under load', async () => loads.reduce((n, l) => n + l.count(), 0) >= 2000, 120_000, 200);
    } finally {
      reports = await Promise.all(loads.map((l) => l.stop()));
    }
    const requests = reports.reduce((n, r) => n + r.requests, 0);
    const failures = reports.flatMap((r) => r.failures);
    const pods = new Set(reports.flatMap((r) => [...r.pods.keys()]));
    process.stdout.write(
      `      rollout behind the Ingress: ${requests} requests in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${failures.length} failed, pods seen ${pods.size}\n`,
    );
    expect(failures, JSON.stringify(failures.slice(0, 5))).to.deep.equal([]);
    expect(requests).to.be.at.least(2000);
    expect([...pods].filter((p) => !before.has(p)).length, 'requests reached the new pods').to.be.at.least(1);
  });
});
