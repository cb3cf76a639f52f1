import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot, runKubectl } from '../src/testing/index.ts';
import { fixtureEntry } from './fixtures.ts';

interface Run {
  code: number;
  out: string;
}

/** Running, as cluster.sh's pid_alive sees it: a zombie (stopped, not yet reaped by init) is not. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const etcdClient = { cert: 'pki/etcd/healthcheck-client.crt', key: 'pki/etcd/healthcheck-client.key' };

async function waitFor(ok: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${ok.toString()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// scripts/supervise.sh alone: restarts with back-off, records restarts, gives up on a service
// that cannot start, and stops with its service on SIGTERM.
describe('scripts/supervise.sh', function () {
  this.timeout(30_000);
  const supervise = join(repoRoot(), 'scripts', 'supervise.sh');
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-supervise-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const stateOf = (file: string) =>
    Object.fromEntries(
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );

  it('restarts an exiting service with back-off and records each restart and exit code', async () => {
    const file = join(dir, 's.state');
    const child = spawn('bash', [supervise, file, 'bash', '-c', 'sleep 0.2; exit 3'], {
      env: { ...process.env, SKIFF_SUPERVISE_STARTUP_SECONDS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const started = Date.now();
    await waitFor(() => existsSync(file) && Number(stateOf(file).restarts) >= 2, 10_000);
    // back-off 1 s then 2 s: the second restart comes about 3 s after the start, not at once
    expect(Date.now() - started).to.be.greaterThan(2_500);
    expect(stateOf(file)).to.include({ last_exit: '3' });
    expect(out).to.include('exited with code 3').and.include('restarting in 1s').and.include('restarting in 2s');
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).to.not.equal(null);
  });

  it('does not retry a service that cannot start, and exits with its code', async () => {
    const file = join(dir, 's.state');
    const r = await new Promise<Run>((resolve) =>
      execFile('bash', [supervise, file, 'bash', '-c', 'exit 7'], (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code) : 0, out: stdout + stderr }),
      ),
    );
    expect(r.code).to.equal(7);
    expect(r.out).to.include('not restarting');
    expect(stateOf(file)).to.include({ restarts: '0', last_exit: '7', pid: '' });
  });

  it('stops the service on SIGTERM', async () => {
    const file = join(dir, 's.state');
    const child = spawn('bash', [supervise, file, 'sleep', '60'], { stdio: 'ignore' });
    await waitFor(() => existsSync(file) && Number(stateOf(file).pid) > 0, 5_000);
    const service = Number(stateOf(file).pid);
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    child.kill('SIGTERM');
    await exited;
    expect(alive(service)).to.equal(false);
    expect(stateOf(file).pid).to.equal('');
  });
});

// `make up` / `make down` (scripts/cluster.sh) on moved ports and a temp .skiff dir, with
// the stand-in apiserver, so it runs beside a real cluster and without a built apiserver.
describe('make up / make down (scripts/cluster.sh)', function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let etcdUrl: string;
  let etcdPeerUrl: string;

  const cluster = (...command: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile('bash', [join(repoRoot(), 'scripts', 'cluster.sh'), ...command], { env }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
      });
    });
  const pid = (name: string) => Number(readFileSync(join(dir, 'run', `${name}.pid`), 'utf8'));
  // etcd's JSON gateway with the health-check client certificate (null: none)
  const etcdCall = (path: string, body: object, client: { cert: string; key: string } | null = etcdClient) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(
        `${etcdUrl}${path}`,
        {
          method: 'POST',
          ca: readFileSync(join(dir, 'pki/etcd/ca.crt')),
          ...(client ? { cert: readFileSync(join(dir, client.cert)), key: readFileSync(join(dir, client.key)) } : {}),
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });

  // etcd's peer listener (what other members call), with the given certificate (null: none)
  const peerGet = (path: string, client: { cert: string; key: string } | null) =>
    new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        `${etcdPeerUrl}${path}`,
        {
          ca: readFileSync(join(dir, 'pki/etcd/ca.crt')),
          ...(client ? { cert: readFileSync(join(dir, client.cert)), key: readFileSync(join(dir, client.key)) } : {}),
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-cluster-test-'));
    const [client, peer, api] = [await freePort(), await freePort(), await freePort()];
    etcdUrl = `https://127.0.0.1:${client}`;
    etcdPeerUrl = `https://127.0.0.1:${peer}`;
    env = {
      ...process.env,
      SKIFF_DIR: dir,
      SKIFF_ETCD_CLIENT_PORT: String(client),
      SKIFF_ETCD_PEER_PORT: String(peer),
      SKIFF_APISERVER_PORT: String(api),
      SKIFF_ENTRY_apiserver: fixtureEntry('readyz-server')[0],
      SKIFF_SERVICES: 'etcd apiserver',
      // the supervisor restarts even a service that exits soon after start (the test kills one)
      SKIFF_SUPERVISE_STARTUP_SECONDS: '0',
    };
  });
  after(async () => {
    await cluster('down');
    rmSync(dir, { recursive: true, force: true });
  });

  it('up --build (make up): makes the PKI and kubeconfig, builds while etcd starts, starts the apiserver until ready', async () => {
    const r = await cluster('up', '--build');
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.include('starting etcd').and.include('apiserver: ready');
    // etcd needs no build: it is launched first, awaited after the build, and launched once
    const order = ['starting etcd', 'building (tsc -b)', 'etcd: ready', 'starting apiserver'].map((line) => r.out.indexOf(line));
    expect(
      order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!)),
      r.out,
    ).to.equal(true);
    expect(r.out.split('starting etcd').length, r.out).to.equal(2);
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

  it('a service that exits is restarted by its supervisor, and status shows the restarts', async () => {
    const state = () => readFileSync(join(dir, 'run', 'apiserver.state'), 'utf8');
    const servicePid = () => Number(/^pid=(\d+)$/m.exec(state())?.[1]);
    const first = servicePid();
    expect(alive(first)).to.equal(true);
    expect((await cluster('status')).out).to.match(/apiserver: ready \(pid \d+, restarts 0\)/);
    process.kill(first, 'SIGKILL');
    await waitFor(() => servicePid() > 0 && servicePid() !== first && alive(servicePid()), 15_000);
    expect(alive(pid('apiserver')), 'the supervisor stays').to.equal(true);
    await waitFor(async () => /apiserver: ready \(pid \d+, restarts 1, last exit 137 at /.test((await cluster('status')).out), 15_000);
  });

  it('etcd speaks TLS only and wants a client certificate of its own CA', async () => {
    expect(etcdUrl).to.match(/^https:/);
    expect((await etcdCall('/v3/kv/range', { key: b64('/x') })).status).to.equal(200);
    // no client certificate, a certificate of the cluster CA, or plain HTTP: refused
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => false,
        () => true,
      );
    expect(await refused(etcdCall('/v3/kv/range', { key: b64('/x') }, null)), 'no certificate').to.equal(true);
    expect(await refused(etcdCall('/v3/kv/range', { key: b64('/x') }, { cert: 'pki/admin.crt', key: 'pki/admin.key' })), 'cluster CA').to.equal(true);
    expect(await refused(fetch(`${etcdUrl.replace('https:', 'http:')}/v3/kv/range`, { method: 'POST', body: '{}' })), 'plain HTTP').to.equal(true);
    const args = readFileSync(`/proc/${pid('etcd')}/cmdline`, 'utf8').split('\0');
    expect(args).to.include.members(['--client-cert-auth', '--peer-client-cert-auth']);
  });

  it('etcd peers speak TLS too and must show a peer certificate of the etcd CA', async () => {
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => false,
        () => true,
      );
    expect(await peerGet('/members', { cert: 'pki/etcd/peer.crt', key: 'pki/etcd/peer.key' }), 'a peer').to.equal(200);
    expect(await refused(peerGet('/members', null)), 'no certificate').to.equal(true);
    expect(await refused(peerGet('/members', { cert: 'pki/admin.crt', key: 'pki/admin.key' })), 'cluster CA').to.equal(true);
    expect(await refused(fetch(`${etcdPeerUrl.replace('https:', 'http:')}/members`)), 'plain HTTP').to.equal(true);
    const args = readFileSync(`/proc/${pid('etcd')}/cmdline`, 'utf8').split('\0');
    for (const flag of ['--peer-cert-file=', '--peer-key-file=', '--peer-trusted-ca-file=']) {
      expect(
        args.some((a) => a.startsWith(flag) && a.includes('/pki/etcd/')),
        flag,
      ).to.equal(true);
    }
  });

  it('down stops everything by PID file; up afterwards finds the data again', async () => {
    const put = await etcdCall('/v3/kv/put', { key: b64('/kept'), value: b64('yes') });
    expect(put.status).to.equal(200);
    const pids = [pid('etcd'), pid('apiserver')];
    const down = await cluster('down');
    expect(down.code, down.out).to.equal(0);
    for (const p of pids) expect(alive(p), String(p)).to.equal(false);
    expect(existsSync(join(dir, 'run', 'etcd.pid'))).to.equal(false);
    expect((await cluster('status')).out).to.match(/etcd: stopped/);

    const up = await cluster('up');
    expect(up.code, up.out).to.equal(0);
    const res = await etcdCall('/v3/kv/range', { key: b64('/kept') });
    const body = JSON.parse(res.body) as { kvs?: { value: string }[] };
    expect(Buffer.from(body.kvs?.[0]?.value ?? '', 'base64').toString()).to.equal('yes');
  });

  it('up fails with the log tail when a service dies at start', async () => {
    await cluster('down');
    const broken = { ...env, SKIFF_ENTRY_apiserver: fixtureEntry('exits-at-once')[0], SKIFF_SUPERVISE_STARTUP_SECONDS: '10' };
    const r = await new Promise<Run>((resolve) => {
      execFile('bash', [join(repoRoot(), 'scripts', 'cluster.sh'), 'up'], { env: broken }, (err, stdout, stderr) => {
        resolve({ code: err ? 1 : 0, out: stdout + stderr });
      });
    });
    expect(r.code).to.equal(1);
    expect(r.out).to.include('fixture: refusing to start').and.include('error: apiserver exited during startup');
  });
});
