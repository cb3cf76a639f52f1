// fsGroup ownership of pod volumes (the kubelet's SetVolumeOwnership) and the fsGroup joining
// every container's supplemental groups.
import { expect } from 'chai';
import { chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyFsGroup, validFsGroup } from '../src/volumes/ownership.ts';
import { supplementalGroups } from '../src/runtime/cri-configs.ts';

describe('kubelet: fsGroup volume ownership', function () {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-fsgroup-'));
    mkdirSync(join(dir, 'sub'), { mode: 0o700 });
    writeFileSync(join(dir, 'sub', 'data'), 'x', { mode: 0o600 });
    writeFileSync(join(dir, 'top'), 'y', { mode: 0o644 });
    symlinkSync('top', join(dir, 'link'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every file the group and group rw, and directories group x and setgid; symlinks keep their bits', function () {
    if (process.getuid?.() !== 0) this.skip(); // chown to another group needs root
    expect(applyFsGroup(dir, 2000, { readOnly: false })).to.equal(true);
    const mode = (p: string) => statSync(join(dir, p)).mode & 0o7777;
    expect(statSync(dir).gid).to.equal(2000);
    expect(statSync(join(dir, 'sub', 'data')).gid).to.equal(2000);
    expect(mode('sub')).to.equal(0o2770);
    expect(mode('sub/data')).to.equal(0o660);
    expect(mode('top')).to.equal(0o664);
    expect(lstatSync(join(dir, 'link')).gid).to.equal(2000);
  });

  it('read-only volumes get group read only', function () {
    if (process.getuid?.() !== 0) this.skip();
    applyFsGroup(dir, 3000, { readOnly: true });
    expect(statSync(join(dir, 'sub', 'data')).mode & 0o777).to.equal(0o640);
    expect(statSync(join(dir, 'sub')).mode & 0o7777).to.equal(0o2750);
  });

  it('OnRootMismatch skips the walk when the root already matches, and walks when it does not', function () {
    if (process.getuid?.() !== 0) this.skip();
    expect(applyFsGroup(dir, 2000, { readOnly: false, policy: 'OnRootMismatch' })).to.equal(true);
    chownSync(join(dir, 'top'), 0, 0); // changed below the root: not looked at
    expect(applyFsGroup(dir, 2000, { readOnly: false, policy: 'OnRootMismatch' })).to.equal(false);
    expect(statSync(join(dir, 'top')).gid).to.equal(0);
    expect(applyFsGroup(dir, 2000, { readOnly: false, policy: 'Always' })).to.equal(true);
    expect(statSync(join(dir, 'top')).gid).to.equal(2000);
  });

  it('refuses a group id that is not a 32-bit unsigned integer', () => {
    for (const bad of [-1, 1.5, 2 ** 32, '2000', null]) expect(validFsGroup(bad), String(bad)).to.equal(false);
    expect(() => applyFsGroup(dir, -1, { readOnly: false })).to.throw(/invalid fsGroup/);
  });

  it('adds the fsGroup to the supplemental groups of the pod and its containers', () => {
    expect(supplementalGroups({ supplementalGroups: [10], fsGroup: 2000 })).to.deep.equal([10, 2000]);
    expect(supplementalGroups({ fsGroup: 2000 })).to.deep.equal([2000]);
    expect(supplementalGroups(undefined)).to.deep.equal([]);
  });
});
