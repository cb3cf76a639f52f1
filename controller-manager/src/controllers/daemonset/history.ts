// A DaemonSet's ControllerRevisions: what it snapshots (Kubernetes' getPatch: a strategic
// merge patch replacing spec.template, which `kubectl rollout undo` applies as it is) and
// how its history splits into the current revision and the old ones.
import type { V1ControllerRevision, V1DaemonSet } from '@kubernetes/client-node';
import { isControlledBy } from '@skiff/common/apimachinery/owner-references';
import { type ControllerRevision, equalRevisions, newControllerRevision, nextRevision } from '../history/revisions.ts';

/** The revision data of the DaemonSet's current template, in wire form (the cache may hold Dates). */
export function revisionData(ds: V1DaemonSet): unknown {
  const template = JSON.parse(JSON.stringify(ds.spec?.template ?? {}));
  return { spec: { template: { ...template, $patch: 'replace' } } };
}

/** The snapshot of the DaemonSet's template at `revision`, carrying its annotations (change-cause). */
export function snapshot(ds: V1DaemonSet, revision: number): ControllerRevision {
  const owner = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: ds.metadata ?? {} };
  const cr = newControllerRevision(owner, ds.spec?.template?.metadata?.labels, revisionData(ds), revision, ds.status?.collisionCount);
  if (ds.metadata?.annotations) cr.metadata.annotations = { ...ds.metadata.annotations };
  return cr;
}

export interface SplitHistory {
  /** revisions holding the current template (more than one only after a race) */
  current: ControllerRevision[];
  old: ControllerRevision[];
  /** the number the current revision must carry: above every old one */
  currentRevision: number;
}

/** The DaemonSet's own revisions, split by whether they hold its current template. */
export function splitHistory(ds: V1DaemonSet, revisions: readonly V1ControllerRevision[]): SplitHistory {
  const probe = { metadata: {}, data: revisionData(ds), revision: 0 };
  const current: ControllerRevision[] = [];
  const old: ControllerRevision[] = [];
  for (const r of revisions as unknown as ControllerRevision[]) {
    if (!isControlledBy(r.metadata as never, ds.metadata?.uid)) continue;
    (equalRevisions(r, probe) ? current : old).push(r);
  }
  return { current, old, currentRevision: nextRevision(old) };
}
