// kubectl-lite as the left side of a pipe whose reader goes away early (`| head -1`,
// `| grep -q`): every object of the file is still applied, and nothing but the first line
// reaches the terminal (no EPIPE stack trace).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot, useApiserver } from '@skiff/common/testing/index';

const COUNT = 12;

function multiObjectFile(dir: string): string {
  const docs = Array.from({ length: COUNT }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: piped-${i}\ndata:\n  n: "${i}"\n`);
  const file = join(dir, 'many.yaml');
  writeFileSync(file, docs.join('---\n'));
  return file;
}

describe('kubectl-lite: a closed stdout pipe (issue 24)', function () {
  this.timeout(60_000);
  const cluster = useApiserver();
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-pipe-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('apply -f <many objects> | head -1 applies every object and prints no stack trace', async () => {
    const file = multiObjectFile(dir);
    const script = `set -o pipefail; "$LITE" apply -f "$FILE" 2>"$ERR" | head -1; echo "lite-exit=\${PIPESTATUS[0]}"`;
    const errFile = join(dir, 'stderr');
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('bash', ['-c', script], {
        env: { ...process.env, KUBECONFIG: cluster.server.kubeconfigPath, LITE: join(repoRoot(), 'bin', 'kubectl-lite'), FILE: file, ERR: errFile },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    const liteStderr = readFileSync(errFile, 'utf8');
    expect(liteStderr, 'kubectl-lite stderr').to.equal('');
    expect(result.stdout).to.match(/^configmap\/piped-0 created\nlite-exit=(0|141)\n$/);

    const r = await cluster.server.request('GET', '/api/v1/namespaces/default/configmaps');
    const names = (JSON.parse(r.body) as { items: { metadata: { name: string } }[] }).items.map((c) => c.metadata.name).filter((n) => n.startsWith('piped-'));
    expect(names.sort()).to.deep.equal(Array.from({ length: COUNT }, (_, i) => `piped-${i}`).sort());
  });

  it('a reader that closes before the first line still gets every object applied', async () => {
    // `true` exits without reading: the very first write meets the closed pipe
    const file = join(dir, 'early.yaml');
    writeFileSync(file, Array.from({ length: 4 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: early-${i}\n`).join('---\n'));
    const out = await new Promise<string>((resolve) => {
      const child = spawn('bash', ['-c', `"$LITE" apply -f "$FILE" 2>&1 | (exec 0<&-; sleep 0.1); echo "lite-exit=\${PIPESTATUS[0]}"`], {
        env: { ...process.env, KUBECONFIG: cluster.server.kubeconfigPath, LITE: join(repoRoot(), 'bin', 'kubectl-lite'), FILE: file },
      });
      let s = '';
      child.stdout.on('data', (d) => {
        s += d;
      });
      child.on('close', () => resolve(s));
    });
    // exit code 141, as a Unix tool killed by SIGPIPE, and nothing else printed
    expect(out).to.equal('lite-exit=141\n');
    const r = await cluster.server.request('GET', '/api/v1/namespaces/default/configmaps');
    const names = (JSON.parse(r.body) as { items: { metadata: { name: string } }[] }).items.map((c) => c.metadata.name).filter((n) => n.startsWith('early-'));
    expect(names.sort()).to.deep.equal(['early-0', 'early-1', 'early-2', 'early-3']);
  });
});
