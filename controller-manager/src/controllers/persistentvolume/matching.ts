// Which volume a claim binds to (pkg/controller/volume/persistentvolume/util FindMatchingVolume):
// the same class, every access mode the claim asks for, a matching selector and volume mode,
// and of those the smallest that holds the request. A volume pre-bound to the claim (its
// claimRef names it) wins whatever its size; one pre-bound to another claim is never taken.
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { labelSelectorMatches } from '@skiff/common/apimachinery/label-selector';
import { parseQuantity, tryParseQuantity } from '@skiff/common/apimachinery/quantity';

export const annBindCompleted = 'pv.kubernetes.io/bind-completed';
export const annBoundByController = 'pv.kubernetes.io/bound-by-controller';
export const annProvisionedBy = 'pv.kubernetes.io/provisioned-by';
export const annSelectedNode = 'volume.kubernetes.io/selected-node';
export const annStorageProvisioner = 'volume.kubernetes.io/storage-provisioner';
export const annBetaStorageProvisioner = 'volume.beta.kubernetes.io/storage-provisioner';

export const classOfClaim = (c: V1PersistentVolumeClaim): string => c.spec?.storageClassName ?? '';
export const classOfVolume = (v: V1PersistentVolume): string => v.spec?.storageClassName ?? '';

/** Whether the volume's claimRef names this claim (by uid once the binder set one). */
export function claimRefMatches(v: V1PersistentVolume, c: V1PersistentVolumeClaim): boolean {
  const ref = v.spec?.claimRef;
  if (!ref) return false;
  if (ref.name !== c.metadata?.name || ref.namespace !== c.metadata?.namespace) return false;
  return !ref.uid || ref.uid === c.metadata?.uid;
}

const requestOf = (c: V1PersistentVolumeClaim) => tryParseQuantity(c.spec?.resources?.requests?.storage) ?? parseQuantity('0');
const capacityOf = (v: V1PersistentVolume) => tryParseQuantity(v.spec?.capacity?.storage) ?? parseQuantity('0');

/** The reasons a volume cannot serve a claim, none when it can (checkVolumeSatisfyClaim). */
export function unsatisfied(v: V1PersistentVolume, c: V1PersistentVolumeClaim): string | undefined {
  if (classOfVolume(v) !== classOfClaim(c)) return 'storageClassName does not match';
  const modes = new Set(v.spec?.accessModes ?? []);
  if (!(c.spec?.accessModes ?? []).every((m) => modes.has(m))) return 'incompatible accessMode';
  if ((v.spec?.volumeMode ?? 'Filesystem') !== (c.spec?.volumeMode ?? 'Filesystem')) return 'incompatible volumeMode';
  if (capacityOf(v).cmp(requestOf(c)) < 0) return 'requested PV is too small';
  return undefined;
}

/** The best volume for an unbound claim, or undefined. */
export function findMatchingVolume(c: V1PersistentVolumeClaim, volumes: readonly V1PersistentVolume[]): V1PersistentVolume | undefined {
  let best: V1PersistentVolume | undefined;
  for (const v of volumes) {
    if (v.metadata?.deletionTimestamp) continue;
    if (c.spec?.volumeName && v.metadata?.name !== c.spec.volumeName) continue;
    const preBound = claimRefMatches(v, c);
    if (v.spec?.claimRef && !preBound) continue;
    if (unsatisfied(v, c)) continue;
    if (preBound) return v;
    if (v.status?.phase !== 'Available') continue;
    if (c.spec?.selector && !labelSelectorMatches(c.spec.selector, v.metadata?.labels)) continue;
    if (!best || capacityOf(v).cmp(capacityOf(best)) < 0) best = v;
  }
  return best;
}
