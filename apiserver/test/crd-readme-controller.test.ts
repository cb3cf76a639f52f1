// The small CronTab controller README.md (Custom resources) shows, run as it is written against a
// test apiserver: it must report each CronTab's replicas and selector in its status.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeOnExit, repoRoot, until, useApiserver } from '@skiff/common/testing/index';

/** The TypeScript block of the README's custom resources section. */
function readmeController(): string {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Custom resources'));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('README.md: no ts block under "## Custom resources"');
  return m[1]!;
}

describe("README's custom resource controller", function () {
  this.timeout(120_000);
  const cluster = useApiserver();

  it('runs as written and fills in the status of a CronTab', async () => {
    const k = async (args: string[]) => {
      const r = await cluster.server.kubectl('1.33', args);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await k(['apply', '-f', join(repoRoot(), 'manifests', '11-crontab-crd.yaml')]);
    await k(['wait', '--for=condition=Established', '--timeout=10s', 'crd/crontabs.stable.example.com']);
    await k(['apply', '-n', 'default', '-f', join(repoRoot(), 'manifests', '12-crontab.yaml')]);
    // inside the repository, so that @kubernetes/client-node resolves; Node strips the types
    const dir = mkdtempSync(join(repoRoot(), 'apiserver', 'test', '.readme-controller-'));
    removeOnExit(dir);
    const file = join(dir, 'controller.mts');
    writeFileSync(file, readmeController());
    const child = spawn(process.execPath, [file], { env: { ...process.env, KUBECONFIG: cluster.server.kubeconfigPath }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => {
      stderr += String(b);
    });
    try {
      const status = await until(
        'the controller to write the status',
        async () => JSON.parse(await k(['-n', 'default', 'get', 'crontab', 'nightly', '-o', 'json'])).status,
        30_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\ncontroller stderr:\n${stderr}`);
      });
      expect(status).to.deep.equal({ replicas: 1, labelSelector: 'crontab=nightly' });
      await k(['-n', 'default', 'scale', 'crontab/nightly', '--replicas=2']);
      await until(
        'the status to follow the scale',
        async () => JSON.parse(await k(['-n', 'default', 'get', 'crontab', 'nightly', '-o', 'json'])).status?.replicas === 2,
      );
    } finally {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
