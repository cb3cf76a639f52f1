// The replica count one metric asks for, as upstream's replica_calculator.go computes it:
// the usage ratio against the target over the pods that reported, inside the tolerance no
// change; pods without a sample count as 100% of their request (target) on a scale-down and
// as 0 on a scale-up; on a scale-up, pods that are not ready yet (or whose CPU sample may
// predate their readiness) count as 0; a result that would reverse the direction is dropped.
// Pure: the controller hands in pods, samples and the clock.
import type { V1Pod } from '@kubernetes/client-node';
import { millisOf, tryParseQuantity } from '@skiff/common/apimachinery/quantity';

/** One pod's sample, in milli-units (cpu millicores, memory milli-bytes), as MilliValue(). */
export interface PodSample {
  value: number;
  /** when the sample was taken, and over how long (metrics.k8s.io timestamp and window) */
  timestampMs: number;
  windowMs: number;
}
export type PodSamples = Map<string, PodSample>;

export interface CalculatorOptions {
  tolerance: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period */
  cpuInitializationPeriodMs: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay */
  delayOfInitialReadinessStatusMs: number;
  nowMs: number;
}

export const defaultCalculatorOptions = {
  tolerance: 0.1,
  cpuInitializationPeriodMs: 5 * 60_000,
  delayOfInitialReadinessStatusMs: 30_000,
};

export class MetricError extends Error {}

interface PodGroups {
  readyPodCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

const ms = (t: unknown): number | undefined => (t ? new Date(t as string).getTime() : undefined);

/** groupPods: which pods count, which are left out, which have no sample. */
export function groupPods(pods: readonly V1Pod[], samples: PodSamples, resource: string, o: CalculatorOptions): PodGroups {
  const g: PodGroups = { readyPodCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Failed') {
      g.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      g.unready.add(name);
      continue;
    }
    const sample = samples.get(name);
    if (!sample) {
      g.missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      const start = ms(pod.status?.startTime);
      let unready: boolean;
      if (!ready || start === undefined) unready = true;
      else {
        const transition = ms(ready.lastTransitionTime) ?? 0;
        if (start + o.cpuInitializationPeriodMs > o.nowMs) {
          // still starting: a sample from before one whole window after readiness is not trusted
          unready = ready.status === 'False' || sample.timestampMs < transition + sample.windowMs;
        } else {
          // later, only a pod that was never ready is left out
          unready = ready.status === 'False' && start + o.delayOfInitialReadinessStatusMs > transition;
        }
      }
      if (unready) {
        g.unready.add(name);
        continue;
      }
    }
    g.readyPodCount++;
  }
  return g;
}

/** calculatePodRequests: each pod's request (milli) for the resource, summed over its containers. */
export function podRequests(pods: readonly V1Pod[], resource: string, container?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let total = 0;
    for (const c of pod.spec?.containers ?? []) {
      if (container && c.name !== container) continue;
      const req = c.resources?.requests?.[resource];
      if (req === undefined) throw new MetricError(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata?.name}`);
      total += milliOf(String(req));
    }
    out.set(pod.metadata?.name ?? '', total);
  }
  return out;
}

/** A Quantity's MilliValue(); a figure that is not a quantity is the metric's error. */
export function milliOf(q: string): number {
  const parsed = tryParseQuantity(q);
  if (!parsed) throw new MetricError(`invalid quantity ${JSON.stringify(q)}`);
  return millisOf(q);
}

/** GetResourceUtilizationRatio: usage over requests of the pods with a sample, in whole percent as upstream truncates. */
function utilizationRatio(samples: PodSamples, requests: Map<string, number>, target: number): { ratio: number; utilization: number; raw: number } {
  let used = 0;
  let requested = 0;
  let n = 0;
  for (const [name, s] of samples) {
    const req = requests.get(name);
    if (req === undefined) continue;
    used += s.value;
    requested += req;
    n++;
  }
  if (requested === 0) throw new MetricError('no metrics returned matched known pods');
  const utilization = Math.trunc((used * 100) / requested);
  return { ratio: utilization / target, utilization, raw: Math.trunc(used / n) };
}

function averageRatio(samples: PodSamples, target: number): { ratio: number; average: number } {
  let total = 0;
  for (const s of samples.values()) total += s.value;
  const average = total / samples.size;
  return { ratio: average / target, average: Math.trunc(average) };
}

export interface ResourceRecommendation {
  replicas: number;
  /** whole percent of request (Utilization targets) */
  utilization?: number;
  /** average per pod, milli-units */
  rawAverage: number;
}

/**
 * GetResourceReplicas (targetUtilization set) or GetRawResourceReplicas (targetAverageMilli):
 * the replicas for one Resource metric.
 */
export function resourceReplicas(
  currentReplicas: number,
  pods: readonly V1Pod[],
  samplesIn: PodSamples,
  resource: string,
  target: { utilization?: number; averageMilli?: number },
  o: CalculatorOptions,
  container?: string,
): ResourceRecommendation {
  if (pods.length === 0) throw new MetricError('no pods returned by selector while calculating replica count');
  const samples = new Map(samplesIn);
  const groups = groupPods(pods, samples, resource, o);
  for (const n of [...groups.ignored, ...groups.unready]) samples.delete(n);
  if (samples.size === 0) throw new MetricError('did not receive metrics for targeted pods (pods might be unready)');

  if (target.utilization === undefined) {
    const averageMilli = target.averageMilli ?? 0;
    const { replicas, average } = plainReplicas(currentReplicas, samples, groups, averageMilli, o.tolerance);
    return { replicas, rawAverage: average };
  }
  const targetUtilization = target.utilization;
  const requests = podRequests(pods, resource, container);
  const first = utilizationRatio(samples, requests, targetUtilization);
  const scaleUpWithUnready = groups.unready.size > 0 && first.ratio > 1;
  const result = (replicas: number) => ({ replicas, utilization: first.utilization, rawAverage: first.raw });
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (Math.abs(1 - first.ratio) <= o.tolerance) return result(currentReplicas);
    return result(Math.ceil(first.ratio * groups.readyPodCount));
  }
  if (groups.missing.size > 0) {
    // on a scale-down a pod without a sample uses its whole request (or the target above 100%)
    const fallback = Math.max(100, targetUtilization);
    for (const n of groups.missing) {
      const value = first.ratio < 1 ? ((requests.get(n) ?? 0) * fallback) / 100 : 0;
      if (first.ratio !== 1) samples.set(n, { value, timestampMs: 0, windowMs: 0 });
    }
  }
  if (scaleUpWithUnready) for (const n of groups.unready) samples.set(n, { value: 0, timestampMs: 0, windowMs: 0 });
  const next = utilizationRatio(samples, requests, targetUtilization);
  if (Math.abs(1 - next.ratio) <= o.tolerance || (first.ratio < 1 && next.ratio > 1) || (first.ratio > 1 && next.ratio < 1)) {
    return result(currentReplicas);
  }
  const replicas = Math.ceil(next.ratio * samples.size);
  if ((next.ratio < 1 && replicas > currentReplicas) || (next.ratio > 1 && replicas < currentReplicas)) return result(currentReplicas);
  return result(replicas);
}

/** calcPlainMetricReplicas: an AverageValue target (milli-units per pod). */
function plainReplicas(
  currentReplicas: number,
  samples: PodSamples,
  groups: PodGroups,
  target: number,
  tolerance: number,
): { replicas: number; average: number } {
  const first = averageRatio(samples, target);
  const scaleUpWithUnready = groups.unready.size > 0 && first.ratio > 1;
  const result = (replicas: number) => ({ replicas, average: first.average });
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (Math.abs(1 - first.ratio) <= tolerance) return result(currentReplicas);
    return result(Math.ceil(first.ratio * groups.readyPodCount));
  }
  for (const n of groups.missing) samples.set(n, { value: first.ratio < 1 ? target : 0, timestampMs: 0, windowMs: 0 });
  if (scaleUpWithUnready) for (const n of groups.unready) samples.set(n, { value: 0, timestampMs: 0, windowMs: 0 });
  const next = averageRatio(samples, target);
  if (Math.abs(1 - next.ratio) <= tolerance || (first.ratio < 1 && next.ratio > 1) || (first.ratio > 1 && next.ratio < 1)) {
    return result(currentReplicas);
  }
  const replicas = Math.ceil(next.ratio * samples.size);
  if ((next.ratio < 1 && replicas > currentReplicas) || (next.ratio > 1 && replicas < currentReplicas)) return result(currentReplicas);
  return result(replicas);
}
