// Controller references (metav1.GetControllerOf / NewControllerRef).
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';

export interface OwnerLike {
  apiVersion: string;
  kind: string;
  metadata?: V1ObjectMeta;
}

export function controllerOf(meta: V1ObjectMeta | undefined): V1OwnerReference | undefined {
  return meta?.ownerReferences?.find((r) => r.controller === true);
}

export function newControllerRef(owner: { metadata?: V1ObjectMeta }, apiVersion: string, kind: string): V1OwnerReference {
  return { apiVersion, kind, name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}
