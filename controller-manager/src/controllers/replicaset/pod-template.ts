// A pod for a ReplicaSet (or a ReplicationController seen as one), built from its template
// (upstream GetPodFromTemplate).
import type { V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { newControllerRef } from '@skiff/common/apimachinery/owner-references';

export function podFromReplicaSet(rs: V1ReplicaSet, ownerApiVersion = 'apps/v1', ownerKind = 'ReplicaSet'): V1Pod {
  const t = rs.spec?.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata?.name}-`,
      namespace: rs.metadata?.namespace,
      labels: { ...t?.metadata?.labels },
      annotations: t?.metadata?.annotations ? { ...t.metadata.annotations } : undefined,
      finalizers: t?.metadata?.finalizers ? [...t.metadata.finalizers] : undefined,
      ownerReferences: [newControllerRef(rs, ownerApiVersion, ownerKind)],
    },
    spec: structuredClone(t?.spec ?? { containers: [] }),
  };
}
