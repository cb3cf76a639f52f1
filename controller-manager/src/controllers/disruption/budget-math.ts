// The arithmetic of a PodDisruptionBudget's status (upstream disruption.go: getExpectedPodCount,
// countHealthyPods, buildDisruptedPodMap, updatePdbStatus), free of any API call: how many pods
// are expected, how many must stay healthy, how many are, and so how many may be disrupted.
import type { V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { scaledValue } from '@skiff/common/apimachinery/int-or-string';
import { deletionTimeoutMs } from '@skiff/common/policy/disruption-budget';
import { isPodReady } from '../../lib/pods.ts';

/** A pod's controlling owner as found by the finders: its uid and its desired replicas. */
export interface ControllerScale {
  uid: string;
  scale: number;
}

export interface ControllerRefLike {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/** Resolves a controllerRef to its workload's scale; undefined when no such workload is known. */
export type ScaleFinder = (ref: ControllerRefLike, namespace: string) => Promise<ControllerScale | undefined>;

export interface ExpectedCount {
  expectedCount: number;
  desiredHealthy: number;
  /** pods without a controller: a percentage cannot count them */
  unmanagedPods: string[];
}

function controllerRefOf(pod: V1Pod): ControllerRefLike | undefined {
  return pod.metadata?.ownerReferences?.find((r) => r.controller);
}

/**
 * getExpectedScale: the sum of the scales of the controllers of the pods (each counted once).
 * A pod with a controller no finder knows is an error; one without a controller is reported.
 */
export async function expectedScale(pods: readonly V1Pod[], find: ScaleFinder): Promise<{ expectedCount: number; unmanagedPods: string[] }> {
  const scales = new Map<string, number>();
  const unmanagedPods: string[] = [];
  for (const pod of pods) {
    const ref = controllerRefOf(pod);
    if (!ref) {
      unmanagedPods.push(pod.metadata?.name ?? '');
      continue;
    }
    if (scales.has(ref.uid)) continue;
    const found = await find(ref, pod.metadata?.namespace ?? '');
    if (!found) throw new Error(`found no controllers for pod "${pod.metadata?.name}"`);
    scales.set(found.uid, found.scale);
  }
  let expectedCount = 0;
  for (const n of scales.values()) expectedCount += n;
  return { expectedCount, unmanagedPods };
}

/**
 * getExpectedPodCount: maxUnavailable (int or %) and a percentage minAvailable are counted
 * against the controllers' scale; an integer minAvailable against the pods that exist.
 */
export async function expectedPodCount(pdb: V1PodDisruptionBudget, pods: readonly V1Pod[], find: ScaleFinder): Promise<ExpectedCount> {
  const spec = pdb.spec ?? {};
  if (spec.maxUnavailable != null) {
    const { expectedCount, unmanagedPods } = await expectedScale(pods, find);
    const maxUnavailable = scaledValue(spec.maxUnavailable as number | string, expectedCount, true);
    return { expectedCount, desiredHealthy: Math.max(0, expectedCount - maxUnavailable), unmanagedPods };
  }
  if (spec.minAvailable != null) {
    if (typeof spec.minAvailable === 'number') return { expectedCount: pods.length, desiredHealthy: spec.minAvailable, unmanagedPods: [] };
    const { expectedCount, unmanagedPods } = await expectedScale(pods, find);
    return { expectedCount, desiredHealthy: scaledValue(spec.minAvailable, expectedCount, true), unmanagedPods };
  }
  return { expectedCount: 0, desiredHealthy: 0, unmanagedPods: [] };
}

const timeOf = (t: Date | string): number => new Date(t).getTime();

export interface DisruptedPods {
  /** the entries still pending: pods recorded by an eviction, neither deleted nor timed out */
  pods: Record<string, Date>;
  /** when the earliest of those entries times out (ms since epoch), to look again then */
  recheckAtMs?: number;
  /** pods that were recorded but not deleted within DeletionTimeout */
  expired: string[];
}

/**
 * buildDisruptedPodMap: keeps the entries of pods that still exist, are not being deleted,
 * and were recorded less than DeletionTimeout ago.
 */
export function buildDisruptedPodMap(pods: readonly V1Pod[], pdb: V1PodDisruptionBudget, nowMs: number): DisruptedPods {
  const recorded = (pdb.status?.disruptedPods ?? {}) as Record<string, Date | string>;
  const out: DisruptedPods = { pods: {}, expired: [] };
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const name = pod.metadata?.name ?? '';
    const at = recorded[name];
    if (at === undefined) continue;
    const expectedDeletion = timeOf(at) + deletionTimeoutMs;
    if (expectedDeletion < nowMs) {
      out.expired.push(name);
      continue;
    }
    if (out.recheckAtMs === undefined || expectedDeletion < out.recheckAtMs) out.recheckAtMs = expectedDeletion;
    out.pods[name] = new Date(at);
  }
  return out;
}

/** countHealthyPods: ready pods that are neither being deleted nor about to be (recorded by an eviction). */
export function countHealthyPods(pods: readonly V1Pod[], disrupted: Record<string, Date>, nowMs: number): number {
  let healthy = 0;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const at = disrupted[pod.metadata?.name ?? ''];
    if (at !== undefined && timeOf(at) + deletionTimeoutMs > nowMs) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
}

/** No disruption while no pod is expected: a budget whose pods have not appeared yet stays safe. */
export function disruptionsAllowed(currentHealthy: number, desiredHealthy: number, expectedCount: number): number {
  const allowed = currentHealthy - desiredHealthy;
  return expectedCount <= 0 || allowed <= 0 ? 0 : allowed;
}

/** Whether two disruptedPods maps hold the same pods at the same times. */
export function sameDisruptedPods(a: Record<string, Date | string> | undefined, b: Record<string, Date | string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  if (ka.length !== kb.length) return false;
  return ka.every((k) => b?.[k] !== undefined && timeOf(a![k]!) === timeOf(b[k]!));
}
