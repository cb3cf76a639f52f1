// Storage with kube-apiserver's watch cache in front: writes and single reads go to etcd,
// lists and watches of a resource are served from one in-memory copy per resource that a
// single etcd watch keeps current.
import { createLogger } from '@skiff/common/log';
import type { Logger } from '@skiff/common';
import type { KObject } from '../registry/types.ts';
import type { ListOptions, ListResult, Storage, WatchEvent, WatchOptions, Watcher } from './interface.ts';
import type { EtcdStorage } from './etcd-storage.ts';
import { WatchCache } from './watch-cache.ts';
import { decodeContinue } from './continue-token.ts';
import { resourcePrefixOf } from './keys.ts';
import { parseResourceVersion } from './storage-errors.ts';

export interface CachedStorageOptions {
  /** events kept per resource for watches that resume from a revision (default 1000) */
  eventsPerResource?: number;
  /** how often bookmark-enabled watchers get a BOOKMARK (default 1 min) */
  bookmarkIntervalMs?: number;
  /** how long a list waits for the cache to catch up before reading etcd instead (default 3 s) */
  freshnessTimeoutMs?: number;
  logger?: Logger;
}

export class CachedStorage implements Storage {
  readonly etcd: EtcdStorage;
  private readonly caches = new Map<string, WatchCache>();
  private readonly capacity: number;
  private readonly bookmarkIntervalMs: number;
  private readonly freshnessTimeoutMs: number;
  private readonly log: Logger;

  constructor(etcd: EtcdStorage, opts: CachedStorageOptions = {}) {
    this.etcd = etcd;
    this.capacity = opts.eventsPerResource ?? 1000;
    this.bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 60_000;
    this.freshnessTimeoutMs = opts.freshnessTimeoutMs ?? 3000;
    this.log = opts.logger ?? createLogger('storage');
  }

  /** The cache for the resource `keyOrPrefix` lies in, created on first use; undefined for wider prefixes. */
  private cacheFor(keyOrPrefix: string): WatchCache | undefined {
    const resourcePrefix = resourcePrefixOf(keyOrPrefix);
    if (!resourcePrefix) return undefined;
    let cache = this.caches.get(resourcePrefix);
    if (!cache) {
      cache = new WatchCache(this.etcd, resourcePrefix, {
        capacity: this.capacity,
        bookmarkIntervalMs: this.bookmarkIntervalMs,
        logger: this.log.child({ watchCache: resourcePrefix }),
      });
      this.caches.set(resourcePrefix, cache);
    }
    return cache;
  }

  get(key: string): Promise<KObject | undefined> {
    return this.etcd.get(key);
  }

  create(key: string, obj: KObject, opts?: { ttlSeconds?: number }): Promise<KObject> {
    return this.etcd.create(key, obj, opts);
  }

  guaranteedUpdate(
    key: string,
    update: (current: KObject | undefined) => Promise<KObject | undefined> | KObject | undefined,
    opts?: { expectedResourceVersion?: string; ignoreNotFound?: boolean; ttlSeconds?: number },
  ): Promise<KObject> {
    return this.etcd.guaranteedUpdate(key, update, opts);
  }

  delete(key: string, opts?: { expectedResourceVersion?: string }): Promise<KObject> {
    return this.etcd.delete(key, opts);
  }

  currentRevision(): Promise<number> {
    return this.etcd.currentRevision();
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const cache = this.cacheFor(prefix);
    if (!cache) return this.etcd.list(prefix, opts);
    const rv = parseResourceVersion(opts.resourceVersion);
    if (opts.continue) {
      const pos = decodeContinue(opts.continue, prefix);
      await cache.ready();
      // the cache holds only the newest state: it can go on only if nothing changed since page one
      if (pos.rv === cache.revision && (!opts.resourceVersion || opts.resourceVersion === '0')) {
        return cache.list(prefix, opts, pos.startKey);
      }
      return this.etcd.list(prefix, opts);
    }
    if (opts.resourceVersionMatch === 'Exact') return this.etcd.list(prefix, opts);
    if (opts.resourceVersion === '0') {
      await cache.ready();
      return cache.list(prefix, opts);
    }
    // legacy rule: a paged list at a given resourceVersion reads exactly that revision
    if (rv > 0 && !opts.resourceVersionMatch && opts.limit && opts.limit > 0) return this.etcd.list(prefix, opts);
    // consistent ('' ) or "not older than rv"
    const target = rv > 0 ? rv : await this.etcd.currentRevision();
    if (await cache.waitForRevision(target, this.freshnessTimeoutMs)) return cache.list(prefix, opts);
    this.log.warn('watch cache did not catch up in time, listing from etcd', { prefix, target, cached: cache.revision });
    return this.etcd.list(prefix, opts);
  }

  async watch(prefix: string, opts: WatchOptions, onEvent: (ev: WatchEvent) => void): Promise<Watcher> {
    const cache = this.cacheFor(prefix);
    if (!cache) return this.etcd.watch(prefix, opts, onEvent);
    const rv = parseResourceVersion(opts.resourceVersion);
    await cache.ready();
    // a watch from a revision the cache has not seen yet waits for it, as kube-apiserver's does
    if (rv > cache.revision) await cache.waitForRevision(rv, this.freshnessTimeoutMs);
    return cache.watch(prefix, opts, onEvent);
  }

  /** Lists and watchers served per resource, for metrics and tests. */
  stats(): Array<{ resource: string; revision: number; watchers: number }> {
    return [...this.caches.values()].map((c) => ({ resource: c.resourcePrefix, revision: c.revision, watchers: c.watcherCount }));
  }

  async close(): Promise<void> {
    for (const cache of this.caches.values()) cache.stop();
    this.caches.clear();
    await this.etcd.close();
  }
}
