// ControllerRevision history shared by the DaemonSet and StatefulSet controllers: how a
// revision is named, hashed, numbered, compared and pruned (Kubernetes'
// pkg/controller/history). API calls stay with the controllers; this module is pure.
import { canonicalJson } from '../../lib/canonical-json.ts';
import { stableHash } from '../../lib/stable-hash.ts';

export const controllerRevisionHashLabel = 'controller-revision-hash';

/** Kubernetes keeps room for '-' and the hash within a 253-character name. */
const MAX_PREFIX = 223;

export interface RevisionOwner {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; uid?: string };
}

export interface ControllerRevision {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
    creationTimestamp?: string;
    [key: string]: unknown;
  };
  data?: unknown;
  revision: number;
}

export function revisionName(prefix: string, hash: string): string {
  return `${prefix.slice(0, MAX_PREFIX)}-${hash}`;
}

export function hashRevisionData(data: unknown, collisionCount?: number | null): string {
  return stableHash(data, collisionCount);
}

/** A new revision of `owner` holding `data`; its labels are the template's plus the hash. */
export function newControllerRevision(
  owner: RevisionOwner,
  templateLabels: Record<string, string> | undefined,
  data: unknown,
  revision: number,
  collisionCount?: number | null,
): ControllerRevision {
  const hash = hashRevisionData(data, collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: revisionName(owner.metadata.name ?? '', hash),
      namespace: owner.metadata.namespace,
      labels: { ...(templateLabels ?? {}), [controllerRevisionHashLabel]: hash },
      ownerReferences: [
        {
          apiVersion: owner.apiVersion,
          kind: owner.kind,
          name: owner.metadata.name ?? '',
          uid: owner.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    data,
    revision,
  };
}

/** Oldest first: by revision, then creation time, then name (Kubernetes' byRevision). */
export function sortRevisions<T extends ControllerRevision>(revisions: T[]): T[] {
  return [...revisions].sort(
    (a, b) =>
      a.revision - b.revision ||
      (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
}

/** One more than the highest revision, or 1 for an empty history. */
export function nextRevision(revisions: ControllerRevision[]): number {
  return revisions.reduce((max, r) => Math.max(max, r.revision), 0) + 1;
}

export function equalRevisions(a: ControllerRevision, b: ControllerRevision): boolean {
  return canonicalJson(a.data) === canonicalJson(b.data);
}

/** The revisions whose data equals `needle`'s, oldest first. */
export function findEqualRevisions<T extends ControllerRevision>(revisions: T[], needle: ControllerRevision): T[] {
  return sortRevisions(revisions.filter((r) => equalRevisions(r, needle)));
}

/**
 * The revisions to delete so that at most `historyLimit` remain besides the live ones (those
 * still named by a pod or by the owner's current/update revision), oldest first.
 */
export function revisionsToPrune<T extends ControllerRevision>(revisions: T[], liveNames: Set<string>, historyLimit: number): T[] {
  const dead = sortRevisions(revisions.filter((r) => !liveNames.has(r.metadata.name ?? '')));
  return dead.slice(0, Math.max(0, dead.length - Math.max(0, historyLimit)));
}
