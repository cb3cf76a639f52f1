// The dashboard's static files under /ui/ (apiserver --dashboard-dir): served to anyone,
// since a browser loads the page before it has a token, with a policy that keeps the page to
// its own files and its own origin; the API itself still wants credentials.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { useApiserver } from '@skiff/common/testing/index';

const dir = mkdtempSync(join(tmpdir(), 'skiff-ui-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Skiff dashboard</title>');
writeFileSync(join(dir, 'app.js'), 'console.log(1);');

describe('dashboard files under /ui/', () => {
  const cluster = useApiserver({ extraArgs: [`--dashboard-dir=${dir}`] });

  it('serves index.html and the bundle without credentials, with a same-origin content policy', async () => {
    const page = await cluster.server.request('GET', '/ui/', { client: null });
    expect(page.status).to.equal(200);
    expect(page.headers['content-type']).to.match(/^text\/html/);
    expect(page.body).to.contain('Skiff dashboard');
    expect(page.headers['content-security-policy']).to.contain("default-src 'none'").and.contain("connect-src 'self'");
    expect(page.headers['x-content-type-options']).to.equal('nosniff');
    const js = await cluster.server.request('GET', '/ui/app.js', { client: null });
    expect(js.status).to.equal(200);
    expect(js.headers['content-type']).to.match(/javascript/);
  });

  it('redirects /ui to /ui/ and answers 404 for a file that is not there', async () => {
    const r = await cluster.server.request('GET', '/ui', { client: null });
    expect(r.status).to.equal(301);
    expect(r.headers.location).to.equal('/ui/');
    expect((await cluster.server.request('GET', '/ui/nope.js', { client: null })).status).to.equal(404);
  });

  it('does not open anything else to anonymous callers', async () => {
    expect((await cluster.server.request('GET', '/api/v1/namespaces', { client: null })).status).to.equal(401);
    expect((await cluster.server.request('GET', '/uix', { client: null })).status).to.equal(401);
    expect((await cluster.server.request('GET', '/metrics', { client: null })).status).to.equal(401);
  });

  it('is readable by any authenticated user as a non-resource URL (RBAC)', async () => {
    const r = await cluster.server.kubectl('1.33', ['auth', 'can-i', 'get', '/ui/app.js', '--as=someone', '--as-group=system:authenticated']);
    expect(r.stdout.trim()).to.equal('yes');
  });
});
