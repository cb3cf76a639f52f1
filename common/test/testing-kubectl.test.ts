import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { kubectlBinary, kubectlVersions } from '../src/testing/index.ts';

describe('testing harness: kubectl binaries', () => {
  it('lists the installed minor versions, oldest first', () => {
    const versions = kubectlVersions();
    expect(versions).to.include.members(['1.27', '1.33']);
    expect(versions.indexOf('1.27')).to.be.lessThan(versions.indexOf('1.33'));
  });

  it('accepts the usual spellings of a version', () => {
    const path = kubectlBinary('1.29');
    expect(path).to.match(/kubectl\.1\.29$/);
    expect(existsSync(path)).to.equal(true);
    expect(kubectlBinary('v1.29')).to.equal(path);
    expect(kubectlBinary('29')).to.equal(path);
    expect(kubectlBinary('1.29.4')).to.equal(path);
  });

  it('explains a missing or malformed version', () => {
    expect(() => kubectlBinary('1.99')).to.throw(/no kubectl 1\.99 .*available: 1\.27/);
    expect(() => kubectlBinary('latest')).to.throw(/not understood/);
  });
});
