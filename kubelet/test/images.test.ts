// The image builder: tar writer, recipe parsing, OCI layout (checked with the real tar and
// skopeo), reproducibility, the push to the local registry, and the CLI.
import { expect } from 'chai';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { buildImage, recipeFileEntries } from '../src/images/builder.ts';
import { formatImageRef, parseImageRef } from '../src/images/image-ref.ts';
import { blobPath } from '../src/images/oci-layout.ts';
import { busyboxRootfs, DEFAULT_BUSYBOX } from '../src/images/busybox-rootfs.ts';
import { pushImage, pushImageAs, remoteManifestDigest } from '../src/images/push.ts';
import { parseRecipe } from '../src/images/recipe.ts';
import { tarArchive } from '../src/images/tar.ts';
import { ensureRegistry, type RegistryHandle } from '../src/runtime-setup/registry.ts';
import { freePort, makePki, repoRoot } from '@skiff/common/testing/index';

// compiled tests (dist/test) run the compiled CLI, source tests the source one
const CLI = fileURLToPath(new URL(`../src/images/cli.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));

function tarListing(tar: Buffer): string[] {
  return execFileSync('tar', ['-tvf', '-'], { input: tar, encoding: 'utf8' }).trim().split('\n');
}

describe('images: tar writer', () => {
  it('writes directories, files and symlinks that GNU tar reads back', () => {
    const longDir = 'a/' + 'd'.repeat(90) + '/' + 'e'.repeat(40);
    const tar = tarArchive([
      { type: 'dir', path: 'bin' },
      { type: 'file', path: 'bin/tool', mode: 0o755, content: Buffer.from('#!/bin/sh\necho hi\n') },
      { type: 'symlink', path: 'bin/alias', target: '/bin/tool' },
      { type: 'dir', path: 'tmp', mode: 0o1777 },
      { type: 'file', path: `${longDir}/file.txt`, content: Buffer.from('x'.repeat(1000)) },
    ]);
    expect(tar.length % 512).to.equal(0);
    const listing = tarListing(tar);
    expect(listing[0]).to.match(/^drwxr-xr-x root\/root\s+0 2000-01-01 00:00 bin\/$/);
    expect(listing[1]).to.match(/^-rwxr-xr-x root\/root\s+18 .* bin\/tool$/);
    expect(listing[2]).to.match(/^lrwxrwxrwx .* bin\/alias -> \/bin\/tool$/);
    expect(listing[3]).to.match(/^drwxrwxrwt /);
    expect(listing[4]).to.match(new RegExp(`1000 .* ${longDir}/file.txt$`));
    const content = execFileSync('tar', ['-xOf', '-', 'bin/tool'], { input: tar, encoding: 'utf8' });
    expect(content).to.equal('#!/bin/sh\necho hi\n');
  });

  it('refuses paths that escape the archive root', () => {
    expect(() => tarArchive([{ type: 'file', path: '../etc/passwd', content: Buffer.alloc(0) }])).to.throw(/bad entry path/);
    expect(() => tarArchive([{ type: 'dir', path: '/' }])).to.throw(/empty entry path/);
  });
});

describe('images: recipe and names', () => {
  const dir = '/recipes/x';

  it('normalises env, ports and modes', () => {
    const r = parseRecipe({ files: [{ src: 'a.sh', dest: '/usr/bin/a', mode: '0755' }], env: { A: '1' }, ports: [80, '53/udp'] }, dir);
    expect(r.base).to.equal('busybox');
    expect(r.files).to.deep.equal([{ src: '/recipes/x/a.sh', dest: '/usr/bin/a', mode: 0o755 }]);
    expect(r.env).to.deep.equal(['A=1']);
    expect(r.ports).to.deep.equal(['80/tcp', '53/udp']);
  });

  it('rejects bad recipes with a message naming the field', () => {
    expect(() => parseRecipe({ bse: 'busybox' }, dir)).to.throw(/unknown field "bse"/);
    expect(() => parseRecipe({ base: 'alpine' }, dir)).to.throw(/base must be/);
    expect(() => parseRecipe({ files: [{ src: '../secret', dest: '/s' }] }, dir)).to.throw(/inside the recipe directory/);
    expect(() => parseRecipe({ files: [{ src: 'a', dest: 'relative' }] }, dir)).to.throw(/files\[0\]\.dest/);
    expect(() => parseRecipe({ ports: [70000] }, dir)).to.throw(/ports\[0\]/);
    expect(() => parseRecipe({ cmd: 'sleep 1' }, dir)).to.throw(/cmd must be an array of strings/);
    expect(() => parseRecipe({ env: ['NOEQUALS'] }, dir)).to.throw(/KEY=value/);
  });

  it('parses image names with and without registry and tag', () => {
    expect(parseImageRef('skiff/web')).to.deep.equal({ registry: undefined, repository: 'skiff/web', tag: 'latest' });
    expect(parseImageRef('127.0.0.1:5000/skiff/web:v2')).to.deep.equal({ registry: '127.0.0.1:5000', repository: 'skiff/web', tag: 'v2' });
    expect(formatImageRef(parseImageRef('skiff/pause:1'))).to.equal('127.0.0.1:5000/skiff/pause:1');
    expect(() => parseImageRef('Skiff/Web')).to.throw(/invalid repository/);
    expect(() => parseImageRef('web:bad tag')).to.throw(/invalid tag/);
  });
});

describe('images: the busybox base layer', () => {
  const printenv = () => {
    const entry = busyboxRootfs().find((e) => e.path === 'usr/bin/printenv');
    if (entry?.type !== 'file') throw new Error('no usr/bin/printenv file in the base layer');
    return entry;
  };

  it("adds printenv, which Debian's busybox lacks, as a script that prints one value or all", () => {
    expect(execFileSync(DEFAULT_BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n')).to.not.include('printenv');
    const entry = printenv();
    expect(entry.mode).to.equal(0o755);
    const script = entry.content.toString();
    const env = { PATH: process.env.PATH, GREETING: 'hello world', EMPTY: '' };
    const one = spawnSync('sh', ['-c', script, 'printenv', 'GREETING', 'EMPTY'], { encoding: 'utf8', env });
    expect(one).to.include({ status: 0, stdout: 'hello world\n\n' });
    const unset = spawnSync('sh', ['-c', script, 'printenv', 'GREETING', 'NOPE'], { encoding: 'utf8', env });
    expect(unset).to.include({ status: 1, stdout: 'hello world\n' });
    const all = spawnSync('sh', ['-c', script, 'printenv'], { encoding: 'utf8', env });
    expect(all.status).to.equal(0);
    expect(all.stdout.split('\n')).to.include('GREETING=hello world');
  });
});

describe('images: wget with a timeout on a busybox built without one', function () {
  this.timeout(30_000);
  let server: Server;
  let port: number;
  const wget = () => {
    const entry = busyboxRootfs().find((e) => e.path === 'usr/bin/wget');
    if (entry?.type !== 'file') throw new Error('usr/bin/wget is not the script: does this busybox have wget -T?');
    return entry.content.toString();
  };
  const runWget = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) => {
      const started = Date.now();
      const child = spawn('sh', ['-c', wget(), 'wget', ...args]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
    });

  before(async () => {
    // /slow never answers: only the timeout ends the download
    server = createServer((req, res) => {
      if (req.url !== '/slow') res.end('page-ok\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("Debian's busybox wget crashes on -T: the reason for the script", () => {
    const r = spawnSync(DEFAULT_BUSYBOX, ['wget', '-T', '1', '-qO-', `http://127.0.0.1:${port}/`]);
    expect(r.signal ?? r.status).to.be.oneOf(['SIGSEGV', 139]);
  });

  it('answers with -T SEC, -TSEC, --timeout=SEC and without, and ends a hung download with exit 1', async () => {
    for (const opts of [[], ['-T', '5'], ['-T5'], ['--timeout=5'], ['--timeout', '5']]) {
      const r = await runWget('-qO-', ...opts, `http://127.0.0.1:${port}/`);
      expect(r, opts.join(' ')).to.deep.include({ code: 0, stdout: 'page-ok\n' });
    }
    const hung = await runWget('-q', '--spider', '--timeout=1', `http://127.0.0.1:${port}/slow`);
    expect(hung).to.deep.include({ code: 1, stderr: 'wget: download timed out\n' });
    expect(hung.ms).to.be.within(900, 5000);
    const noValue = await runWget('-T');
    expect(noValue.code).to.equal(1);
    expect(noValue.stderr).to.include('requires an argument');
  });
});

describe('images: builder, push and CLI', function () {
  this.timeout(60_000);
  let work: string;
  let recipeDir: string;
  let registry: RegistryHandle;
  const testRepo = `skiff-test/images-test-${process.pid}`;
  const pushedDigests: string[] = [];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'skiff-images-test-'));
    recipeDir = join(work, 'recipe');
    mkdirSync(join(recipeDir, 'site', 'sub'), { recursive: true });
    writeFileSync(join(recipeDir, 'run.sh'), '#!/bin/sh\necho running\n');
    writeFileSync(join(recipeDir, 'site', 'index.html'), 'hello\n');
    writeFileSync(join(recipeDir, 'site', 'sub', 'page.txt'), 'page\n');
    symlinkSync('index.html', join(recipeDir, 'site', 'home.html'));
    chmodSync(join(recipeDir, 'run.sh'), 0o644); // the recipe's mode must win
    writeFileSync(
      join(recipeDir, 'image.json'),
      JSON.stringify({
        files: [
          { src: 'run.sh', dest: '/usr/local/bin/run', mode: '0755' },
          { src: 'site', dest: '/srv/site' },
        ],
        entrypoint: ['/usr/local/bin/run'],
        cmd: ['--fast'],
        env: { MODE: 'test' },
        workdir: '/srv/site',
        ports: [8080],
        labels: { purpose: 'test' },
      }),
    );
    registry = await ensureRegistry();
  });

  after(async () => {
    // Leave the registry as we found it: delete the manifests this test pushed.
    for (const digest of pushedDigests) {
      await fetch(`http://${registry.address}/v2/${testRepo}/manifests/${digest}`, { method: 'DELETE' }).catch(() => undefined);
    }
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('adds recipe files with parent directories, modes and symlinks', () => {
    const entries = recipeFileEntries(parseRecipe(JSON.parse(readFileSync(join(recipeDir, 'image.json'), 'utf8')), recipeDir).files);
    const byPath = Object.fromEntries(entries.map((e) => [e.path, e]));
    expect(Object.keys(byPath)).to.include.members(['usr', 'usr/local', 'usr/local/bin', 'srv', 'srv/site', 'srv/site/sub/page.txt']);
    expect(byPath['usr/local/bin/run']).to.include({ type: 'file', mode: 0o755 });
    expect(byPath['srv/site/home.html']).to.deep.equal({ type: 'symlink', path: 'srv/site/home.html', target: 'index.html' });
  });

  it('builds a reproducible OCI layout that skopeo reads', () => {
    const out = join(work, 'out');
    const first = buildImage(recipeDir, { name: `${testRepo}:v1`, outDir: out });
    const second = buildImage(recipeDir, { name: `${testRepo}:v1`, outDir: out });
    expect(second.manifest.digest).to.equal(first.manifest.digest);
    expect(first.layers).to.have.length(2);

    const config = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `oci:${first.layoutDir}:v1`], { encoding: 'utf8' }));
    expect(config.config.Entrypoint).to.deep.equal(['/usr/local/bin/run']);
    expect(config.config.Cmd).to.deep.equal(['--fast']);
    expect(config.config.Env).to.include('MODE=test');
    expect(config.config.Env.some((e: string) => e.startsWith('PATH='))).to.equal(true);
    expect(config.config.ExposedPorts).to.deep.equal({ '8080/tcp': {} });
    expect(config.rootfs.diff_ids).to.have.length(2);

    const base = tarListing(gunzipSync(readFileSync(blobPath(first.layoutDir, first.layers[0]!.digest))));
    expect(base.some((l) => / bin\/busybox$/.test(l))).to.equal(true);
    for (const applet of ['bin/sh', 'usr/sbin/httpd', 'usr/bin/nc', 'bin/sleep', 'usr/bin/nslookup', 'bin/cat', 'bin/ls']) {
      expect(
        base.some((l) => l.endsWith(` ${applet} -> /bin/busybox`)),
        applet,
      ).to.equal(true);
    }
    // every applet the binary lists is linked where it says, as in the official busybox image
    const listed = execFileSync(DEFAULT_BUSYBOX, ['--list-full'], { encoding: 'utf8' })
      .split('\n')
      .filter((a) => a && a !== 'bin/busybox');
    expect(listed.length).to.be.greaterThan(200);
    // wget is a script on the applet when the build lacks its timeout option (busybox-scripts.ts)
    const missing = listed.filter((applet) => !base.some((l) => l.endsWith(` ${applet} -> /bin/busybox`)) && applet !== 'usr/bin/wget');
    expect(missing, 'applets without a link').to.deep.equal([]);
    expect(base.some((l) => /^-rwxr-xr-x .* usr\/bin\/(wget|printenv)$/.test(l) || l.endsWith(' usr/bin/wget -> /bin/busybox'))).to.equal(true);
    const files = tarListing(gunzipSync(readFileSync(blobPath(first.layoutDir, first.layers[1]!.digest))));
    expect(files.some((l) => /^-rwxr-xr-x .* usr\/local\/bin\/run$/.test(l))).to.equal(true);

    // a content change must change the digest
    writeFileSync(join(recipeDir, 'site', 'index.html'), 'changed\n');
    const third = buildImage(recipeDir, { name: `${testRepo}:v1`, outDir: out });
    expect(third.manifest.digest).to.not.equal(first.manifest.digest);
    expect(third.layers[0]!.digest).to.equal(first.layers[0]!.digest); // the base layer is shared
  });

  it('pushes to the registry once and skips an unchanged image', async () => {
    const image = buildImage(recipeDir, { name: `${testRepo}:v1`, outDir: join(work, 'out') });
    expect(await remoteManifestDigest(registry.address, testRepo, 'v1')).to.equal(undefined);
    const first = await pushImage(image, { registry: registry.address });
    pushedDigests.push(image.manifest.digest);
    expect(first).to.deep.equal({ destination: `${registry.address}/${testRepo}:v1`, pushed: true, digest: image.manifest.digest });
    expect(await remoteManifestDigest(registry.address, testRepo, 'v1')).to.equal(image.manifest.digest);
    expect((await pushImage(image, { registry: registry.address })).pushed).to.equal(false);
  });

  it('pushes the same image under a second name (library/<name> beside skiff/<name>)', async () => {
    const image = buildImage(recipeDir, { name: `${testRepo}:v1`, outDir: join(work, 'out') });
    const aliasRepo = `${testRepo}-alias`;
    const pushed = await pushImageAs(image, `${aliasRepo}:v1`, { registry: registry.address });
    expect(pushed).to.deep.equal({ destination: `${registry.address}/${aliasRepo}:v1`, pushed: true, digest: image.manifest.digest });
    expect(await remoteManifestDigest(registry.address, aliasRepo, 'v1')).to.equal(image.manifest.digest);
    await fetch(`http://${registry.address}/v2/${aliasRepo}/manifests/${image.manifest.digest}`, { method: 'DELETE' });
  });

  it('pushes over HTTPS to a registry whose certificate comes from a given CA (the lab listener)', async function () {
    this.timeout(60_000);
    const pki = await makePki(join(work, 'pki'));
    execFileSync('bash', [join(repoRoot(), 'scripts', 'pki.sh'), pki.dir, 'server', 'registry', 'skiff-registry', '127.0.0.1'], { stdio: 'ignore' });
    const port = await freePort();
    const config = join(work, 'tls-registry.yml');
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${join(work, 'tls-registry-data')}`,
        'http:',
        `  addr: 127.0.0.1:${port}`,
        '  tls:',
        `    certificate: ${join(pki.dir, 'registry.crt')}`,
        `    key: ${join(pki.dir, 'registry.key')}`,
        '',
      ].join('\n'),
    );
    const proc = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
    try {
      const address = `127.0.0.1:${port}`;
      const image = buildImage(recipeDir, { name: `${testRepo}:tls`, outDir: join(work, 'out') });
      for (let i = 0; ; i++) {
        try {
          await remoteManifestDigest(address, testRepo, 'tls', pki.caCert);
          break;
        } catch (e) {
          if (i > 40) throw e;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      // another CA's certificate is not trusted
      const other = await makePki(join(work, 'other-pki'));
      let untrusted: unknown;
      try {
        await pushImage(image, { registry: address, caFile: other.caCert });
      } catch (e) {
        untrusted = e;
      }
      expect(String(untrusted)).to.match(/not reachable \(.*(certificate|verify)/i);
      expect((await pushImage(image, { registry: address, caFile: pki.caCert })).pushed).to.equal(true);
      expect(await remoteManifestDigest(address, testRepo, 'tls', pki.caCert)).to.equal(image.manifest.digest);
      expect((await pushImage(image, { registry: address, caFile: pki.caCert })).pushed).to.equal(false);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
  });

  it('CLI builds and reports; bad arguments exit 1 with usage', () => {
    const ok = spawnSync(process.execPath, [CLI, 'build', recipeDir, '--name', `${testRepo}:cli`, '--out', join(work, 'cli-out')], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(new RegExp(`^built ${testRepo}:cli sha256:[0-9a-f]{64} in `));
    const bad = spawnSync(process.execPath, [CLI, 'build', recipeDir], { encoding: 'utf8' });
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain('usage:');
    const missing = spawnSync(process.execPath, [CLI, 'build', join(work, 'nope'), '--name', 'x/y'], { encoding: 'utf8' });
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.contain('cannot read recipe');
  });
});
