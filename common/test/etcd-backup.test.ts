// scripts/etcd-backup.sh on an etcd that `scripts/cluster.sh up` runs (SKIFF_SERVICES=etcd, free
// ports): snapshots with a checksum, kept N deep; a restore refuses a snapshot whose checksum
// does not match and brings back what the snapshot held, without what came after. The whole
// cluster case (kubelet, controllers) is e2e/test/single-node/self-healing.test.ts.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { freePort, repoRoot } from '../src/testing/index.ts';

interface Run {
  code: number;
  out: string;
  stdout: string;
}

describe('scripts/etcd-backup.sh', function () {
  this.timeout(180_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let endpoint: string;

  const run = (cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Run> =>
    new Promise((resolve) => {
      execFile(cmd, args, { env: { ...env, ...extra }, timeout: 120_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr, stdout });
      });
    });
  const script = (...args: string[]) => run('bash', [join(repoRoot(), 'scripts', 'etcd-backup.sh'), ...args]);
  const etcdctl = async (...args: string[]) => {
    const r = await run(
      'etcdctl',
      [
        `--endpoints=${endpoint}`,
        `--cacert=${dir}/pki/etcd/ca.crt`,
        `--cert=${dir}/pki/etcd/healthcheck-client.crt`,
        `--key=${dir}/pki/etcd/healthcheck-client.key`,
        ...args,
      ],
      { ETCDCTL_API: '3' },
    );
    expect(r.code, r.out).to.equal(0);
    return r.stdout;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-backup-test-'));
    const [client, peer] = [await freePort(), await freePort()];
    endpoint = `https://127.0.0.1:${client}`;
    env = { ...process.env, SKIFF_DIR: dir, SKIFF_ETCD_CLIENT_PORT: String(client), SKIFF_ETCD_PEER_PORT: String(peer), SKIFF_SERVICES: 'etcd' };
    const up = await run('bash', [join(repoRoot(), 'scripts', 'cluster.sh'), 'up']);
    expect(up.code, up.out).to.equal(0);
  });
  after(async () => {
    await run('bash', [join(repoRoot(), 'scripts', 'cluster.sh'), 'down']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('backup: a snapshot with its sha256 beside it; only the newest SKIFF_BACKUP_KEEP stay', async () => {
    const taken: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await run('bash', [join(repoRoot(), 'scripts', 'etcd-backup.sh'), 'backup'], { SKIFF_BACKUP_KEEP: '2' });
      expect(r.code, r.out).to.equal(0);
      taken.push(r.stdout.trim());
    }
    const kept = readdirSync(join(dir, 'backups')).sort();
    expect(kept).to.deep.equal([basename(taken[1]!), `${basename(taken[1]!)}.sha256`, basename(taken[2]!), `${basename(taken[2]!)}.sha256`].sort());
    // the checksum names the file relative to its directory, as sha256sum -c there reads it
    const inDir = await run('bash', ['-c', 'cd "$1" && sha256sum -c "$2"', '_', join(dir, 'backups'), `${basename(taken[2]!)}.sha256`]);
    expect(inDir.out).to.include(': OK');
    const bad = await run('bash', [join(repoRoot(), 'scripts', 'etcd-backup.sh'), 'backup'], { SKIFF_BACKUP_KEEP: '0' });
    expect(bad.code).to.not.equal(0);
    expect(bad.out).to.include('SKIFF_BACKUP_KEEP');
  });

  it('restore: checks the checksum; then A is back and B, written after the snapshot, is gone', async () => {
    await etcdctl('put', '/registry/test/a', 'A');
    const backup = await script('backup');
    expect(backup.code, backup.out).to.equal(0);
    const file = backup.stdout.trim();
    await etcdctl('put', '/registry/test/b', 'B');
    const etcdPid = Number(readFileSync(join(dir, 'run', 'etcd.pid'), 'utf8'));

    const good = readFileSync(`${file}.sha256`, 'utf8');
    writeFileSync(`${file}.sha256`, good.replace(/^[0-9a-f]{64}/, '0'.repeat(64)));
    const refused = await script('restore', file);
    expect(refused.code).to.not.equal(0);
    expect(refused.out).to.include('checksum');
    expect(Number(readFileSync(join(dir, 'run', 'etcd.pid'), 'utf8')), 'etcd left running').to.equal(etcdPid);
    writeFileSync(`${file}.sha256`, good);

    const restored = await script('restore', file);
    expect(restored.code, restored.out).to.equal(0);
    expect(await etcdctl('get', '/registry/test/a', '--print-value-only')).to.equal('A\n');
    expect(await etcdctl('get', '/registry/test/b', '--print-value-only')).to.equal('');
    const previous = readdirSync(dir).filter((f) => f.startsWith('etcd.before-restore-'));
    expect(previous).to.have.length(1);
    expect(existsSync(join(dir, previous[0]!, 'member'))).to.equal(true);
    // the restored member takes writes
    await etcdctl('put', '/registry/test/c', 'C');
    expect(await etcdctl('get', '/registry/test/c', '--print-value-only')).to.equal('C\n');
  });
});
