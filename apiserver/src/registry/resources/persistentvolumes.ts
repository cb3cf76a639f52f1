// core/v1 PersistentVolume: cluster-scoped storage a claim binds to (pkg/registry/core/persistentvolume,
// defaults and validation from pkg/apis/core). The binder (controller-manager) moves the phase;
// the pv-protection finalizer comes from the StorageObjectInUseProtection admission plugin.
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { canonicalQuantity, tryParseQuantity } from '@skiff/common/apimachinery/quantity';
import { validateImmutable } from '@skiff/common/apimachinery/object-meta';
import { validateMetaFor } from './shared/meta-rules.ts';
import { keepOldStatus, takeStatusOnly } from './shared/status-split.ts';
import {
  reclaimPolicies,
  validateAccessModes,
  validateClassName,
  validateNodeSelector,
  validatePathNoBacksteps,
  validatePositiveStorage,
  validateVolumeMode,
} from './shared/storage-rules.ts';

/** Every volume type a PersistentVolumeSource may name; exactly one is set. */
export const persistentVolumeSources = [
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'hostPath',
  'glusterfs',
  'nfs',
  'rbd',
  'iscsi',
  'cinder',
  'cephfs',
  'fc',
  'flocker',
  'flexVolume',
  'azureFile',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'local',
  'storageos',
  'csi',
];

const hostPathTypes = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

/** Quantities are stored in their canonical form, as Go's Quantity marshals them. */
export function canonicalStorage(list: Record<string, unknown> | undefined): void {
  if (!list || typeof list !== 'object') return;
  for (const [k, v] of Object.entries(list)) if (tryParseQuantity(v) !== undefined) list[k] = canonicalQuantity(v as string);
}

function defaultPersistentVolume(obj: KObject): void {
  const spec = (obj.spec ??= {});
  spec.persistentVolumeReclaimPolicy ??= 'Retain';
  spec.volumeMode ??= 'Filesystem';
  if (spec.hostPath && typeof spec.hostPath === 'object') spec.hostPath.type ??= '';
  canonicalStorage(spec.capacity);
  obj.status ??= {};
  obj.status.phase ||= 'Pending';
}

function validateSources(spec: any, out: FieldError[]): void {
  const set = persistentVolumeSources.filter((k) => spec[k] !== undefined && spec[k] !== null);
  if (set.length === 0) out.push(field.required('spec', 'must specify a volume type'));
  for (const k of set.slice(1)) out.push(field.forbidden(`spec.${k}`, 'may not specify more than 1 volume type'));
  if (spec.hostPath) {
    const p = spec.hostPath.path;
    if (!p) out.push(field.required('spec.hostPath.path'));
    out.push(...validatePathNoBacksteps(p, 'spec.hostPath.path'));
    if (!hostPathTypes.includes(spec.hostPath.type ?? '')) out.push(field.notSupported('spec.hostPath.type', spec.hostPath.type, hostPathTypes.slice(1)));
  }
  if (spec.local) {
    const p = spec.local.path;
    if (!p) out.push(field.required('spec.local.path'));
    out.push(...validatePathNoBacksteps(p, 'spec.local.path'));
    if (!spec.nodeAffinity) out.push(field.required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  if (spec.nfs) {
    if (!spec.nfs.server) out.push(field.required('spec.nfs.server'));
    if (!spec.nfs.path) out.push(field.required('spec.nfs.path'));
    else if (!String(spec.nfs.path).startsWith('/')) out.push(field.invalid('spec.nfs.path', spec.nfs.path, 'must be an absolute path'));
  }
  if (spec.csi) {
    if (!spec.csi.driver) out.push(field.required('spec.csi.driver'));
    if (!spec.csi.volumeHandle) out.push(field.required('spec.csi.volumeHandle'));
  }
}

function validatePersistentVolume(obj: KObject): FieldError[] {
  const out = validateMetaFor(obj, false, nameIsDnsSubdomain);
  const spec = obj.spec ?? {};
  out.push(...validateAccessModes(spec.accessModes, 'spec.accessModes'));
  const capacity = spec.capacity;
  if (!capacity || typeof capacity !== 'object' || Object.keys(capacity).length === 0) out.push(field.required('spec.capacity'));
  else if (capacity.storage === undefined || Object.keys(capacity).length > 1) out.push(field.notSupported('spec.capacity', capacity, ['storage']));
  else out.push(...validatePositiveStorage(capacity.storage, 'spec.capacity[storage]'));
  const policy = spec.persistentVolumeReclaimPolicy;
  if (policy && !reclaimPolicies.includes(policy)) out.push(field.notSupported('spec.persistentVolumeReclaimPolicy', policy, reclaimPolicies));
  out.push(...validateClassName(spec.storageClassName, 'spec.storageClassName'));
  out.push(...validateVolumeMode(spec.volumeMode, 'spec.volumeMode'));
  validateSources(spec, out);
  if (spec.nodeAffinity) {
    if (!spec.nodeAffinity.required) out.push(field.required('spec.nodeAffinity.required', 'must specify required node constraints'));
    else out.push(...validateNodeSelector(spec.nodeAffinity.required, 'spec.nodeAffinity.required'));
  }
  if (spec.claimRef && !spec.claimRef.name) out.push(field.required('spec.claimRef.name'));
  return out;
}

function validatePersistentVolumeUpdate(obj: KObject, old: KObject): FieldError[] {
  const out: FieldError[] = [];
  const source = (o: KObject) => Object.fromEntries(persistentVolumeSources.filter((k) => o.spec?.[k] != null).map((k) => [k, o.spec[k]]));
  if (JSON.stringify(source(obj)) !== JSON.stringify(source(old))) {
    out.push(field.forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  }
  out.push(...validateImmutable(obj.spec?.volumeMode, old.spec?.volumeMode, 'volumeMode'));
  if (old.spec?.nodeAffinity) out.push(...validateImmutable(obj.spec?.nodeAffinity, old.spec.nodeAffinity, 'nodeAffinity'));
  return out;
}

const phases = ['Available', 'Bound', 'Failed', 'Pending', 'Released'];

export const persistentvolumes: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolume',
  resource: 'persistentvolumes',
  singular: 'persistentvolume',
  shortNames: ['pv'],
  namespaced: false,
  subresources: ['status'],

  defaults: defaultPersistentVolume,
  validate(obj) {
    const out = validatePersistentVolume(obj);
    const phase = obj.status?.phase;
    if (phase && !phases.includes(phase)) out.push(field.notSupported('status.phase', phase, phases));
    return out;
  },
  validateUpdate: validatePersistentVolumeUpdate,

  prepareForCreate(obj) {
    obj.status = { phase: 'Pending', lastPhaseTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
  },
  prepareForUpdate: keepOldStatus,
  prepareForStatusUpdate(obj, old) {
    const next = takeStatusOnly(obj, old);
    // the time of the last phase change is the server's to keep (NowFunc in the strategy)
    if (next.status && next.status.phase !== old.status?.phase) {
      next.status.lastPhaseTransitionTime = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    }
    return next;
  },

  selectableFields(obj) {
    // kept for compatibility, as upstream does: a bare `name` selects too
    return { name: obj.metadata.name ?? '' };
  },
};
