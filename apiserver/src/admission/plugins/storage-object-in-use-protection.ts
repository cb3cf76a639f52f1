// StorageObjectInUseProtection (plugin/pkg/admission/storage/storageobjectinuseprotection):
// every new claim gets the pvc-protection finalizer and every new volume the pv-protection
// one, so neither disappears while a pod uses the claim or a claim is bound to the volume.
// The protection controllers in the controller-manager remove them when that is over.
import type { AdmissionPlugin } from '../interface.ts';

export const pvcProtectionFinalizer = 'kubernetes.io/pvc-protection';
export const pvProtectionFinalizer = 'kubernetes.io/pv-protection';

export const storageObjectInUseProtection: AdmissionPlugin = {
  name: 'StorageObjectInUseProtection',
  operations: ['CREATE'],

  admit(a) {
    if (a.group !== '' || a.subresource || !a.object) return;
    const finalizer = a.resource === 'persistentvolumeclaims' ? pvcProtectionFinalizer : a.resource === 'persistentvolumes' ? pvProtectionFinalizer : undefined;
    if (!finalizer) return;
    const meta = a.object.metadata;
    const list: string[] = (meta.finalizers ??= []);
    if (!list.includes(finalizer)) list.push(finalizer);
  },
};
