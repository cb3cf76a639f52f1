// What a DaemonSet sync decides, given its nodes and its pods grouped by node: which nodes
// need a pod, which pods go (daemon_controller.go's manage/podsShouldBeOnNode, update.go's
// rollingUpdate), and the status it reports. Pure, so the math is tested without a cluster.
import type { V1DaemonSet, V1DaemonSetStatus, V1Node, V1Pod } from '@kubernetes/client-node';
import { scaledValue } from '@skiff/common/apimachinery/int-or-string';
import { isPodAvailable, isPodReady } from '../../lib/pods.ts';
import { controllerRevisionHashLabel } from '../history/revisions.ts';
import { nodeShouldRunDaemonPod, templateGenerationLabel, templateGenerationOf } from './placement.ts';

export type NodePods = Map<string, V1Pod[]>;

export interface SyncPlan {
  /** nodes that get a new pod */
  create: string[];
  /** pods (by name) to delete */
  delete: string[];
  /** pods that failed, for the FailedDaemonPod event */
  failed: V1Pod[];
}

const time = (p: V1Pod) => {
  const t = p.metadata?.creationTimestamp as unknown;
  return t instanceof Date ? t.getTime() : t ? Date.parse(String(t)) : 0;
};

/** podByCreationTimestampAndPhase: bound pods first, then oldest, then by name. */
export function byCreation(a: V1Pod, b: V1Pod): number {
  const bound = (p: V1Pod) => (p.spec?.nodeName ? 0 : 1);
  return bound(a) - bound(b) || time(a) - time(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** IsPodUpdated: the pod carries the current revision's hash, or the current template generation. */
export function isPodUpdated(pod: V1Pod, ds: V1DaemonSet, hash: string): boolean {
  const generation = templateGenerationOf(ds);
  const labels = pod.metadata?.labels ?? {};
  return (hash !== '' && labels[controllerRevisionHashLabel] === hash) || (generation !== undefined && labels[templateGenerationLabel] === generation);
}

export function allowsSurge(ds: V1DaemonSet): boolean {
  const ru = ds.spec?.updateStrategy?.type === 'RollingUpdate' ? ds.spec.updateStrategy.rollingUpdate : undefined;
  return ru?.maxSurge !== undefined && scaledValue(ru.maxSurge, 1, true) !== 0;
}

/** podsShouldBeOnNode for every node, plus pods pinned to nodes that no longer exist. */
export function planNodes(ds: V1DaemonSet, nodes: readonly V1Node[], nodePods: NodePods, hash: string): SyncPlan {
  const plan: SyncPlan = { create: [], delete: [], failed: [] };
  const surge = allowsSurge(ds);
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    const pods = nodePods.get(name);
    if (shouldRun && !pods) {
      plan.create.push(name);
      continue;
    }
    if (!pods) continue;
    if (!shouldContinueRunning) {
      for (const p of pods) if (!p.metadata?.deletionTimestamp) plan.delete.push(p.metadata!.name!);
      continue;
    }
    const running: V1Pod[] = [];
    for (const p of pods) {
      if (p.metadata?.deletionTimestamp) continue;
      const phase = p.status?.phase;
      // a failed daemon pod is replaced: deleted now, created again on the next sync
      if (phase === 'Failed') {
        plan.failed.push(p);
        plan.delete.push(p.metadata!.name!);
      } else if (phase === 'Succeeded') plan.delete.push(p.metadata!.name!);
      else running.push(p);
    }
    running.sort(byCreation);
    if (!surge) {
      for (const p of running.slice(1)) plan.delete.push(p.metadata!.name!);
      continue;
    }
    if (running.length <= 1) {
      if (running.length === 0 && shouldRun) plan.create.push(name);
      continue;
    }
    // surging: an old and a new pod may share the node while the new one is not ready yet
    let oldestNew: V1Pod | undefined;
    let oldestOld: V1Pod | undefined;
    for (const p of running) {
      const isNew = p.metadata?.labels?.[controllerRevisionHashLabel] === hash;
      if (isNew && !oldestNew) oldestNew = p;
      else if (!isNew && !oldestOld) oldestOld = p;
      else plan.delete.push(p.metadata!.name!);
    }
    if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodReady(oldestNew))) plan.delete.push(oldestOld.metadata!.name!);
  }
  // a pod pinned to a node that is gone is never scheduled, and the pod GC would not see it
  const known = new Set(nodes.map((n) => n.metadata?.name));
  for (const [nodeName, pods] of nodePods) {
    if (known.has(nodeName)) continue;
    for (const p of pods) if (!p.spec?.nodeName && !p.metadata?.deletionTimestamp) plan.delete.push(p.metadata!.name!);
  }
  return plan;
}

/** findUpdatedPodsOnNode: at most one new and one old live pod, else undefined (the manage loop cleans up). */
function updatedPodsOnNode(ds: V1DaemonSet, pods: readonly V1Pod[], hash: string): { newPod?: V1Pod; oldPod?: V1Pod } | undefined {
  let newPod: V1Pod | undefined;
  let oldPod: V1Pod | undefined;
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(p, ds, hash)) {
      if (newPod) return undefined;
      newPod = p;
    } else {
      if (oldPod) return undefined;
      oldPod = p;
    }
  }
  return { newPod, oldPod };
}

export interface RolloutLimits {
  maxSurge: number;
  maxUnavailable: number;
  desired: number;
}

/** updatedDesiredNodeCounts: the limits scaled to the nodes that should run the pod (rounding up). */
export function rolloutLimits(ds: V1DaemonSet, nodes: readonly V1Node[]): RolloutLimits {
  const desired = nodes.filter((n) => nodeShouldRunDaemonPod(n, ds).shouldRun).length;
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  let maxUnavailable = scaledValue(ru?.maxUnavailable ?? 1, desired, true);
  const maxSurge = scaledValue(ru?.maxSurge ?? 0, desired, true);
  // an impossible configuration falls back to one unavailable node, as upstream
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable, desired };
}

/**
 * One step of a RollingUpdate. Without surge, old pods are deleted while fewer than
 * maxUnavailable nodes lack an available pod (the manage loop then creates the new ones);
 * with surge, new pods are created beside old available ones, at most maxSurge at a time,
 * and an old pod goes once the new one on its node is available.
 */
export function planRollingUpdate(ds: V1DaemonSet, nodes: readonly V1Node[], nodePods: NodePods, hash: string, now: number = Date.now()): SyncPlan {
  const { maxSurge, maxUnavailable, desired } = rolloutLimits(ds, nodes);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const available = (p: V1Pod) => isPodAvailable(p, minReady, now);
  const byName = new Map(nodes.map((n) => [n.metadata?.name ?? '', n]));
  // every node that should run the pod takes part, with or without pods
  const perNode = new Map(nodePods);
  for (const n of nodes) if (nodeShouldRunDaemonPod(n, ds).shouldRun && !perNode.has(n.metadata?.name ?? '')) perNode.set(n.metadata?.name ?? '', []);
  const names = [...perNode.keys()].sort();
  const plan: SyncPlan = { create: [], delete: [], failed: [] };

  if (maxSurge === 0) {
    let unavailable = 0;
    const replacements: string[] = [];
    const candidates: string[] = [];
    for (const nodeName of names) {
      const found = updatedPodsOnNode(ds, perNode.get(nodeName)!, hash);
      if (!found) {
        unavailable++;
        continue;
      }
      const { newPod, oldPod } = found;
      if ((!oldPod && !newPod) || (oldPod && newPod)) unavailable++;
      else if (newPod) {
        if (!available(newPod)) unavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) {
          replacements.push(oldPod.metadata!.name!);
          unavailable++;
        } else if (unavailable < maxUnavailable) candidates.push(oldPod.metadata!.name!);
      }
    }
    const room = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
    plan.delete = [...replacements, ...candidates.slice(0, room)];
    return plan;
  }

  let surging = 0;
  let numAvailable = 0;
  const allowedNew: string[] = [];
  const candidateNew: string[] = [];
  const notRunToDelete: string[] = [];
  for (const nodeName of names) {
    const found = updatedPodsOnNode(ds, perNode.get(nodeName)!, hash);
    if (!found) {
      surging++;
      continue;
    }
    const { newPod, oldPod } = found;
    if (oldPod ? available(oldPod) : newPod && available(newPod)) numAvailable++;
    if (!oldPod) continue;
    const node = byName.get(nodeName);
    const shouldRun = node ? nodeShouldRunDaemonPod(node, ds).shouldRun : false;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRun) plan.delete.push(oldPod.metadata!.name!);
        else allowedNew.push(nodeName);
      } else if (!shouldRun) notRunToDelete.push(oldPod.metadata!.name!);
      else if (surging < maxSurge) candidateNew.push(nodeName);
      continue;
    }
    // already surged here: wait for the new pod, then retire the old one
    if (!available(newPod)) surging++;
    else plan.delete.push(oldPod.metadata!.name!);
  }
  // keep full availability when the pod moves between nodes: retire only what is covered
  const deletable = Math.min(Math.max(0, numAvailable - desired), notRunToDelete.length);
  plan.delete.push(...notRunToDelete.slice(0, deletable));
  const room = Math.min(Math.max(0, maxSurge - surging), candidateNew.length);
  plan.create = [...allowedNew, ...candidateNew.slice(0, room)];
  return plan;
}

/** updateDaemonSetStatus's counts (observedGeneration and collisionCount are the caller's). */
export function calculateStatus(ds: V1DaemonSet, nodes: readonly V1Node[], nodePods: NodePods, hash: string, now: number = Date.now()): V1DaemonSetStatus {
  const s = {
    desiredNumberScheduled: 0,
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    updatedNumberScheduled: 0,
    numberAvailable: 0,
    numberUnavailable: 0,
  };
  const minReady = ds.spec?.minReadySeconds ?? 0;
  for (const node of nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
    const pods = nodePods.get(node.metadata?.name ?? '') ?? [];
    if (!shouldRun) {
      if (pods.length > 0) s.numberMisscheduled++;
      continue;
    }
    s.desiredNumberScheduled++;
    if (pods.length === 0) continue;
    s.currentNumberScheduled++;
    const pod = [...pods].sort(byCreation)[0];
    if (isPodReady(pod)) {
      s.numberReady++;
      if (isPodAvailable(pod, minReady, now)) s.numberAvailable++;
    }
    if (isPodUpdated(pod, ds, hash)) s.updatedNumberScheduled++;
  }
  s.numberUnavailable = s.desiredNumberScheduled - s.numberAvailable;
  return s;
}
