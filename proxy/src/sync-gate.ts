// When a sync must touch the kernel. The proxy's informers fire on every Node status update
// (every node, every few seconds), and each sync listed the kernel's routes or addresses with
// `ip`: a process spawned from a large Node process for nothing, most of the proxy's CPU. As
// kube-proxy does, an event writes to the kernel only when what is wanted changed; the periodic
// resync (and any failure) still checks the kernel in full, which repairs what others changed.
export class SyncGate {
  private last?: string;
  private forced = true;

  /** The next sync checks the kernel whatever it wants (resync, start). */
  force(): void {
    this.forced = true;
  }

  /** Whether a sync wanting `state` (a stable encoding of it) must touch the kernel. */
  needed(state: string): boolean {
    return this.forced || state !== this.last;
  }

  /** The kernel now holds `state`. */
  done(state: string): void {
    this.last = state;
    this.forced = false;
  }

  /** The last sync failed: the next one checks the kernel in full. */
  failed(): void {
    this.last = undefined;
    this.forced = true;
  }
}
