// One pending retry of a failed sync at a time, with exponential back-off. A sync loop that
// scheduled a fresh retry after every failure grew a new chain of retries with each informer
// event while the failure lasted (a route whose gateway a worker cannot reach, say): in a
// three-worker lab the proxies came to retry every 0.2 s and took a third of a core between them.

export interface RetryTimerOptions {
  /** the first delay (default 1 s); each failure in a row doubles it */
  initialMs?: number;
  /** the longest delay (default 30 s, the proxy's own resync period) */
  maxMs?: number;
}

export class RetryTimer {
  private timer?: NodeJS.Timeout;
  private nextDelayMs: number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly retry: () => void;

  constructor(retry: () => void, opts: RetryTimerOptions = {}) {
    this.retry = retry;
    this.initialMs = opts.initialMs ?? 1000;
    this.maxMs = opts.maxMs ?? 30_000;
    this.nextDelayMs = this.initialMs;
  }

  /** A sync failed: retry after the current delay, unless a retry is already pending. */
  failed(): void {
    if (this.timer) return;
    const delay = this.nextDelayMs;
    this.nextDelayMs = Math.min(this.nextDelayMs * 2, this.maxMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.retry();
    }, delay);
    this.timer.unref();
  }

  /** A sync succeeded: the next failure starts again from the first delay. */
  succeeded(): void {
    this.nextDelayMs = this.initialMs;
  }

  /** The delay the next failure waits (for tests and logs). */
  get pendingDelayMs(): number {
    return this.nextDelayMs;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
