import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { freePort, runKubectl, sharedEtcd, sharedPki, startApiserver, startComponent } from '../src/testing/index.ts';
import type { ApiserverHandle } from '../src/testing/index.ts';
import { fixtureEntry } from './fixtures.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function etcdValue(url: string, key: string): Promise<string | undefined> {
  const res = await fetch(`${url}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: Buffer.from(key).toString('base64') }) });
  const body = (await res.json()) as { kvs?: { value: string }[] };
  const value = body.kvs?.[0]?.value;
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
}

// The harness's lifecycle against a stand-in server that takes the apiserver's flags.
describe('testing harness: apiserver lifecycle (stand-in server)', function () {
  this.timeout(90_000);
  let server: ApiserverHandle;
  let etcdUrl: string;

  before(async () => {
    etcdUrl = (await sharedEtcd()).url;
    server = await startApiserver({ etcdUrl, entryArgs: fixtureEntry('readyz-server'), extraArgs: ['--feature=x'] });
  });
  after(async () => {
    await server?.stop();
  });

  it('passes the apiserver flags, its own etcd prefix included', async () => {
    const res = await server.request('GET', '/whoami');
    expect(res.status).to.equal(200);
    const { args } = JSON.parse(res.body) as { args: Record<string, string> };
    expect(args['etcd-servers']).to.equal(etcdUrl);
    expect(args['etcd-prefix']).to.equal(server.prefix);
    expect(args['secure-port']).to.equal(String(server.port));
    expect(args['client-ca-file']).to.equal(server.pki.caCert);
    expect(args['feature']).to.equal('x');
    expect(await etcdValue(etcdUrl, `${server.prefix}/fixture/started`)).to.equal(String(server.pid));
  });

  it('authenticates requests with the admin certificate, or none', async () => {
    expect(JSON.parse((await server.request('GET', '/whoami')).body)).to.include({ cn: 'kubernetes-admin', o: 'system:masters' });
    expect(JSON.parse((await server.request('GET', '/whoami', { client: null })).body)).to.include({ cn: null });
  });

  it('writes a kubeconfig the real kubectl accepts (oldest and newest)', async () => {
    for (const version of ['1.27', '1.33']) {
      const r = await server.kubectl(version, ['get', '--raw', '/readyz']);
      expect(r, version).to.deep.include({ code: 0, stdout: 'ok' });
    }
  });

  it('writes kubeconfigs for other identities', async () => {
    const path = await server.kubeconfigFor(server.pki.scheduler, 'scheduler');
    const r = await runKubectl(path, '1.30', ['config', 'view', '--raw', '-o', 'jsonpath={.users[0].name} {.clusters[0].cluster.server}']);
    expect(r.stdout).to.equal(`scheduler ${server.url}`);
    expect((await runKubectl(path, '1.30', ['get', '--raw', '/readyz'])).stdout).to.equal('ok');
  });

  it('reports kubectl failures instead of throwing', async () => {
    const r = await server.kubectl('1.33', ['get', '--raw', '/nope']);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/NotFound|not found|404/i);
  });

  it('restarts on the same port with a new process', async () => {
    const oldPid = server.pid;
    await server.restart();
    expect(server.pid).to.not.equal(oldPid);
    expect(alive(oldPid)).to.equal(false);
    expect((await server.request('GET', '/readyz', { client: null })).body).to.equal('ok');
  });

  it('stop() kills the process and removes its files', async () => {
    const other = await startApiserver({ etcdUrl, entryArgs: fixtureEntry('readyz-server') });
    const pid = other.pid;
    await other.stop();
    expect(alive(pid)).to.equal(false);
    expect(existsSync(other.kubeconfigPath)).to.equal(false);
  });

  it('fails fast with the log tail when the server dies during startup', async () => {
    const started = Date.now();
    let error: unknown;
    try {
      await startApiserver({ etcdUrl, entryArgs: fixtureEntry('exits-at-once') });
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/exited during startup \(3\)/);
    expect(String(error)).to.include('fixture: refusing to start');
    expect(Date.now() - started).to.be.lessThan(20_000);
  });
});

describe('testing harness: other components', function () {
  this.timeout(60_000);

  it('starts a component, restarts it, and stops it by PID', async () => {
    const etcdUrl = (await sharedEtcd()).url;
    // The stand-in server needs the apiserver flags; any component takes its own.
    const p = await sharedPki();
    const port = await freePort();
    const args = [
      `--etcd-servers=${etcdUrl}`,
      '--etcd-prefix=/component-test',
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--tls-cert-file=${p.serverCert}`,
      `--tls-private-key-file=${p.serverKey}`,
      `--client-ca-file=${p.caCert}`,
    ];
    const component = await startComponent({ workspace: 'fixture', entryArgs: fixtureEntry('readyz-server'), args });
    const first = component.pid;
    expect(alive(first)).to.equal(true);
    await component.restart();
    expect(alive(first)).to.equal(false);
    expect(alive(component.pid)).to.equal(true);
    const second = component.pid;
    await component.stop();
    expect(alive(second)).to.equal(false);
  });

  it('reports a component that dies at start', async () => {
    let error: unknown;
    try {
      // Never ready on its own, so only the exit can end the wait: the default readiness (500 ms
      // alive) raced the fixture's exit on a loaded machine, where Node takes longer to start.
      await startComponent({ workspace: 'fixture', entryArgs: fixtureEntry('exits-at-once'), ready: async () => false });
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/fixture exited during startup \(3\)[\s\S]*refusing to start/);
  });
});
