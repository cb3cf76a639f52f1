// usageNanoCores from two cumulative samples, per container (or the node), as the kubelet's
// CRI stats provider keeps its cpuUsageCache: the first sample of a key has no rate yet, and
// a counter that went backwards (a restarted container under the same key) starts over.

interface Sample {
  coreNs: number;
  atMs: number;
}

export class CpuRates {
  private readonly last = new Map<string, Sample>();

  /** The rate since the previous sample of `key`, in nanocores, or undefined. */
  rate(key: string, coreNs: number, atMs: number): number | undefined {
    const prev = this.last.get(key);
    // two scrapes within the same millisecond keep the older sample: a rate over ~0 s is noise
    if (prev && atMs <= prev.atMs) return undefined;
    this.last.set(key, { coreNs, atMs });
    if (!prev || coreNs < prev.coreNs) return undefined;
    // core-nanoseconds per millisecond, times 1000 ms per second: nanocores
    return Math.round(((coreNs - prev.coreNs) / (atMs - prev.atMs)) * 1e3);
  }

  /** Forgets every key not in `alive` (containers that are gone). */
  retain(alive: Set<string>): void {
    for (const k of this.last.keys()) if (!alive.has(k)) this.last.delete(k);
  }
}
