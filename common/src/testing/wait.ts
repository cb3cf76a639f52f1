// Polling for a state the system reaches eventually (a Node Ready, an event recorded).

/**
 * How often a test that waits by running kubectl asks again. Each kubectl costs about 0.2 s of
 * CPU (more on a loaded machine) plus the apiserver's work: polling it every 100-250 ms took
 * most of a core while a test waited, from the other lanes of make test on a 2-core machine.
 * (Kubernetes' own e2e framework polls every 2 s.)
 */
export const KUBECTL_POLL_MS = 1000;

/**
 * Resolves with fn's first truthy value, calling it every `everyMs`; after `ms` it rejects
 * naming `what` and the last error fn threw. A call that took longer than everyMs/2 is followed
 * by a pause twice its length, up to KUBECTL_POLL_MS, so that an expensive probe (one that runs
 * kubectl) is not repeated back to back while a cheap one is still asked every everyMs. (Without
 * the bound, a probe slowed to seconds by a loaded machine paused for as long again, and a test
 * that took 6 s took 25.)
 */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 30_000, everyMs = 200): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    const started = Date.now();
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, Math.max(everyMs, Math.min(2 * (Date.now() - started), KUBECTL_POLL_MS))));
  }
}

/** The longest pause between two runs of an expensive probe in a long wait (see waitFor). */
export const KUBECTL_POLL_MAX_MS = 4000;

/** The pauses waitFor makes: KUBECTL_POLL_MS, then each 1.5 times the last, up to maxMs. */
export function pollPauses(firstMs = KUBECTL_POLL_MS, maxMs = KUBECTL_POLL_MAX_MS): () => number {
  let next = firstMs;
  return () => {
    const pause = next;
    next = Math.min(Math.round(next * 1.5), Math.max(maxMs, firstMs));
    return pause;
  };
}

/**
 * Resolves with the probe's first value other than undefined and false, for probes that run
 * kubectl (a rollout, a Node going NotReady). The first pause is `firstMs` (KUBECTL_POLL_MS) and
 * each next one 1.5 times longer, up to KUBECTL_POLL_MAX_MS: a short wait is seen within a
 * second, while a minute-long one costs about 20 kubectl runs, not 60. (make test is CPU-bound on
 * two cores and a kubectl run costs 0.1-0.2 s of CPU; Kubernetes' own e2e framework polls every
 * 2 s.) An error the probe throws counts as "not yet"; after `timeoutMs` the wait fails naming
 * `what`, the last error and `detail()`.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  firstMs = KUBECTL_POLL_MS,
  detail?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const pause = pollPauses(firstMs);
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    const now = Date.now();
    if (now > deadline) {
      const extra = detail ? `\n${detail()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}${extra}`);
    }
    // the last pause ends at the deadline, so that a state reached just before it is still seen
    await new Promise((r) => setTimeout(r, Math.max(10, Math.min(pause(), deadline - now))));
  }
}
