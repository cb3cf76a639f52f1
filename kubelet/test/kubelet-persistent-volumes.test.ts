// persistentVolumeClaim volumes at the node's edge, against the real apiserver: a claim must be
// bound to a volume of this node, whose path is checked again; the local-path cleanup removes
// only recorded provisioned directories, once their volume object is gone.
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfig } from '@skiff/common';
import { useApiserver } from '@skiff/common/testing/index';
import type { V1Pod } from '@kubernetes/client-node';
import { apiClients } from '../src/api/client.ts';
import { apiObjectSource } from '../src/api/objects.ts';
import { resolveClaimVolume, safeVolumePath } from '../src/volumes/persistent-claims.ts';
import { isProvisionedDir, LocalPathCleanup } from '../src/volumes/local-path-cleanup.ts';

describe('kubelet: persistentVolumeClaim volumes and local-path cleanup', function () {
  this.timeout(60_000);
  const cluster = useApiserver();
  const root = mkdtempSync(join(tmpdir(), 'skiff-pv-kubelet-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const k = async (args: string[], stdin?: string) => {
    const r = await cluster.server.kubectl('1.33', args, { stdin });
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout;
  };
  const objects = () => apiObjectSource(apiClients(loadKubeConfig(cluster.server.kubeconfigPath)));
  const pod = (claimName: string, readOnly = false): V1Pod => ({
    metadata: { name: 'p', namespace: 'default', uid: 'u' },
    spec: { containers: [], volumes: [{ name: 'data', persistentVolumeClaim: { claimName, readOnly } }] },
  });
  const volume = (name: string, path: string, node: string) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': 'skiff.io/local-path' } },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'local-path',
        hostPath: { path, type: 'DirectoryOrCreate' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
      },
    });
  const claim = (name: string) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: 'default' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local-path' },
    });
  /** what the binder does: both sides of the binding */
  const bind = async (claimName: string, volumeName: string) => {
    const uid = (await k(['get', 'pvc', claimName, '-o', 'jsonpath={.metadata.uid}'])).trim();
    await k(['patch', 'pv', volumeName, '--type=merge', '-p', JSON.stringify({ spec: { claimRef: { namespace: 'default', name: claimName, uid } } })]);
    await k(['patch', 'pvc', claimName, '--type=merge', '-p', JSON.stringify({ spec: { volumeName } })]);
    await k(['patch', 'pvc', claimName, '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Bound"}}']);
  };

  it('waits for an unbound claim, then resolves the bound volume of this node, readOnly as the pod asks', async () => {
    const uid = '0f0e0d0c-0b0a-0908-0706-050403020100';
    const dir = join(root, `pvc-${uid}_default_data`);
    await k(['create', '-f', '-'], claim('data'));
    await k(['create', '-f', '-'], volume(`pvc-${uid}`, dir, 'node-a'));
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: Error) => e.message,
      );
    expect(await failure(resolveClaimVolume(pod('data'), pod('data').spec!.volumes![0]!, objects(), 'node-a'))).to.equal(
      'error processing PVC default/data: PVC is not bound',
    );
    await bind('data', `pvc-${uid}`);
    const got = await resolveClaimVolume(pod('data', true), pod('data', true).spec!.volumes![0]!, objects(), 'node-a');
    expect(got).to.deep.equal({
      volumeName: `pvc-${uid}`,
      provisionedBy: 'skiff.io/local-path',
      path: dir,
      type: 'DirectoryOrCreate',
      local: false,
      readOnly: true,
    });
    expect(await failure(resolveClaimVolume(pod('data'), pod('data').spec!.volumes![0]!, objects(), 'node-b'))).to.equal(
      `persistentvolume "pvc-${uid}" has node affinity that does not match node "node-b"`,
    );
  });

  it('refuses paths that are not absolute and normalised, or are the root', () => {
    for (const bad of ['/', 'relative', '/a/../b', '/a//b', '/a/', '/a/./b']) expect(safeVolumePath(bad), bad).to.equal(false);
    expect(safeVolumePath('/var/lib/skiff/storage/pvc-x_ns_c')).to.equal(true);
    expect(isProvisionedDir('/var/lib/skiff/storage/pvc-0f0e0d0c-0b0a-0908-0706-050403020100_ns_c', 'pvc-0f0e0d0c-0b0a-0908-0706-050403020100')).to.equal(true);
    expect(isProvisionedDir('/var/lib/skiff/storage/other', 'pvc-0f0e0d0c-0b0a-0908-0706-050403020100')).to.equal(false);
    expect(isProvisionedDir('/etc', 'etc')).to.equal(false);
  });

  it('removes a recorded directory only once its volume object is gone', async () => {
    const uid = '0f0e0d0c-0b0a-0908-0706-050403020100';
    const name = `pvc-${uid}`;
    const dir = join(root, `${name}_default_data`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'note'), 'kept');
    const cleanup = new LocalPathCleanup(join(root, 'records'), objects());
    try {
      cleanup.remember(name, dir);
      cleanup.remember('pvc-not-a-uid', join(root, 'pvc-not-a-uid_x_y')); // not the provisioner's shape: never recorded
      expect(await cleanup.sweep()).to.deep.equal([]);
      expect(existsSync(join(dir, 'note'))).to.equal(true);
      await k(['patch', 'pv', name, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
      await k(['delete', 'pv', name]);
      expect(await cleanup.sweep()).to.deep.equal([dir]);
      expect(existsSync(dir)).to.equal(false);
      expect(await cleanup.sweep()).to.deep.equal([]);
    } finally {
      cleanup.close();
    }
  });
});
