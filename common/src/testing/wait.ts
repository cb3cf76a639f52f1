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
