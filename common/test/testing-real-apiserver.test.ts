import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, useApiserver } from '../src/testing/index.ts';

// The harness end to end with the real apiserver: the fixture most suites use.
describe('testing harness: useApiserver with the real apiserver', function () {
  this.timeout(60_000);
  before(function () {
    if (!existsSync(join(repoRoot(), 'apiserver', 'src', 'main.ts'))) this.skip();
  });
  const first = useApiserver();
  const second = useApiserver();

  it('serves /readyz and lets the real kubectl list namespaces', async () => {
    expect((await first.server.request('GET', '/readyz', { client: null })).status).to.equal(200);
    const r = await first.server.kubectl('1.33', ['get', 'namespaces', '-o', 'name']);
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.include('namespace/default');
  });

  it('keeps suites on one etcd apart by prefix', async () => {
    expect(first.etcd.url).to.equal(second.etcd.url);
    expect(first.server.prefix).to.not.equal(second.server.prefix);
    const name = `only-in-first-${Date.now()}`;
    const created = await first.server.kubectl('1.33', ['create', 'namespace', name]);
    expect(created.code, created.stderr).to.equal(0);
    const inSecond = await second.server.kubectl('1.33', ['get', 'namespace', name]);
    expect(inSecond.code).to.not.equal(0);
    expect(inSecond.stderr).to.match(/not found/i);
  });

  // What `make down` + `make up` does: the same etcd data seen by a fresh process.
  it('comes back after a restart and still has its objects', async () => {
    const name = `survives-restart-${Date.now()}`;
    expect((await first.server.kubectl('1.33', ['create', 'namespace', name])).code).to.equal(0);
    await first.server.restart();
    const r = await first.server.kubectl('1.33', ['get', 'namespace', name, '-o', 'name']);
    expect(r.stdout.trim(), r.stderr).to.equal(`namespace/${name}`);
  });
});
