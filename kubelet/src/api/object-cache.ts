// The objects a pod's volumes refer to (ConfigMaps, Secrets, claims and their volumes), kept
// for a short while between pod syncs. A pod worker syncs every 2 s, and every sync refreshes
// the pod's volumes; reading each object from the apiserver on every sync made the kubelets the
// apiserver's busiest clients (a GET of kube-root-ca.crt per pod every 2 s). Upstream's kubelet
// syncs a pod once a minute and reads these objects through a cache (configMapAndSecretChange-
// DetectionStrategy: Watch, or Cache with a TTL). Here a read is at most `ttlMs` old, so an update
// reaches a mounted file within ttlMs plus one sync; a pod's first set-up always reads afresh, as
// upstream's cache does when a pod is registered, so a new pod never starts from stale content.
// A missing object is not kept: a pod waiting for it sees it at its next sync.
import type { V1ConfigMap, V1PersistentVolume, V1PersistentVolumeClaim, V1Secret } from '@kubernetes/client-node';
import type { PodObjectSource } from './objects.ts';

/** How old a cached object may be (upstream's Cache strategy defaults to a minute). */
export const OBJECT_CACHE_TTL_MS = 10_000;

interface Entry {
  value: unknown;
  expires: number;
}

export class ObjectCache {
  private readonly source: PodObjectSource;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  /** Reads every object afresh and keeps what it read: for a pod's first set-up. */
  readonly fresh: PodObjectSource;
  /** Reads through the cache. */
  readonly cached: PodObjectSource;

  constructor(source: PodObjectSource, ttlMs = OBJECT_CACHE_TTL_MS, now: () => number = Date.now) {
    this.source = source;
    this.ttlMs = ttlMs;
    this.now = now;
    this.fresh = this.view(false);
    this.cached = this.view(true);
  }

  get size(): number {
    return this.entries.size;
  }

  private view(useCache: boolean): PodObjectSource {
    const s = this.source;
    return {
      configMap: (ns, name) => this.read<V1ConfigMap>(`configmap/${ns}/${name}`, useCache, () => s.configMap(ns, name)),
      secret: (ns, name) => this.read<V1Secret>(`secret/${ns}/${name}`, useCache, () => s.secret(ns, name)),
      persistentVolumeClaim: (ns, name) => this.read<V1PersistentVolumeClaim>(`pvc/${ns}/${name}`, useCache, () => s.persistentVolumeClaim(ns, name)),
      persistentVolume: (name) => this.read<V1PersistentVolume>(`pv/${name}`, useCache, () => s.persistentVolume(name)),
      // tokens have a cache of their own, refreshed at 80% of their lifetime
      serviceAccountToken: (req) => s.serviceAccountToken(req),
    };
  }

  private async read<T>(key: string, useCache: boolean, load: () => Promise<T | null>): Promise<T | null> {
    const now = this.now();
    const hit = this.entries.get(key);
    if (useCache && hit && hit.expires > now) return hit.value as T;
    const value = await load();
    if (value === null) this.entries.delete(key);
    else this.entries.set(key, { value, expires: this.now() + this.ttlMs });
    if (this.entries.size > 256) this.prune();
    return value;
  }

  private prune(): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (e.expires <= now) this.entries.delete(k);
  }
}
