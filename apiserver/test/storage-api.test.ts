// The storage kinds through the real kubectl: PersistentVolume, PersistentVolumeClaim,
// StorageClass and CSIDriver; their columns, validation, finalizers and the default class.
import { expect } from 'chai';
import { type ApiserverHandle, sharedEtcd, startApiserver } from '@skiff/common/testing/index';

const pv = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name, labels: { tier: 'fast' } },
  spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/tmp/${name}` }, ...extra },
});
const pvc = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'default' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '500Mi' } }, ...spec },
});
const sc = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name },
  provisioner: 'skiff.io/local-path',
  ...extra,
});

describe('storage API: pv, pvc, sc, csidrivers', function () {
  this.timeout(120_000);
  let server: ApiserverHandle;
  before(async function () {
    this.timeout(60_000);
    server = await startApiserver({ etcdUrl: (await sharedEtcd()).url });
  });
  after(async () => {
    await server?.stop();
  });
  const k = (args: string[], stdin?: string, version = '1.33') => server.kubectl(version, args, { stdin });
  const create = async (obj: unknown) => {
    const r = await k(['create', '-f', '-', '-o', 'json'], JSON.stringify(obj));
    return { ...r, obj: r.code === 0 ? JSON.parse(r.stdout) : undefined };
  };

  it('creates a PersistentVolume with upstream defaults, a Pending phase and the pv-protection finalizer', async () => {
    const r = await create(pv('pv-a'));
    expect(r.code, r.stderr).to.equal(0);
    expect(r.obj.spec).to.include({ persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' });
    expect(r.obj.spec.hostPath).to.deep.equal({ path: '/tmp/pv-a', type: '' });
    expect(r.obj.status.phase).to.equal('Pending');
    expect(r.obj.metadata.finalizers).to.deep.equal(['kubernetes.io/pv-protection']);
  });

  it('prints pv, pvc and sc with the columns kubectl shows on Kubernetes', async () => {
    expect(
      (
        await create(
          sc('standard', {
            metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
            volumeBindingMode: 'WaitForFirstConsumer',
          }),
        )
      ).code,
    ).to.equal(0);
    expect((await create(pvc('claim-a'))).code).to.equal(0);
    const pvOut = await k(['get', 'pv', 'pv-a']);
    expect(pvOut.stdout.split('\n')[0].split(/\s{2,}/)).to.deep.equal([
      'NAME',
      'CAPACITY',
      'ACCESS MODES',
      'RECLAIM POLICY',
      'STATUS',
      'CLAIM',
      'STORAGECLASS',
      'VOLUMEATTRIBUTESCLASS',
      'REASON',
      'AGE',
    ]);
    expect(pvOut.stdout.split('\n')[1]).to.match(/^pv-a\s+1Gi\s+RWO\s+Retain\s+Pending\s+<unset>\s+\d+s/);
    const pvcOut = await k(['get', 'pvc', 'claim-a']);
    expect(pvcOut.stdout.split('\n')[0].split(/\s{2,}/)).to.deep.equal([
      'NAME',
      'STATUS',
      'VOLUME',
      'CAPACITY',
      'ACCESS MODES',
      'STORAGECLASS',
      'VOLUMEATTRIBUTESCLASS',
      'AGE',
    ]);
    expect(pvcOut.stdout.split('\n')[1]).to.match(/^claim-a\s+Pending\s+standard\s+<unset>\s+\d+s/);
    const scOut = await k(['get', 'sc']);
    expect(scOut.stdout.split('\n')[0].split(/\s{2,}/)).to.deep.equal([
      'NAME',
      'PROVISIONER',
      'RECLAIMPOLICY',
      'VOLUMEBINDINGMODE',
      'ALLOWVOLUMEEXPANSION',
      'AGE',
    ]);
    expect(scOut.stdout.split('\n')[1]).to.match(/^standard \(default\)\s+skiff\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+\d+s/);
    const all = await k(['get', 'pv,pvc,sc']);
    expect(all.code, all.stderr).to.equal(0);
    expect(all.stdout)
      .to.include('persistentvolume/pv-a')
      .and.include('persistentvolumeclaim/claim-a')
      .and.include('storageclass.storage.k8s.io/standard (default)');
  });

  it('DefaultStorageClass gives the default class only to claims that name none; pvc-protection is added', async () => {
    const named = await create(pvc('claim-none', { storageClassName: '' }));
    expect(named.obj.spec.storageClassName).to.equal('');
    const a = await k(['get', 'pvc', 'claim-a', '-o', 'json']);
    const obj = JSON.parse(a.stdout);
    expect(obj.spec.storageClassName).to.equal('standard');
    expect(obj.spec.volumeMode).to.equal('Filesystem');
    expect(obj.status).to.deep.equal({ phase: 'Pending' });
    expect(obj.metadata.finalizers).to.deep.equal(['kubernetes.io/pvc-protection']);
  });

  it('refuses bad volumes and claims with 422 and upstream field paths', async () => {
    const noSource = await create({ ...pv('pv-bad'), spec: { capacity: { storage: '0' }, accessModes: ['ReadWriteSometimes'] } });
    expect(noSource.code).to.not.equal(0);
    expect(noSource.stderr).to.include('spec.capacity[storage]: Invalid value: "0": must be greater than zero');
    expect(noSource.stderr).to.include('spec.accessModes: Unsupported value: "ReadWriteSometimes"');
    expect(noSource.stderr).to.include('spec: Required value: must specify a volume type');
    const local = await create(pv('pv-local', { hostPath: undefined, local: { path: '/mnt/../etc' } }));
    expect(local.stderr).to.include('spec.local.path: Invalid value: "/mnt/../etc": must not contain \'..\'');
    expect(local.stderr).to.include('spec.nodeAffinity: Required value: Local volume requires node affinity');
    const claim = await create({ ...pvc('claim-bad'), spec: { accessModes: [], resources: {} } });
    expect(claim.stderr).to.include('spec.accessModes: Required value: at least 1 access mode is required');
    expect(claim.stderr).to.include('spec.resources[storage]: Required value');
    const cls = await create({ ...sc('bad-class'), provisioner: '', reclaimPolicy: 'Recycle' });
    expect(cls.stderr).to.include('provisioner: Required value');
    expect(cls.stderr).to.include('reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"');
  });

  it('keeps a claim spec fixed but lets the binder set volumeName and status', async () => {
    const bad = await k(['patch', 'pvc', 'claim-a', '--type=merge', '-p', '{"spec":{"accessModes":["ReadWriteMany"]}}']);
    expect(bad.code).to.not.equal(0);
    expect(bad.stderr).to.include('spec: Forbidden: spec is immutable after creation');
    const bind = await k(['patch', 'pvc', 'claim-a', '--type=merge', '-p', '{"spec":{"volumeName":"pv-a"}}']);
    expect(bind.code, bind.stderr).to.equal(0);
    const status = await k([
      'patch',
      'pvc',
      'claim-a',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Bound","capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"]}}',
    ]);
    expect(status.code, status.stderr).to.equal(0);
    const row = (await k(['get', 'pvc', 'claim-a', '--no-headers'])).stdout;
    expect(row).to.match(/^claim-a\s+Bound\s+pv-a\s+1Gi\s+RWO\s+standard\s+<unset>/);
    const pvStatus = await k(['patch', 'pv', 'pv-a', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Available"}}']);
    expect(pvStatus.code, pvStatus.stderr).to.equal(0);
    const got = JSON.parse((await k(['get', 'pv', 'pv-a', '-o', 'json'])).stdout);
    expect(got.status.phase).to.equal('Available');
    expect(got.status.lastPhaseTransitionTime).to.match(/Z$/);
    const source = await k(['patch', 'pv', 'pv-a', '--type=merge', '-p', '{"spec":{"hostPath":{"path":"/elsewhere"}}}']);
    expect(source.stderr).to.include('spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation');
  });

  it('describes them, serves field selectors, and answers in protobuf to older and newer kubectl', async () => {
    const d = await k(['describe', 'pv', 'pv-a']);
    expect(d.code, d.stderr).to.equal(0);
    expect(d.stdout)
      .to.match(/Reclaim Policy:\s+Retain/)
      .and.match(/Capacity:\s+1Gi/);
    const dc = await k(['describe', 'pvc', 'claim-a']);
    expect(dc.code, dc.stderr).to.equal(0);
    expect(dc.stdout)
      .to.match(/StorageClass:\s+standard/)
      .and.match(/Finalizers:\s+\[kubernetes.io\/pvc-protection\]/);
    const ds = await k(['describe', 'sc', 'standard']);
    expect(ds.stdout).to.match(/IsDefaultClass:\s+Yes/);
    const sel = await k(['get', 'pvc', '--field-selector', 'metadata.name=claim-none', '-o', 'name']);
    expect(sel.stdout.trim()).to.equal('persistentvolumeclaim/claim-none');
    for (const v of ['1.27', '1.33']) {
      const r = await k(['get', 'pv,pvc,sc', '-o', 'yaml'], undefined, v);
      expect(r.code, r.stderr).to.equal(0);
    }
  });

  it('serves CSIDrivers with their defaults and columns', async () => {
    const r = await create({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: 'hostpath.csi.k8s.io' }, spec: {} });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.obj.spec).to.include({ attachRequired: true, podInfoOnMount: false, fsGroupPolicy: 'ReadWriteOnceWithFSType' });
    const out = await k(['get', 'csidrivers']);
    expect(out.stdout.split('\n')[0].split(/\s{2,}/)).to.deep.equal([
      'NAME',
      'ATTACHREQUIRED',
      'PODINFOONMOUNT',
      'STORAGECAPACITY',
      'TOKENREQUESTS',
      'REQUIRESREPUBLISH',
      'MODES',
      'AGE',
    ]);
    expect(out.stdout.split('\n')[1]).to.match(/^hostpath\.csi\.k8s\.io\s+true\s+false\s+false\s+<unset>\s+false\s+Persistent\s+\d+s/);
  });

  it('explains, applies (client- and server-side) and watches claims', async () => {
    const explain = await k(['explain', 'pvc.spec.storageClassName']);
    expect(explain.code, explain.stderr).to.equal(0);
    expect(explain.stdout).to.include('storageClassName');
    const manifest = (labels: Record<string, string>) => JSON.stringify({ ...pvc('applied'), metadata: { name: 'applied', namespace: 'default', labels } });
    expect((await k(['apply', '-f', '-'], manifest({ a: '1' }))).code).to.equal(0);
    const again = await k(['apply', '-f', '-'], manifest({ a: '2' }));
    expect(again.code, again.stderr).to.equal(0);
    const ssa = await k(['apply', '--server-side', '-f', '-'], manifest({ a: '3' }));
    expect(ssa.code, ssa.stderr).to.equal(0);
    expect(JSON.parse((await k(['get', 'pvc', 'applied', '-o', 'json'])).stdout).metadata.labels).to.deep.equal({ a: '3' });
    const watching = server.kubectl('1.33', ['get', 'pvc', 'applied', '-w', '--request-timeout=4s'], { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 1500));
    await k(['patch', 'pvc', 'applied', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Lost"}}']);
    const out = (await watching).stdout.trim().split('\n');
    expect(out[0]!.split(/\s{2,}/)).to.deep.equal(['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE']);
    expect(out[1]).to.match(/^applied\s+Pending/);
    expect(out[out.length - 1]).to.match(/^applied\s+Lost/);
  });
});
