// The storage kinds through protobuf: JSON -> protobuf -> JSON gives the same object, with the
// zero values Go keeps (a StorageClass's provisioner, CSIDriver booleans) and PersistentVolumeSource inline.
import { expect } from 'chai';
import { decodeProtobufObject, encodeProtobufObject } from '../src/protobuf/index.ts';

const roundTrip = (obj: Record<string, unknown>) => decodeProtobufObject(encodeProtobufObject(obj)).object;

describe('protobuf: storage kinds', () => {
  it('PersistentVolume with a local source, node affinity, claimRef and status', () => {
    const pv = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'pv-1', finalizers: ['kubernetes.io/pv-protection'], annotations: { 'pv.kubernetes.io/provisioned-by': 'skiff.io/local-path' } },
      spec: {
        capacity: { storage: '5Gi' },
        local: { path: '/mnt/disk' },
        accessModes: ['ReadWriteOnce'],
        claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data', uid: 'u-1', apiVersion: 'v1', resourceVersion: '7' },
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: 'local-path',
        mountOptions: ['noatime'],
        volumeMode: 'Filesystem',
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } },
      },
      status: { phase: 'Bound', lastPhaseTransitionTime: '2024-01-02T03:04:05Z' },
    };
    expect(roundTrip(pv)).to.deep.equal(pv);
    const hostPath = { ...pv, spec: { ...pv.spec, local: undefined, hostPath: { path: '/data', type: '' } } };
    delete (hostPath.spec as Record<string, unknown>).local;
    expect(roundTrip(hostPath)).to.deep.equal(hostPath);
  });

  it('PersistentVolumeClaim and its list', () => {
    const pvc = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: 'default', annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } },
      spec: {
        accessModes: ['ReadWriteOnce'],
        selector: { matchLabels: { disk: 'ssd' } },
        resources: { requests: { storage: '1Gi' } },
        volumeName: 'pv-1',
        storageClassName: '',
        volumeMode: 'Filesystem',
      },
      status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '5Gi' } },
    };
    expect(roundTrip(pvc)).to.deep.equal(pvc);
    // list items carry no apiVersion/kind on the wire
    const { apiVersion: _a, kind: _k, ...item } = pvc;
    const list = { apiVersion: 'v1', kind: 'PersistentVolumeClaimList', metadata: { resourceVersion: '9' }, items: [item] };
    expect(roundTrip(list)).to.deep.equal(list);
  });

  it('StorageClass and CSIDriver keep the zero values Go writes', () => {
    const sc = {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'skiff.io/local-path',
      parameters: { root: '/x' },
      reclaimPolicy: 'Delete',
      allowVolumeExpansion: false,
      volumeBindingMode: 'WaitForFirstConsumer',
      allowedTopologies: [{ matchLabelExpressions: [{ key: 'kubernetes.io/hostname', values: ['n1'] }] }],
    };
    expect(roundTrip(sc)).to.deep.equal(sc);
    const driver = {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSIDriver',
      metadata: { name: 'hostpath.csi.k8s.io' },
      spec: {
        attachRequired: false,
        podInfoOnMount: false,
        volumeLifecycleModes: ['Persistent', 'Ephemeral'],
        storageCapacity: false,
        fsGroupPolicy: 'File',
        tokenRequests: [{ audience: 'vault', expirationSeconds: 600 }],
        requiresRepublish: false,
        seLinuxMount: false,
      },
    };
    expect(roundTrip(driver)).to.deep.equal(driver);
  });
});
