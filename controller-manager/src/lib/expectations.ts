// Expectations (upstream UIDTrackingControllerExpectations): after a controller asks for N
// creates or deletes it waits until its informer has seen them before syncing the owner
// again, so that a slow watch never makes it act twice. Deletions are tracked by pod key so
// that a delete observed twice (update with deletionTimestamp, then delete) counts once.
interface Expectation {
  adds: number;
  deletes: Set<string>;
  at: number;
}

export class Expectations {
  private readonly byOwner = new Map<string, Expectation>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(ttlMs = 300_000, now: () => number = Date.now) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /** True when nothing is pending, or what is pending is older than the TTL (lost events). */
  satisfied(owner: string): boolean {
    const e = this.byOwner.get(owner);
    if (!e) return true;
    if (e.adds <= 0 && e.deletes.size === 0) return true;
    return this.now() - e.at > this.ttlMs;
  }

  /**
   * Expects `n` creations. An owner syncs only once its expectations are satisfied, so one
   * still pending was set by this same sync (deletions first, say): it is kept, as upstream's
   * SetExpectations(creates, deletes) sets both at once.
   */
  expectCreations(owner: string, n: number): void {
    const pending = this.satisfied(owner) ? undefined : this.byOwner.get(owner);
    this.byOwner.set(owner, { adds: n, deletes: pending?.deletes ?? new Set(), at: this.now() });
  }

  /** Expects these pods' deletions; pending creations of the same sync are kept (see expectCreations). */
  expectDeletions(owner: string, podKeys: readonly string[]): void {
    const pending = this.satisfied(owner) ? undefined : this.byOwner.get(owner);
    this.byOwner.set(owner, { adds: pending?.adds ?? 0, deletes: new Set(podKeys), at: this.now() });
  }

  creationObserved(owner: string): void {
    const e = this.byOwner.get(owner);
    if (e && e.adds > 0) e.adds -= 1;
  }

  deletionObserved(owner: string, podKey: string): void {
    this.byOwner.get(owner)?.deletes.delete(podKey);
  }

  forget(owner: string): void {
    this.byOwner.delete(owner);
  }
}
