// persistentVolumeClaim volumes: the claim must be Bound, its volume a hostPath or local
// volume (the kinds a Skiff node can serve), meant for this node. The volume's path comes from
// the API, so it is checked again here before the node creates or mounts anything: absolute,
// normalised, not "/". A claim that is not bound yet makes the pod wait (the error is retried on
// every sync and reported as an event).
import path from 'node:path';
import type { V1PersistentVolume, V1PersistentVolumeClaim, V1Pod, V1Volume } from '@kubernetes/client-node';
import { ContainerConfigError } from '../pods/env.ts';

export interface ClaimLookup {
  persistentVolumeClaim(namespace: string, name: string): Promise<V1PersistentVolumeClaim | null>;
  persistentVolume(name: string): Promise<V1PersistentVolume | null>;
}

export interface ClaimVolume {
  volumeName: string;
  /** pv.kubernetes.io/provisioned-by of the volume */
  provisionedBy?: string;
  /** the directory or file on this node */
  path: string;
  /** hostPath type (DirectoryOrCreate...); '' for a local volume, which must exist */
  type: string;
  /** a `local` volume (as opposed to hostPath): Kubernetes manages its ownership (fsGroup) */
  local: boolean;
  readOnly: boolean;
}

/** Whether the volume's required node affinity, if any, names this node by hostname. */
function meantForNode(pv: V1PersistentVolume, nodeName: string): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms?.length) return true;
  return terms.some((t) =>
    (t.matchExpressions ?? []).every((e) => {
      if (e.key !== 'kubernetes.io/hostname') return true;
      const has = (e.values ?? []).includes(nodeName);
      return e.operator === 'In' ? has : e.operator === 'NotIn' ? !has : true;
    }),
  );
}

/** An absolute, normalised path other than "/" (no "..", no doubled or trailing slashes). */
export function safeVolumePath(p: unknown): p is string {
  if (typeof p !== 'string' || !p.startsWith('/') || p === '/') return false;
  return path.posix.normalize(p) === p && !p.split('/').includes('..') && !p.endsWith('/');
}

export async function resolveClaimVolume(pod: V1Pod, v: V1Volume, lookup: ClaimLookup, nodeName: string): Promise<ClaimVolume> {
  const ns = pod.metadata?.namespace ?? 'default';
  // a generic ephemeral volume uses the claim <pod>-<volume>, which must be the pod's own
  const claimName = v.ephemeral ? `${pod.metadata?.name}-${v.name}` : (v.persistentVolumeClaim?.claimName ?? '');
  const claim = await lookup.persistentVolumeClaim(ns, claimName);
  if (!claim) throw new ContainerConfigError(`persistentvolumeclaim "${claimName}" not found`);
  if (v.ephemeral && !claim.metadata?.ownerReferences?.some((r) => r.controller && r.uid === pod.metadata?.uid)) {
    throw new ContainerConfigError(`PVC ${ns}/${claimName} was not created for pod ${ns}/${pod.metadata?.name} (pod is not owner)`);
  }
  if (claim.metadata?.deletionTimestamp) throw new ContainerConfigError(`persistentvolumeclaim "${claimName}" is being deleted`);
  const volumeName = claim.spec?.volumeName;
  if (claim.status?.phase !== 'Bound' || !volumeName) {
    throw new ContainerConfigError(`error processing PVC ${ns}/${claimName}: PVC is not bound`);
  }
  const pv = await lookup.persistentVolume(volumeName);
  if (!pv) throw new ContainerConfigError(`error processing PVC ${ns}/${claimName}: persistentvolume "${volumeName}" not found`);
  const ref = pv.spec?.claimRef;
  if (ref?.uid !== claim.metadata?.uid) throw new ContainerConfigError(`persistentvolume "${volumeName}" is not bound to claim ${ns}/${claimName}`);
  if (!meantForNode(pv, nodeName)) throw new ContainerConfigError(`persistentvolume "${volumeName}" has node affinity that does not match node "${nodeName}"`);
  const source = pv.spec?.hostPath ?? pv.spec?.local;
  if (!source) throw new ContainerConfigError(`persistentvolume "${volumeName}": only hostPath and local volumes are supported on this node`);
  if (!safeVolumePath(source.path)) throw new ContainerConfigError(`persistentvolume "${volumeName}": refusing path ${JSON.stringify(source.path)}`);
  const type = pv.spec?.hostPath ? (pv.spec.hostPath.type ?? '') : '';
  const readOnly = v.persistentVolumeClaim?.readOnly === true;
  return {
    volumeName,
    provisionedBy: pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'],
    path: source.path,
    type,
    local: !pv.spec?.hostPath,
    readOnly,
  };
}
