// Upstream slowStartBatch: run `count` calls in batches of 1, 2, 4, ... and stop at the first
// batch with a failure, so that a template the apiserver rejects costs one call, not hundreds.
export interface SlowStartResult {
  succeeded: number;
  firstError?: unknown;
}

export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<SlowStartResult> {
  let remaining = count;
  let succeeded = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    succeeded += results.filter((r) => r.status === 'fulfilled').length;
    if (failed) return { succeeded, firstError: failed.reason };
    remaining -= batch;
  }
  return { succeeded };
}
