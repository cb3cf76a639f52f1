// The numbers of a rollout (upstream deployment/util): surge and unavailability fenceposts,
// how far the new ReplicaSet may grow, how far old ones may shrink, and proportional scaling.
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { scaledValue } from '@skiff/common/apimachinery/int-or-string';
import { desiredReplicasAnnotation, maxReplicasAnnotation } from './annotations.ts';

export const specReplicas = (rs: V1ReplicaSet | undefined): number => rs?.spec?.replicas ?? 0;
export const desiredReplicas = (d: V1Deployment): number => d.spec?.replicas ?? 1;
const isRollingUpdate = (d: V1Deployment): boolean => (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

/** maxSurge rounds up, maxUnavailable rounds down; both 0 would stall, so unavailable becomes 1. */
export function resolveFenceposts(d: V1Deployment): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate;
  const desired = desiredReplicas(d);
  const surge = scaledValue(ru?.maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(ru?.maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: V1Deployment): number {
  return isRollingUpdate(d) ? resolveFenceposts(d).surge : 0;
}

export function maxUnavailable(d: V1Deployment): number {
  const desired = desiredReplicas(d);
  if (!isRollingUpdate(d) || desired === 0) return 0;
  return Math.min(resolveFenceposts(d).unavailable, desired);
}

export const sumSpecReplicas = (rss: readonly (V1ReplicaSet | undefined)[]): number => rss.reduce((n, rs) => n + specReplicas(rs), 0);
export const sumStatusReplicas = (rss: readonly (V1ReplicaSet | undefined)[]): number => rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
export const sumReadyReplicas = (rss: readonly (V1ReplicaSet | undefined)[]): number => rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
export const sumAvailableReplicas = (rss: readonly (V1ReplicaSet | undefined)[]): number => rss.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);

export const activeReplicaSets = (rss: readonly (V1ReplicaSet | undefined)[]): V1ReplicaSet[] =>
  rss.filter((rs): rs is V1ReplicaSet => !!rs && specReplicas(rs) > 0);

const created = (rs: V1ReplicaSet): number => (rs.metadata?.creationTimestamp ? new Date(rs.metadata.creationTimestamp).getTime() : 0);

/** Oldest first; ties by name (upstream ReplicaSetsByCreationTimestamp). */
export function byCreation(a: V1ReplicaSet, b: V1ReplicaSet): number {
  return created(a) - created(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** Larger first, then newer first: who grows first on a proportional scale-up. */
export function bySizeNewer(a: V1ReplicaSet, b: V1ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || -byCreation(a, b);
}

/** Larger first, then older first: who shrinks first on a proportional scale-down. */
export function bySizeOlder(a: V1ReplicaSet, b: V1ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreation(a, b);
}

/** How many replicas the new ReplicaSet may have now (upstream NewRSNewReplicas). */
export function newReplicaSetReplicas(d: V1Deployment, allRSs: readonly (V1ReplicaSet | undefined)[], newRS: V1ReplicaSet | undefined): number {
  if (!isRollingUpdate(d)) return desiredReplicas(d);
  const current = sumSpecReplicas(allRSs);
  const maxTotal = desiredReplicas(d) + maxSurge(d);
  if (current >= maxTotal) return specReplicas(newRS);
  const scaleUp = Math.min(maxTotal - current, desiredReplicas(d) - specReplicas(newRS));
  return specReplicas(newRS) + scaleUp;
}

/** The annotation as a number, or undefined when absent or malformed. */
export function replicasAnnotation(rs: V1ReplicaSet | undefined, name: string): number | undefined {
  const v = rs?.metadata?.annotations?.[name];
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Upstream IsSaturated: the new ReplicaSet has all the deployment's replicas, all available. */
export function isSaturated(d: V1Deployment, newRS: V1ReplicaSet | undefined): boolean {
  if (!newRS) return false;
  const desired = replicasAnnotation(newRS, desiredReplicasAnnotation);
  return specReplicas(newRS) === desiredReplicas(d) && desired === desiredReplicas(d) && (newRS.status?.availableReplicas ?? 0) === desiredReplicas(d);
}

/** The single active ReplicaSet, or the latest one when none is active, else undefined. */
export function findActiveOrLatest(newRS: V1ReplicaSet | undefined, oldRSs: readonly V1ReplicaSet[]): V1ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const active = activeReplicaSets([newRS, ...oldRSs]);
  if (active.length === 1) return active[0];
  if (active.length > 1) return undefined;
  if (newRS) return newRS;
  return [...oldRSs].sort(byCreation).at(-1);
}

/** Go's math.Round: half away from zero. */
const roundHalfAway = (x: number): number => Math.sign(x) * Math.round(Math.abs(x));

function replicaSetFraction(rs: V1ReplicaSet, d: V1Deployment): number {
  if (desiredReplicas(d) === 0) return -specReplicas(rs);
  const deploymentReplicas = desiredReplicas(d) + maxSurge(d);
  const annotated = replicasAnnotation(rs, maxReplicasAnnotation) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  return roundHalfAway((specReplicas(rs) * deploymentReplicas) / annotated) - specReplicas(rs);
}

function proportion(rs: V1ReplicaSet, d: V1Deployment, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * Proportional scaling of several active ReplicaSets in the middle of a rollout (upstream
 * DeploymentController.scale): returns the ReplicaSets in the order to scale and new sizes.
 */
export function proportionalScale(
  d: V1Deployment,
  active: readonly V1ReplicaSet[],
): { order: V1ReplicaSet[]; sizes: Map<string, number>; direction: 'up' | 'down' } | undefined {
  const current = sumSpecReplicas(active);
  const allowed = desiredReplicas(d) > 0 ? desiredReplicas(d) + maxSurge(d) : 0;
  const toAdd = allowed - current;
  if (toAdd === 0) return undefined;
  const order = [...active].sort(toAdd > 0 ? bySizeNewer : bySizeOlder);
  const sizes = new Map<string, number>();
  let added = 0;
  for (const rs of order) {
    const p = proportion(rs, d, toAdd, added);
    sizes.set(rs.metadata!.name!, specReplicas(rs) + p);
    added += p;
  }
  const leftover = toAdd - added;
  if (leftover !== 0 && order.length > 0) {
    const first = order[0]!.metadata!.name!;
    sizes.set(first, Math.max(0, sizes.get(first)! + leftover));
  }
  return { order, sizes, direction: toAdd > 0 ? 'up' : 'down' };
}

/**
 * How old ReplicaSets shrink in one RollingUpdate step (upstream reconcileOldReplicaSets):
 * first unhealthy replicas (oldest set first), then healthy ones while availability stays at
 * or above desired - maxUnavailable. Returns the new size per ReplicaSet name that changes.
 */
export function planOldReplicaSetScaleDown(
  d: V1Deployment,
  allRSs: readonly V1ReplicaSet[],
  oldRSs: readonly V1ReplicaSet[],
  newRS: V1ReplicaSet | undefined,
): Map<string, number> {
  const plan = new Map<string, number>();
  const oldPods = sumSpecReplicas(oldRSs);
  if (oldPods === 0) return plan;
  const minAvailable = desiredReplicas(d) - maxUnavailable(d);
  const newUnavailable = specReplicas(newRS) - (newRS?.status?.availableReplicas ?? 0);
  const maxScaledDown = sumSpecReplicas(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return plan;
  const sorted = [...oldRSs].sort(byCreation);
  const size = (rs: V1ReplicaSet) => plan.get(rs.metadata!.name!) ?? specReplicas(rs);

  let cleaned = 0;
  for (const rs of sorted) {
    if (cleaned >= maxScaledDown) break;
    const available = rs.status?.availableReplicas ?? 0;
    if (size(rs) === 0 || size(rs) === available) continue;
    const n = Math.min(maxScaledDown - cleaned, size(rs) - available);
    plan.set(rs.metadata!.name!, size(rs) - n);
    cleaned += n;
  }

  const available = sumAvailableReplicas([...oldRSs, newRS]);
  if (available <= minAvailable) return plan;
  const total = available - minAvailable;
  let scaled = 0;
  for (const rs of sorted) {
    if (scaled >= total) break;
    if (size(rs) === 0) continue;
    const n = Math.min(size(rs), total - scaled);
    plan.set(rs.metadata!.name!, size(rs) - n);
    scaled += n;
  }
  return plan;
}
