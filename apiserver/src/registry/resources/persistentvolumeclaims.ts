// core/v1 PersistentVolumeClaim: a namespace's request for storage (pkg/registry/core/persistentvolumeclaim).
// The binder sets spec.volumeName and the status; the DefaultStorageClass admission plugin fills
// spec.storageClassName; StorageObjectInUseProtection adds the pvc-protection finalizer.
import { isDeepStrictEqual } from 'node:util';
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateLabelSelector } from '@skiff/common/apimachinery/object-meta';
import { validateMetaFor } from './shared/meta-rules.ts';
import { keepOldStatus, takeStatusOnly } from './shared/status-split.ts';
import { validateAccessModes, validateClassName, validatePositiveStorage, validateVolumeMode } from './shared/storage-rules.ts';
import { canonicalStorage } from './persistentvolumes.ts';

const phases = ['Bound', 'Lost', 'Pending'];

function defaultClaim(obj: KObject): void {
  const spec = (obj.spec ??= {});
  spec.volumeMode ??= 'Filesystem';
  canonicalStorage(spec.resources?.requests);
  canonicalStorage(spec.resources?.limits);
  canonicalStorage(obj.status?.capacity);
  if (obj.status) obj.status.phase ||= 'Pending';
}

function validateClaim(obj: KObject): FieldError[] {
  const out = validateMetaFor(obj, true, nameIsDnsSubdomain);
  const spec = obj.spec ?? {};
  out.push(...validateAccessModes(spec.accessModes, 'spec.accessModes', 'at least 1 access mode is required'));
  out.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const storage = spec.resources?.requests?.storage;
  if (storage === undefined) out.push(field.required('spec.resources[storage]'));
  else out.push(...validatePositiveStorage(storage, 'spec.resources[storage]'));
  out.push(...validateClassName(spec.storageClassName, 'spec.storageClassName'));
  out.push(...validateVolumeMode(spec.volumeMode, 'spec.volumeMode'));
  const phase = obj.status?.phase;
  if (phase && !phases.includes(phase)) out.push(field.notSupported('status.phase', phase, phases));
  return out;
}

/**
 * The spec is fixed once created except what the system fills in later: the volume the binder
 * picks (volumeName, once), a class given retroactively to a claim without one, and the
 * requested size of a bound claim (expansion).
 */
function validateClaimUpdate(obj: KObject, old: KObject): FieldError[] {
  const now = structuredClone(obj.spec ?? {});
  const before = structuredClone(old.spec ?? {});
  if (!before.volumeName && now.volumeName) before.volumeName = now.volumeName;
  if (before.storageClassName === undefined && now.storageClassName !== undefined) before.storageClassName = now.storageClassName;
  if (old.status?.phase === 'Bound' && now.resources && before.resources) {
    before.resources = { ...before.resources, requests: now.resources.requests };
  }
  if (isDeepStrictEqual(now, before)) return [];
  return [field.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims')];
}

export const persistentvolumeclaims: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolumeClaim',
  resource: 'persistentvolumeclaims',
  singular: 'persistentvolumeclaim',
  shortNames: ['pvc'],
  namespaced: true,
  subresources: ['status'],

  defaults: defaultClaim,
  validate: validateClaim,
  validateUpdate: validateClaimUpdate,

  prepareForCreate(obj) {
    obj.status = { phase: 'Pending' };
  },
  prepareForUpdate: keepOldStatus,
  prepareForStatusUpdate: takeStatusOnly,

  selectableFields(obj) {
    return { name: obj.metadata.name ?? '' };
  },
};
