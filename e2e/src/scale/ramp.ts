// A steady pod creation rate through Deployments: every second the Deployments' replicas are
// raised so that, in total, `podsPerSecond` more pods are wanted, one Deployment filled after
// the other. The Deployment and ReplicaSet controllers create the pods; this only sets how many.
export interface RampPlan {
  /** Deployment i is `names[i]`, "namespace/name" */
  names: string[];
  replicasEach: number;
  podsPerSecond: number;
}

/** The replicas each Deployment should have once `total` pods are wanted. */
export function replicasAt(plan: RampPlan, total: number): number[] {
  return plan.names.map((_, i) => Math.max(0, Math.min(plan.replicasEach, total - i * plan.replicasEach)));
}

/**
 * Raises the replicas once a second until every Deployment has `replicasEach`; `scale` sets one
 * Deployment's replicas. A tick that finds the last one still running is skipped, not queued, so
 * a slow apiserver shows as a lower rate instead of a burst afterwards.
 */
export async function ramp(plan: RampPlan, scale: (name: string, replicas: number) => Promise<void>, stopped: () => boolean = () => false): Promise<void> {
  const target = plan.names.length * plan.replicasEach;
  const set = plan.names.map(() => 0);
  const started = performance.now();
  for (;;) {
    const wanted = Math.min(target, Math.round(((performance.now() - started) / 1000) * plan.podsPerSecond));
    const next = replicasAt(plan, wanted);
    for (let i = 0; i < next.length; i++) {
      if (next[i] === set[i]) continue;
      await scale(plan.names[i]!, next[i]!);
      set[i] = next[i]!;
    }
    if (wanted >= target || stopped()) return;
    await new Promise((r) => setTimeout(r, 1000 - ((performance.now() - started) % 1000)));
  }
}
