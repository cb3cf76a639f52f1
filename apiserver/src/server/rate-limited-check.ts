// A health check that reaches etcd at most once per interval, as kube-apiserver's etcd check
// does (a rate limiter of one probe per healthcheck-timeout/2; between probes the last
// outcome is the answer). A /readyz poller then costs etcd nothing, and a busy etcd delays at
// most one probe per interval instead of every one.
export function rateLimitedCheck(check: () => Promise<void>, intervalMs: number, now: () => number = Date.now): () => Promise<void> {
  let lastRun = Number.NEGATIVE_INFINITY;
  let lastError: Error | undefined;
  let running = false;
  return async () => {
    // a probe in flight or a recent one: the last outcome answers, without waiting
    if (running || now() - lastRun < intervalMs) {
      if (lastError) throw lastError;
      return;
    }
    lastRun = now();
    running = true;
    try {
      await check();
      lastError = undefined;
    } catch (e) {
      lastError = e instanceof Error ? e : new Error(String(e));
      throw lastError;
    } finally {
      running = false;
    }
  };
}
