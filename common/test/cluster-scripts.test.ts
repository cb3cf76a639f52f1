import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot, runKubectl } from '../src/testing/index.ts';
import { fixtureEntry } from './fixtures.ts';

interface Run {
  code: number;
  out: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

// `make up` / `make down` (scripts/cluster.sh) on moved ports and a temp .skiff dir, with
// the stand-in apiserver, so it runs beside a real cluster and without a built apiserver.
describe('make up / make down (scripts/cluster.sh)', function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let etcdUrl: string;

  const cluster = (command: string): Promise<Run> =>
    new Promise((resolve) => {
      execFile('bash', [join(repoRoot(), 'scripts', 'cluster.sh'), command], { env }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
      });
    });
  const pid = (name: string) => Number(readFileSync(join(dir, 'run', `${name}.pid`), 'utf8'));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-cluster-test-'));
    const [client, peer, api] = [await freePort(), await freePort(), await freePort()];
    etcdUrl = `http://127.0.0.1:${client}`;
    env = {
      ...process.env,
      SKIFF_DIR: dir,
      SKIFF_ETCD_CLIENT_PORT: String(client),
      SKIFF_ETCD_PEER_PORT: String(peer),
      SKIFF_APISERVER_PORT: String(api),
      SKIFF_ENTRY_apiserver: fixtureEntry('readyz-server')[0],
      SKIFF_SERVICES: 'etcd apiserver',
    };
  });
  after(async () => {
    await cluster('down');
    rmSync(dir, { recursive: true, force: true });
  });

  it('up: makes the PKI and kubeconfig, starts etcd and the apiserver until ready', async () => {
    const r = await cluster('up');
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.include('starting etcd').and.include('apiserver: ready');
    for (const file of ['pki/ca.crt', 'pki/apiserver.crt', 'pki/admin.key', 'kubeconfig', 'scheduler.kubeconfig', 'logs/etcd.log', 'logs/apiserver.log']) {
      expect(existsSync(join(dir, file)), file).to.equal(true);
    }
    expect(alive(pid('etcd'))).to.equal(true);
    const k = await runKubectl(join(dir, 'kubeconfig'), '1.33', ['get', '--raw', '/readyz']);
    expect(k).to.deep.include({ code: 0, stdout: 'ok' });
  });

  it('up again leaves running services and certificates alone', async () => {
    const before = { etcd: pid('etcd'), apiserver: pid('apiserver'), ca: readFileSync(join(dir, 'pki/ca.crt'), 'utf8') };
    const r = await cluster('up');
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.include('etcd: already running');
    expect({ etcd: pid('etcd'), apiserver: pid('apiserver'), ca: readFileSync(join(dir, 'pki/ca.crt'), 'utf8') }).to.deep.equal(before);
    expect((await cluster('status')).out).to.match(/etcd: ready[\s\S]*apiserver: ready/);
  });

  it('down stops everything by PID file; up afterwards finds the data again', async () => {
    const put = await fetch(`${etcdUrl}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: b64('/kept'), value: b64('yes') }) });
    expect(put.status).to.equal(200);
    const pids = [pid('etcd'), pid('apiserver')];
    const down = await cluster('down');
    expect(down.code, down.out).to.equal(0);
    for (const p of pids) expect(alive(p), String(p)).to.equal(false);
    expect(existsSync(join(dir, 'run', 'etcd.pid'))).to.equal(false);
    expect((await cluster('status')).out).to.match(/etcd: stopped/);

    const up = await cluster('up');
    expect(up.code, up.out).to.equal(0);
    const res = await fetch(`${etcdUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: b64('/kept') }) });
    const body = (await res.json()) as { kvs?: { value: string }[] };
    expect(Buffer.from(body.kvs?.[0]?.value ?? '', 'base64').toString()).to.equal('yes');
  });

  it('up fails with the log tail when a service dies at start', async () => {
    await cluster('down');
    const broken = { ...env, SKIFF_ENTRY_apiserver: fixtureEntry('exits-at-once')[0] };
    const r = await new Promise<Run>((resolve) => {
      execFile('bash', [join(repoRoot(), 'scripts', 'cluster.sh'), 'up'], { env: broken }, (err, stdout, stderr) => {
        resolve({ code: err ? 1 : 0, out: stdout + stderr });
      });
    });
    expect(r.code).to.equal(1);
    expect(r.out).to.include('fixture: refusing to start').and.include('error: apiserver exited during startup');
  });
});
