// Percentiles of measured samples for the benches (nearest rank, as a p99 of latencies is
// usually read: the smallest sample that at least p% of the samples do not exceed).

/** The p-th percentile (0-100) of `samples` in any order; NaN when there is none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
