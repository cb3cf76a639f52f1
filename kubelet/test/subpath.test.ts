// The kubelet's own check of volume subPaths, before anything is joined to a host directory.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerConfigError } from '../src/pods/env.ts';
import { subPathHostPath } from '../src/volumes/subpath.ts';

describe('kubelet: volume subPath at the edge', () => {
  let dir: string;
  let vol: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'subpath-'));
    vol = join(dir, 'vol');
    mkdirSync(vol);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const refused = (mount: { name: string; subPath?: string; subPathExpr?: string }, env: Record<string, string> = {}) => {
    try {
      subPathHostPath(vol, mount, env, 'app');
    } catch (e) {
      expect(e).to.be.instanceOf(ContainerConfigError);
      return (e as Error).message;
    }
    throw new Error('subPath was accepted');
  };

  it('refuses `..` and absolute paths with the kubelet wording', () => {
    expect(refused({ name: 'data', subPath: '../..' })).to.equal("unable to provision SubPath `../..`: must not contain '..'");
    expect(refused({ name: 'data', subPath: 'a/../../etc' })).to.equal("unable to provision SubPath `a/../../etc`: must not contain '..'");
    expect(refused({ name: 'data', subPath: '/etc' })).to.equal('error SubPath `/etc` must not be an absolute path');
  });

  it('checks subPathExpr after expansion, and never expands subPath', () => {
    expect(refused({ name: 'data', subPathExpr: '$(DIR)/x' }, { DIR: '..' })).to.equal("unable to provision SubPath `../x`: must not contain '..'");
    expect(subPathHostPath(vol, { name: 'data', subPath: '$(DIR)' }, { DIR: '..' }, 'app')).to.equal(join(vol, '$(DIR)'));
    expect(subPathHostPath(vol, { name: 'data', subPathExpr: 'logs/$(POD)' }, { POD: 'web-1' }, 'app')).to.equal(join(vol, 'logs/web-1'));
  });

  it('refuses a symlink inside the volume that points out of it', () => {
    symlinkSync('/etc', join(vol, 'escape'));
    expect(refused({ name: 'data', subPath: 'escape' })).to.equal('failed to prepare subPath for volumeMount "data" of container "app"');
    expect(refused({ name: 'data', subPath: 'escape/new-dir' })).to.equal('failed to prepare subPath for volumeMount "data" of container "app"');
  });

  it('creates a missing subPath directory inside the volume and keeps existing files', () => {
    const created = subPathHostPath(vol, { name: 'data', subPath: 'a/b' }, {}, 'app');
    expect(created).to.equal(join(vol, 'a/b'));
    expect(statSync(created).isDirectory()).to.equal(true);
    writeFileSync(join(vol, 'app.conf'), 'x');
    expect(subPathHostPath(vol, { name: 'data', subPath: 'app.conf' }, {}, 'app')).to.equal(join(vol, 'app.conf'));
    expect(statSync(join(vol, 'app.conf')).isFile()).to.equal(true);
    expect(existsSync(join(dir, 'escape'))).to.equal(false);
  });

  it('leaves a mount without subPath on the volume itself', () => {
    expect(subPathHostPath(vol, { name: 'data' }, {}, 'app')).to.equal(vol);
  });
});
