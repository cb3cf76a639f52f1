// The release the apiserver serves under /skiff/dist/ (--dist-dir; make dist's files) for the
// one-line install `make token` prints: readable with a bootstrap token (and by nodes and
// admins), not anonymously or by other users; top-level files only, read-only.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { makeClientCert, useApiserver } from '@skiff/common/testing/index';
import { bootstrapTokenSecret, generateBootstrapToken } from '../src/auth/bootstrap-token.ts';
import { installCommand, servedInstallSha256 } from '../src/auth/join-token.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-dist-test-'));
const script = '#!/usr/bin/env bash\necho the installer\n';
const sha = createHash('sha256').update(script).digest('hex');
writeFileSync(join(dir, 'install.sh'), script);
writeFileSync(join(dir, 'skiff-0.1.0-abc1234-linux-amd64.tar.gz'), randomBytes(4096));
writeFileSync(join(dir, 'SHA256SUMS'), `${'0'.repeat(64)}  skiff-0.1.0-abc1234-linux-amd64.tar.gz\n${sha}  install.sh\n`);
writeFileSync(join(dir, '.hidden'), 'secret');
mkdirSync(join(dir, 'sub'));
writeFileSync(join(dir, 'sub', 'file'), 'nested');

describe('apiserver /skiff/dist/: the release for joining nodes (issue 23)', function () {
  this.timeout(60_000);
  const cluster = useApiserver({ extraArgs: [`--dist-dir=${dir}`] });
  const token = generateBootstrapToken(randomBytes);
  const bearer = { authorization: `Bearer ${token.id}.${token.secret}` };

  before(async () => {
    const secret = bootstrapTokenSecret(token, { expiration: new Date(Date.now() + 3600_000), extraGroups: ['system:bootstrappers:worker'] });
    const r = await cluster.server.request('POST', '/api/v1/namespaces/kube-system/secrets', { body: secret });
    expect(r.status, r.body).to.equal(201);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the files to a bootstrap token', async () => {
    const r = await cluster.server.request('GET', '/skiff/dist/install.sh', { client: null, headers: bearer });
    expect(r.status, r.body).to.equal(200);
    expect(r.body).to.equal(script);
    const sums = await cluster.server.request('GET', '/skiff/dist/SHA256SUMS', { client: null, headers: bearer });
    expect(sums.body).to.contain(`${sha}  install.sh`);
  });

  it('refuses anonymous callers, users without the role, and a wrong token', async () => {
    expect((await cluster.server.request('GET', '/skiff/dist/install.sh', { client: null })).status).to.equal(401);
    const nobody = await makeClientCert(cluster.server.pki, 'nobody', 'jane');
    expect((await cluster.server.request('GET', '/skiff/dist/install.sh', { client: nobody })).status).to.equal(403);
    const wrong = { authorization: `Bearer ${token.id}.${'f'.repeat(16)}` };
    expect((await cluster.server.request('GET', '/skiff/dist/install.sh', { client: null, headers: wrong })).status).to.equal(401);
  });

  it('serves top-level files only: no listing, dotfiles, sub-directories or climbing out; no writes', async () => {
    const refused: [string, number][] = [
      ['/skiff/dist/', 404],
      ['/skiff/dist/.hidden', 404],
      ['/skiff/dist/sub/file', 404],
      ['/skiff/dist/..%2f..%2fetc%2fpasswd', 404],
      ['/skiff/dist/missing', 404],
      // dot segments resolve before authorization: /skiff/x, outside the role's URLs
      ['/skiff/dist/%2e%2e/x', 403],
    ];
    for (const [path, status] of refused) {
      const r = await cluster.server.request('GET', path, { client: null, headers: bearer });
      expect(r.status, path).to.equal(status);
      expect(r.body, path).not.to.match(/secret|nested|root:/);
    }
    const put = await cluster.server.request('PUT', '/skiff/dist/install.sh', { body: 'x' });
    expect(put.status).to.equal(405);
  });

  it("gives make token the served install.sh's sha256 for its one-line install", async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.server.kubeconfigPath);
    expect(await servedInstallSha256(kc)).to.equal(sha);
    expect(installCommand('https://10.0.0.10:6443', 'abcdef.0123456789abcdef', `sha256:${'b'.repeat(64)}`, sha)).to.equal(
      "curl -fsSk -H 'Authorization: Bearer abcdef.0123456789abcdef' https://10.0.0.10:6443/skiff/dist/install.sh -o /tmp/skiff-install.sh" +
        ` && echo '${sha}  /tmp/skiff-install.sh' | sha256sum -c --quiet` +
        ` && bash /tmp/skiff-install.sh agent --server https://10.0.0.10:6443 --token abcdef.0123456789abcdef --ca-hash sha256:${'b'.repeat(64)}`,
    );
  });
});
