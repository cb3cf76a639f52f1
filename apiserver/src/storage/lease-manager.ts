// Keys that expire on their own (Events, --event-ttl) are attached to etcd leases. A lease per
// write would be one more etcd round trip and object per Event, so, as kube-apiserver's lease
// manager does, a granted lease is reused for a short window by every write asking for the
// same TTL; it is granted a little longer so that the last key attached still lives its TTL.
import type { Etcd3 } from 'etcd3';

export class LeaseManager {
  private readonly client: Etcd3;
  private readonly reuseMs: (ttlSeconds: number) => number;
  private readonly current = new Map<number, { id: string; grantedAt: number; pending?: Promise<string> }>();

  constructor(client: Etcd3, reuseMs = (ttlSeconds: number) => Math.min(60_000, ttlSeconds * 50)) {
    this.client = client;
    this.reuseMs = reuseMs;
  }

  /** A lease ID under which a key lives at least `ttlSeconds` (and at most the reuse window more). */
  async leaseFor(ttlSeconds: number): Promise<string> {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    const window = this.reuseMs(ttl);
    const now = Date.now();
    const held = this.current.get(ttl);
    if (held && now - held.grantedAt < window) return held.pending ?? held.id;
    const pending = this.client.leaseClient.leaseGrant({ TTL: ttl + Math.ceil(window / 1000), ID: 0 }).then((r) => String(r.ID));
    this.current.set(ttl, { id: '', grantedAt: now, pending });
    try {
      const id = await pending;
      const entry = this.current.get(ttl);
      if (entry?.pending === pending) this.current.set(ttl, { id, grantedAt: now });
      return id;
    } catch (e) {
      if (this.current.get(ttl)?.pending === pending) this.current.delete(ttl);
      throw e;
    }
  }
}
