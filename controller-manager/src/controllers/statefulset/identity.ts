// A StatefulSet pod's identity and storage (upstream stateful_set_utils.go): its stable name
// `<set>-<ordinal>`, the labels and DNS hostname that go with it, the claims
// `<template>-<set>-<ordinal>` mounted into it, and which owner references those claims carry
// under the persistentVolumeClaimRetentionPolicy. Pure: no API calls.
import type { V1OwnerReference, V1PersistentVolumeClaim, V1Pod, V1PodTemplateSpec, V1StatefulSet, V1Volume } from '@kubernetes/client-node';
import { newControllerRef } from '@skiff/common/apimachinery/owner-references';
import { controllerRevisionHashLabel } from '../history/revisions.ts';

export const podNameLabel = 'statefulset.kubernetes.io/pod-name';
export const podIndexLabel = 'apps.kubernetes.io/pod-index';

export function startOrdinal(set: V1StatefulSet): number {
  return set.spec?.ordinals?.start ?? 0;
}

export function replicaCount(set: V1StatefulSet): number {
  return set.spec?.replicas ?? 1;
}

export function podName(set: V1StatefulSet, ordinal: number): string {
  return `${set.metadata?.name}-${ordinal}`;
}

/** The set name and ordinal a pod name spells, or undefined when it spells none. */
export function parsePodName(name: string | undefined): { parent: string; ordinal: number } | undefined {
  const m = /^(.*)-(0|[1-9]\d*)$/.exec(name ?? '');
  if (!m) return undefined;
  const ordinal = Number(m[2]);
  return Number.isSafeInteger(ordinal) ? { parent: m[1]!, ordinal } : undefined;
}

export function ordinalOf(pod: V1Pod): number {
  return parsePodName(pod.metadata?.name)?.ordinal ?? -1;
}

/** A pod named after this set (whatever its labels): the ones the set may adopt. */
export function isMemberOf(set: V1StatefulSet, pod: V1Pod): boolean {
  return parsePodName(pod.metadata?.name)?.parent === set.metadata?.name;
}

export function podRevision(pod: V1Pod): string | undefined {
  return pod.metadata?.labels?.[controllerRevisionHashLabel];
}

export function claimName(templateName: string, set: V1StatefulSet, ordinal: number): string {
  return `${templateName}-${set.metadata?.name}-${ordinal}`;
}

/** The claims a pod of this set mounts, by template name (getPersistentVolumeClaims). */
export function claimsFor(set: V1StatefulSet, ordinal: number): Map<string, V1PersistentVolumeClaim> {
  const out = new Map<string, V1PersistentVolumeClaim>();
  const selectorLabels = set.spec?.selector?.matchLabels ?? {};
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const templateName = t.metadata?.name ?? '';
    out.set(templateName, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: claimName(templateName, set, ordinal),
        namespace: set.metadata?.namespace,
        labels: { ...(t.metadata?.labels ?? {}), ...selectorLabels },
        ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      },
      spec: structuredClone(t.spec ?? {}),
    });
  }
  return out;
}

/** Claim volumes first (in template order), then the template's other volumes (updateStorage). */
function volumesWithClaims(set: V1StatefulSet, ordinal: number, volumes: V1Volume[] | undefined): V1Volume[] {
  const claims = claimsFor(set, ordinal);
  const out: V1Volume[] = [...claims].map(([name, claim]) => ({ name, persistentVolumeClaim: { claimName: claim.metadata!.name! } }));
  for (const v of volumes ?? []) if (!claims.has(v.name)) out.push(v);
  return out;
}

/**
 * The pod for `ordinal` built from `template` (the template of the revision it belongs to):
 * controller ref, stable name, hostname and subdomain, identity labels, claim volumes.
 */
export function newStatefulSetPod(set: V1StatefulSet, template: V1PodTemplateSpec | undefined, ordinal: number, revision: string): V1Pod {
  const name = podName(set, ordinal);
  const spec = structuredClone(template?.spec ?? { containers: [] });
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  else delete spec.subdomain;
  spec.volumes = volumesWithClaims(set, ordinal, spec.volumes);
  if (spec.volumes.length === 0) delete spec.volumes;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata?.namespace,
      labels: {
        ...(template?.metadata?.labels ?? {}),
        [podNameLabel]: name,
        [podIndexLabel]: String(ordinal),
        [controllerRevisionHashLabel]: revision,
      },
      ...(template?.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ...(template?.metadata?.finalizers ? { finalizers: [...template.metadata.finalizers] } : {}),
      ownerReferences: [newControllerRef(set, 'apps/v1', 'StatefulSet')],
    },
    spec,
  };
}

/** identityMatches: the name, namespace and identity labels a pod of this set must carry. */
export function identityMatches(set: V1StatefulSet, pod: V1Pod): boolean {
  const parsed = parsePodName(pod.metadata?.name);
  return (
    parsed !== undefined &&
    parsed.parent === set.metadata?.name &&
    pod.metadata?.namespace === set.metadata?.namespace &&
    pod.metadata?.labels?.[podNameLabel] === pod.metadata?.name &&
    pod.metadata?.labels?.[podIndexLabel] === String(parsed.ordinal)
  );
}

/** storageMatches: every claim template is mounted under its name, from this pod's claim. */
export function storageMatches(set: V1StatefulSet, pod: V1Pod): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  for (const [name, claim] of claimsFor(set, ordinal)) {
    if (volumes.get(name)?.persistentVolumeClaim?.claimName !== claim.metadata?.name) return false;
  }
  return true;
}

/** The labels updateIdentity gives a pod whose identity labels went missing. */
export function identityLabels(pod: V1Pod): Record<string, string> {
  const name = pod.metadata?.name ?? '';
  return { ...(pod.metadata?.labels ?? {}), [podNameLabel]: name, [podIndexLabel]: String(ordinalOf(pod)) };
}

// ---- persistentVolumeClaimRetentionPolicy -----------------------------------------------

function plainRef(apiVersion: string, kind: string, owner: { metadata?: { name?: string; uid?: string } }): V1OwnerReference {
  return { apiVersion, kind, name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '' };
}

/** Whether the pod's ordinal is outside the set's current range (it is being scaled away). */
export function isCondemned(set: V1StatefulSet, pod: V1Pod): boolean {
  const ordinal = ordinalOf(pod);
  const start = startOrdinal(set);
  return ordinal < start || ordinal >= start + replicaCount(set);
}

/**
 * The owner references a claim should carry from this set and pod (updateClaimOwnerRefForSetAndPod):
 * whenDeleted=Delete makes the set an owner, so deleting the set deletes the claim;
 * whenScaled=Delete makes a condemned pod the owner instead, so scaling it away deletes it.
 * Owner references to anything else are kept.
 */
export function desiredClaimOwners(set: V1StatefulSet, pod: V1Pod, claim: V1PersistentVolumeClaim): V1OwnerReference[] {
  const policy = set.spec?.persistentVolumeClaimRetentionPolicy ?? {};
  const others = (claim.metadata?.ownerReferences ?? []).filter((r) => r.uid !== set.metadata?.uid && r.uid !== pod.metadata?.uid);
  const condemnedAndDeleted = policy.whenScaled === 'Delete' && isCondemned(set, pod);
  if (condemnedAndDeleted) return [...others, plainRef('v1', 'Pod', pod)];
  if (policy.whenDeleted === 'Delete') return [...others, plainRef('apps/v1', 'StatefulSet', set)];
  return others;
}

function refKey(r: V1OwnerReference): string {
  return `${r.uid}/${r.kind}/${r.name}`;
}

export function ownersEqual(a: V1OwnerReference[] | undefined, b: V1OwnerReference[] | undefined): boolean {
  const ka = (a ?? []).map(refKey).sort();
  const kb = (b ?? []).map(refKey).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

/** A claim left by an earlier pod that was scaled away and is still to be deleted (PodClaimIsStale). */
export function isStaleClaim(claim: V1PersistentVolumeClaim | undefined, pod: V1Pod): boolean {
  if (!claim) return false;
  if (claim.metadata?.deletionTimestamp) return true;
  return (claim.metadata?.ownerReferences ?? []).some((r) => r.kind === 'Pod' && r.uid !== pod.metadata?.uid);
}
