// Owner references (metav1.GetControllerOf, NewControllerRef, IsControlledBy).
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';

/** The owner reference with controller=true, if any. */
export function controllerOf(meta: Pick<V1ObjectMeta, 'ownerReferences'> | undefined): V1OwnerReference | undefined {
  return meta?.ownerReferences?.find((r) => r.controller === true);
}

/** A controller reference to `owner` that also blocks the owner's foreground deletion. */
export function newControllerRef(owner: { metadata?: Pick<V1ObjectMeta, 'name' | 'uid'> }, apiVersion: string, kind: string): V1OwnerReference {
  return { apiVersion, kind, name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** Whether `owner` (by uid) is the controller of the object. */
export function isControlledBy(meta: Pick<V1ObjectMeta, 'ownerReferences'> | undefined, ownerUid: string | undefined): boolean {
  const ref = controllerOf(meta);
  return ref !== undefined && ownerUid !== undefined && ref.uid === ownerUid;
}
