// The PersistentVolume binder, the protection controllers and the skiff.io/local-path
// provisioner against the real apiserver, driven with the real kubectl (issue 15, acceptance
// 2, 3 and 4 at the API level; the kubelet side is in the e2e suite).
import { expect } from 'chai';
import { useApiserver } from '@skiff/common/testing/index';
import type { ControllerManagerHandle } from '../src/manager.ts';
import { startTestManager, waitFor } from './support/cluster.ts';

const pv = (name: string, storage: string, extra: Record<string, any> = {}) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name, labels: extra.labels ?? {} },
  spec: {
    capacity: { storage },
    accessModes: ['ReadWriteOnce'],
    hostPath: { path: `/tmp/skiff-pv-test/${name}` },
    storageClassName: extra.storageClassName ?? '',
    persistentVolumeReclaimPolicy: extra.reclaim ?? 'Retain',
  },
});
const pvc = (name: string, storage: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'default' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, storageClassName: '', ...spec },
});

describe('controller-manager: PersistentVolume binder, protection and local-path provisioner', function () {
  this.timeout(120_000);
  let cm: ControllerManagerHandle | undefined;
  after(async () => {
    await cm?.stop();
  });
  const cluster = useApiserver();
  const k = (args: string[], stdin?: string) => cluster.server.kubectl('1.33', args, { stdin });
  const apply = async (...objs: unknown[]) => {
    for (const o of objs) {
      const r = await k(['create', '-f', '-'], JSON.stringify(o));
      if (r.code !== 0) throw new Error(r.stderr);
    }
  };
  // The waits poll every 150 ms, so they read over HTTP: kubectl here is for what a user types
  // (create, delete, annotate, describe, the table rows), each run of it about 0.2 s of CPU.
  const paths: Record<string, string> = {
    pv: '/api/v1/persistentvolumes/',
    pvc: '/api/v1/namespaces/default/persistentvolumeclaims/',
    pod: '/api/v1/namespaces/default/pods/',
  };
  const get = async (what: string) => {
    const [kind, name] = what.split(' ');
    const path = paths[kind!];
    if (!path) throw new Error(`get: no path for ${kind}`);
    const r = await cluster.server.request('GET', `${path}${name}`);
    return r.status === 200 ? JSON.parse(r.body) : undefined;
  };
  const phaseOf = async (what: string) => (await get(what))?.status?.phase;
  const until = (what: string, probe: () => Promise<unknown>) => waitFor(what, async () => (await probe()) || undefined, 30_000, 150);
  const eventsOf = async (name: string) =>
    (await cluster.server.request('GET', `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`)).body;

  before(async () => {
    cm = await startTestManager(cluster.server.kubeconfigPath, {
      controllers: ['persistentvolume-binder', 'pvc-protection', 'pv-protection', 'local-path-provisioner', 'ephemeral-volume'],
      localPathRoot: '/var/lib/skiff/storage',
    });
  });

  it('binds a claim to the smallest volume that fits, both ways, with the binder annotations', async () => {
    await apply(pv('small', '1Gi'), pv('medium', '5Gi'), pv('large', '10Gi'));
    await until('volumes Available', async () => (await phaseOf('pv small')) === 'Available' && (await phaseOf('pv large')) === 'Available');
    await apply(pvc('fits', '3Gi'));
    await until('claim Bound', async () => (await phaseOf('pvc fits')) === 'Bound');
    const claim = await get('pvc fits');
    expect(claim.spec.volumeName).to.equal('medium');
    expect(claim.status).to.deep.include({ capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'] });
    expect(claim.metadata.annotations).to.include({ 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' });
    await until('volume Bound', async () => (await phaseOf('pv medium')) === 'Bound');
    const volume = await get('pv medium');
    expect(volume.spec.claimRef).to.include({ kind: 'PersistentVolumeClaim', namespace: 'default', name: 'fits', uid: claim.metadata.uid });
    expect(volume.metadata.annotations['pv.kubernetes.io/bound-by-controller']).to.equal('yes');
    const row = (await k(['get', 'pv', 'medium', '--no-headers'])).stdout;
    expect(row).to.match(/^medium\s+5Gi\s+RWO\s+Retain\s+Bound\s+default\/fits\s+<unset>/);
  });

  it('a claim with volumeName binds to that volume only; a selector picks by labels', async () => {
    await apply(pvc('named', '1Gi', { volumeName: 'large' }));
    await until('named Bound', async () => (await phaseOf('pvc named')) === 'Bound');
    expect((await get('pvc named')).spec.volumeName).to.equal('large');
    expect((await get('pv large')).spec.claimRef.name).to.equal('named');
    await apply(pv('labelled-big', '8Gi', { labels: { disk: 'ssd' } }), pv('plain', '2Gi'));
    await apply(pvc('choosy', '1Gi', { selector: { matchLabels: { disk: 'ssd' } } }));
    await until('choosy Bound', async () => (await phaseOf('pvc choosy')) === 'Bound');
    expect((await get('pvc choosy')).spec.volumeName).to.equal('labelled-big');
  });

  it('a claim nothing satisfies stays Pending with the FailedBinding event', async () => {
    await apply(pvc('too-big', '100Gi'));
    await until('FailedBinding event', async () =>
      (await eventsOf('too-big')).includes('no persistent volumes available for this claim and no storage class is set'),
    );
    expect(await phaseOf('pvc too-big')).to.equal('Pending');
    const describe = (await k(['describe', 'pvc', 'too-big'])).stdout;
    expect(describe).to.match(/FailedBinding\s+.*persistentvolume-controller\s+no persistent volumes available/);
  });

  it('a claim in use by a pod stays Terminating until the pod is gone; then Retain leaves the volume Released', async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'user', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'fits' } }] },
    });
    const del = await k(['delete', 'pvc', 'fits', '--wait=false']);
    expect(del.code, del.stderr).to.equal(0);
    await new Promise((r) => setTimeout(r, 1500));
    const claim = await get('pvc fits');
    expect(claim.metadata.deletionTimestamp).to.be.a('string');
    expect(claim.metadata.finalizers).to.deep.equal(['kubernetes.io/pvc-protection']);
    expect((await k(['get', 'pvc', 'fits', '--no-headers'])).stdout).to.match(/^fits\s+Terminating\s+medium/);
    // the bound volume cannot go either
    await k(['delete', 'pv', 'medium', '--wait=false']);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await get('pv medium')).metadata.finalizers).to.deep.equal(['kubernetes.io/pv-protection']);
    await k(['delete', 'pod', 'user', '--grace-period=0', '--force']);
    await until('claim gone', async () => (await get('pvc fits')) === undefined);
    // Released (Retain), and now that it is not Bound its pending deletion completes
    await until('volume gone once released', async () => (await get('pv medium')) === undefined);
  });

  it('Retain keeps a released volume; Delete of a volume no provisioner made fails with an event', async () => {
    await k(['delete', 'pvc', 'named']);
    await until('large Released', async () => (await phaseOf('pv large')) === 'Released');
    await new Promise((r) => setTimeout(r, 500));
    expect(await phaseOf('pv large')).to.equal('Released');
    await apply(pv('manual-delete', '1Gi', { reclaim: 'Delete', storageClassName: 'manual' }), pvc('to-drop', '1Gi', { storageClassName: 'manual' }));
    await until('to-drop Bound', async () => (await phaseOf('pvc to-drop')) === 'Bound');
    await k(['delete', 'pvc', 'to-drop']);
    await until('manual-delete Failed', async () => (await phaseOf('pv manual-delete')) === 'Failed');
    expect(await eventsOf('manual-delete')).to.include('no deletable volume plugin matched');
  });

  it('WaitForFirstConsumer: skiff.io/local-path provisions on the selected node, and Delete removes the volume', async () => {
    await apply({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'local-path' },
      provisioner: 'skiff.io/local-path',
      volumeBindingMode: 'WaitForFirstConsumer',
    });
    await apply(pvc('local', '2Gi', { storageClassName: 'local-path' }));
    await until('WaitForFirstConsumer event', async () => (await eventsOf('local')).includes('waiting for first consumer to be created before binding'));
    expect(await phaseOf('pvc local')).to.equal('Pending');
    // what the scheduler does once the claim's first pod is placed
    await k(['annotate', 'pvc', 'local', 'volume.kubernetes.io/selected-node=node-a']);
    await until('local Bound', async () => (await phaseOf('pvc local')) === 'Bound');
    const claim = await get('pvc local');
    const volume = await get(`pv ${claim.spec.volumeName}`);
    expect(volume.metadata.name).to.equal(`pvc-${claim.metadata.uid}`);
    expect(volume.metadata.annotations['pv.kubernetes.io/provisioned-by']).to.equal('skiff.io/local-path');
    expect(volume.spec.hostPath).to.deep.equal({ path: `/var/lib/skiff/storage/pvc-${claim.metadata.uid}_default_local`, type: 'DirectoryOrCreate' });
    expect(volume.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0]).to.deep.equal({
      key: 'kubernetes.io/hostname',
      operator: 'In',
      values: ['node-a'],
    });
    expect(volume.spec).to.include({ persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'local-path' });
    expect(claim.metadata.annotations['volume.kubernetes.io/storage-provisioner']).to.equal('skiff.io/local-path');
    expect(await eventsOf('local')).to.include(`Successfully provisioned volume pvc-${claim.metadata.uid}`);
    await k(['delete', 'pvc', 'local']);
    await until('provisioned volume deleted', async () => (await get(`pv pvc-${claim.metadata.uid}`)) === undefined);
  });

  it('a WaitForFirstConsumer claim follows the node its first pod was placed on', async () => {
    await apply(pvc('follows', '1Gi', { storageClassName: 'local-path' }));
    await until('waiting', async () => (await eventsOf('follows')).includes('waiting for first consumer'));
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'consumer', namespace: 'default' },
      spec: { nodeName: 'node-b', containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'follows' } }] },
    });
    await until('follows Bound', async () => (await phaseOf('pvc follows')) === 'Bound');
    const claim = await get('pvc follows');
    expect(claim.metadata.annotations['volume.kubernetes.io/selected-node']).to.equal('node-b');
    const volume = await get(`pv ${claim.spec.volumeName}`);
    expect(volume.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values).to.deep.equal(['node-b']);
  });

  it('a generic ephemeral volume gets the claim <pod>-<volume> from its template, owned by the pod', async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'scratch', namespace: 'default' },
      spec: {
        containers: [{ name: 'c', image: 'busybox' }],
        volumes: [
          {
            name: 'work',
            ephemeral: {
              volumeClaimTemplate: {
                metadata: { labels: { kind: 'scratch' } },
                spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'local-path', resources: { requests: { storage: '1Gi' } } },
              },
            },
          },
        ],
      },
    });
    const claim = (await until('claim scratch-work', async () => get('pvc scratch-work'))) as any;
    const podUid = (await get('pod scratch')).metadata.uid;
    expect(claim.metadata.labels).to.deep.equal({ kind: 'scratch' });
    expect(claim.metadata.ownerReferences).to.deep.equal([
      { apiVersion: 'v1', kind: 'Pod', name: 'scratch', uid: podUid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(claim.spec).to.deep.include({ storageClassName: 'local-path', accessModes: ['ReadWriteOnce'] });
  });
});
