import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../src/testing/index.ts';
import { sourceFixture } from './fixtures.ts';

// The closing line `N passed, N failed` is what CI reads, so it is checked on a real
// mocha run of a spec with a known outcome.
describe('make test: summary reporter', function () {
  this.timeout(60_000);

  it('prints the spec output, then "1 passed, 1 failed, 1 skipped", and exits non-zero', async () => {
    const root = repoRoot();
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          join(root, 'node_modules/mocha/bin/mocha.js'),
          '--no-config',
          '--reporter',
          join(root, 'scripts/mocha/summary-reporter.cjs'),
          sourceFixture('sample.spec.cjs'),
        ],
        { cwd: root },
        (err, out) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: out }),
      );
    });
    const lines = stdout.trimEnd().split('\n');
    expect(lines.at(-1)).to.equal('1 passed, 1 failed, 1 skipped');
    expect(stdout).to.match(/1 passing/);
    expect(stdout).to.include('expected failure');
    expect(code).to.not.equal(0);
  });
});
