// Every example in manifests/ is accepted by the apiserver: server-side dry runs through
// the real kubectl 1.33 and through kubectl-lite, then a real apply and re-apply.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import yaml from 'js-yaml';
import { useApiserver } from '@skiff/common/testing/index';
import { kubectlLite, manifestsDir } from './support.ts';

const files = readdirSync(manifestsDir())
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

type Doc = { apiVersion?: string; kind?: string; metadata?: { name?: string }; spec?: { group?: string } };
const docsOf = (file: string) => yaml.loadAll(readFileSync(join(manifestsDir(), file), 'utf8')).filter(Boolean) as Doc[];
// A custom resource's example needs its CustomResourceDefinition served first, as on any
// cluster: the file that defines the group, and the CRD's name to wait for
const crdFiles = new Map<string, { file: string; name: string }>();
for (const file of files) {
  for (const d of docsOf(file)) if (d.kind === 'CustomResourceDefinition' && d.spec?.group) crdFiles.set(d.spec.group, { file, name: d.metadata?.name ?? '' });
}
const crdsNeededBy = (file: string) =>
  docsOf(file)
    .map((d) => crdFiles.get((d.apiVersion ?? '').split('/')[0] ?? ''))
    .filter((c): c is { file: string; name: string } => c !== undefined && c.file !== file);

describe('manifests/', function () {
  this.timeout(120_000);
  const cluster = useApiserver();

  it('holds the examples the issue asks for, each with a comment header', () => {
    expect(files.length).to.be.at.least(8);
    for (const f of files) expect(readFileSync(join(manifestsDir(), f), 'utf8')).to.match(/^# \S/);
  });

  for (const file of files) {
    it(`${file}: kubectl 1.33 apply --dry-run=server accepts it`, async () => {
      for (const crd of crdsNeededBy(file)) {
        const applied = await cluster.server.kubectl('1.33', ['apply', '-f', join(manifestsDir(), crd.file)]);
        expect(applied.code).to.equal(0, applied.stderr);
        const established = await cluster.server.kubectl('1.33', ['wait', '--for=condition=Established', '--timeout=30s', `crd/${crd.name}`]);
        expect(established.code).to.equal(0, established.stderr);
      }
      const r = await cluster.server.kubectl('1.33', ['apply', '--dry-run=server', '-f', join(manifestsDir(), file)]);
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/ created \(server dry run\)\n$/);
    });

    it(`${file}: kubectl-lite apply --dry-run=server accepts it`, async () => {
      const r = await kubectlLite(cluster.server, ['apply', '--dry-run=server', '-f', join(manifestsDir(), file)]);
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      expect(
        r.stdout
          .trim()
          .split('\n')
          .every((l) => l.endsWith(' created (server dry run)')),
      ).to.equal(true);
    });
  }

  it('the whole directory applies for real, then re-applies unchanged', async () => {
    const first = await kubectlLite(cluster.server, ['apply', '-f', manifestsDir()]);
    expect(first.stderr).to.equal('');
    expect(first.code).to.equal(0);
    expect(first.stdout).to.contain('deployment.apps/web created\n');
    const again = await kubectlLite(cluster.server, ['apply', '-f', manifestsDir()]);
    expect(again.code).to.equal(0);
    // stringData never appears on a read Secret, so applying it always "configures" it,
    // with the real kubectl as well
    const changed = again.stdout
      .trim()
      .split('\n')
      .filter((l) => !l.endsWith(' unchanged'));
    expect(changed).to.deep.equal(['secret/app-secret configured']);
    // real kubectl reads the same last-applied-configuration and agrees line by line
    const theirs = await cluster.server.kubectl('1.33', ['apply', '-f', manifestsDir()]);
    expect(theirs.code).to.equal(0, theirs.stderr);
    expect(theirs.stdout).to.equal(again.stdout);
  });
});
