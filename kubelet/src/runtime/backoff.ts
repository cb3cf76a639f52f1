// Per-container restart back-off: 10 s doubling to 5 min, reset once a container has run
// for 10 minutes (the kubelet's CrashLoopBackOff and ImagePullBackOff timing).
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  resetAfterMs?: number;
  now?: () => number;
}

interface Entry {
  delayMs: number;
  until: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();
  private readonly initialMs: number;
  private readonly maxMs: number;
  readonly resetAfterMs: number;
  private readonly now: () => number;

  constructor(o: BackoffOptions = {}) {
    this.initialMs = o.initialMs ?? 10_000;
    this.maxMs = o.maxMs ?? 300_000;
    this.resetAfterMs = o.resetAfterMs ?? 600_000;
    this.now = o.now ?? Date.now;
  }

  /** True while `key` must still wait (measured from `since`, e.g. the container's finish time). */
  inBackoff(key: string, since: number): boolean {
    const e = this.entries.get(key);
    return !!e && this.now() < since + e.delayMs;
  }

  /** Records a restart (or failed pull) and grows the next delay. */
  next(key: string): number {
    const e = this.entries.get(key);
    const delayMs = e ? Math.min(e.delayMs * 2, this.maxMs) : this.initialMs;
    this.entries.set(key, { delayMs, until: this.now() + delayMs });
    return delayMs;
  }

  /** When the back-off last recorded by next() ends, while it has not yet (image pulls wait it out). */
  pendingUntil(key: string): number | undefined {
    const e = this.entries.get(key);
    return e && this.now() < e.until ? e.until : undefined;
  }

  delayOf(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }
  reset(key: string): void {
    this.entries.delete(key);
  }
  forgetPrefix(prefix: string): void {
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}
