// The annotations a Deployment and its ReplicaSets carry (upstream deployment/util):
// revision numbers, revision history, desired/max replicas, and the Deployment's own
// annotations copied onto the new ReplicaSet (which is how change-cause reaches history).
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';

export const revisionAnnotation = 'deployment.kubernetes.io/revision';
export const revisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const desiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const maxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';
const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';
const rollbackToAnnotation = 'deprecated.deployment.rollback.to';
const notCopied = new Set([
  lastAppliedAnnotation,
  revisionAnnotation,
  revisionHistoryAnnotation,
  desiredReplicasAnnotation,
  maxReplicasAnnotation,
  rollbackToAnnotation,
]);
/** Upstream caps the revision-history annotation's length. */
const maxRevisionHistoryChars = 2000;

/** The revision of a ReplicaSet; 0 when absent, an error when malformed. */
export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } } | undefined): number {
  const v = obj?.metadata?.annotations?.[revisionAnnotation];
  if (v === undefined || v === '') return 0;
  if (!/^\d+$/.test(v)) throw new Error(`invalid ${revisionAnnotation} annotation "${v}"`);
  return Number(v);
}

export function maxRevision(rss: readonly V1ReplicaSet[]): number {
  let max = 0;
  for (const rs of rss) {
    try {
      max = Math.max(max, revisionOf(rs));
    } catch {
      /* upstream skips unparsable revisions */
    }
  }
  return max;
}

/** Copies the Deployment's annotations (all but the controller's own) onto the ReplicaSet. */
function copyDeploymentAnnotations(d: V1Deployment, rs: V1ReplicaSet): boolean {
  let changed = false;
  rs.metadata ??= {};
  rs.metadata.annotations ??= {};
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (notCopied.has(k) || rs.metadata.annotations[k] === v) continue;
    rs.metadata.annotations[k] = v;
    changed = true;
  }
  return changed;
}

/** desired-replicas and max-replicas; true when they changed. */
export function setReplicasAnnotations(rs: V1ReplicaSet, desired: number, max: number): boolean {
  rs.metadata ??= {};
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  if (a[desiredReplicasAnnotation] !== String(desired)) {
    a[desiredReplicasAnnotation] = String(desired);
    changed = true;
  }
  if (a[maxReplicasAnnotation] !== String(max)) {
    a[maxReplicasAnnotation] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: V1ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations ?? {};
  return a[desiredReplicasAnnotation] !== String(desired) || a[maxReplicasAnnotation] !== String(max);
}

/**
 * Upstream SetNewReplicaSetAnnotations: the new ReplicaSet takes `newRevision` when that is
 * higher than its own (an old template coming back gets the next revision, its previous
 * number goes to revision-history); a ReplicaSet being created also gets the replica
 * annotations. Returns whether anything changed.
 */
export function setNewReplicaSetAnnotations(d: V1Deployment, rs: V1ReplicaSet, newRevision: number, exists: boolean, desired: number, max: number): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const a = rs.metadata!.annotations!;
  const oldRevisionText = a[revisionAnnotation];
  let oldRevision = 0;
  if (oldRevisionText !== undefined && oldRevisionText !== '') {
    if (!/^\d+$/.test(oldRevisionText)) return false;
    oldRevision = Number(oldRevisionText);
  }
  if (oldRevision < newRevision) {
    a[revisionAnnotation] = String(newRevision);
    changed = true;
    if (oldRevisionText && exists) {
      const history = a[revisionHistoryAnnotation] ? `${a[revisionHistoryAnnotation]},${oldRevisionText}` : oldRevisionText;
      // drop the oldest entries rather than grow without bound
      let trimmed = history;
      while (trimmed.length > maxRevisionHistoryChars && trimmed.includes(',')) trimmed = trimmed.slice(trimmed.indexOf(',') + 1);
      a[revisionHistoryAnnotation] = trimmed;
    }
  }
  if (!exists && setReplicasAnnotations(rs, desired, max)) changed = true;
  return changed;
}

/** Sets the Deployment's revision annotation; true when it changed. */
export function setDeploymentRevision(d: V1Deployment, revision: string): boolean {
  d.metadata ??= {};
  const a = (d.metadata.annotations ??= {});
  if (a[revisionAnnotation] === revision) return false;
  a[revisionAnnotation] = revision;
  return true;
}
