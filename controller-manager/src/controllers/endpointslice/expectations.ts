// Remembers the slices this controller just wrote until the informer has seen them, so a
// reconcile on a stale cache does not create a second slice for the same endpoints.

interface Pending {
  present: Map<string, number>;
  absent: Set<string>;
  since: number;
}

export class SliceExpectations {
  private readonly pending = new Map<string, Pending>();
  private readonly giveUpAfterMs: number;
  private readonly now: () => number;

  constructor(giveUpAfterMs = 10_000, now: () => number = Date.now) {
    this.giveUpAfterMs = giveUpAfterMs;
    this.now = now;
  }

  expectWritten(serviceKey: string, name: string, resourceVersion: string | undefined): void {
    this.entry(serviceKey).present.set(name, Number(resourceVersion ?? 0));
  }

  expectDeleted(serviceKey: string, name: string): void {
    const e = this.entry(serviceKey);
    e.present.delete(name);
    e.absent.add(name);
  }

  /** True once the cached slices reflect every write (or the wait took too long). */
  satisfied(serviceKey: string, cached: readonly { metadata: { name?: string; resourceVersion?: string } }[]): boolean {
    const e = this.pending.get(serviceKey);
    if (!e) return true;
    const byName = new Map(cached.map((s) => [s.metadata.name!, Number(s.metadata.resourceVersion ?? 0)]));
    const caughtUp = [...e.present].every(([name, rv]) => (byName.get(name) ?? -1) >= rv) && [...e.absent].every((name) => !byName.has(name));
    if (caughtUp || this.now() - e.since > this.giveUpAfterMs) {
      this.pending.delete(serviceKey);
      return true;
    }
    return false;
  }

  forget(serviceKey: string): void {
    this.pending.delete(serviceKey);
  }

  private entry(serviceKey: string): Pending {
    let e = this.pending.get(serviceKey);
    if (!e) {
      e = { present: new Map(), absent: new Set(), since: this.now() };
      this.pending.set(serviceKey, e);
    }
    return e;
  }
}
