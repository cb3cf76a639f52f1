import type { V1Pod } from '@kubernetes/client-node';

/** Claims a pod mounts, directly or through a generic ephemeral volume (<pod>-<volume>). */
export function claimsOfPod(pod: V1Pod): string[] {
  return (pod.spec?.volumes ?? []).flatMap((v) => {
    if (v.persistentVolumeClaim?.claimName) return [v.persistentVolumeClaim.claimName];
    if (v.ephemeral) return [`${pod.metadata?.name}-${v.name}`];
    return [];
  });
}
