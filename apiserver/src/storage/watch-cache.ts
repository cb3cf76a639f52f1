// The in-memory copy of one resource (everything under /registry/<resource>/), kept current
// by a single etcd watch, with a ring of recent events. Any number of API watchers and lists
// are served from here without touching etcd.
import type { Logger } from '@skiff/common';
import type { KObject } from '../registry/types.ts';
import type { ListOptions, ListResult, WatchEvent, WatchOptions, Watcher, WatchTrigger } from './interface.ts';
import type { EtcdStorage } from './etcd-storage.ts';
import { bookmarkEvent } from './etcd-storage.ts';
import { EtcdWatchStream } from './etcd-watch.ts';
import { EventRing } from './event-ring.ts';
import { encodeContinue } from './continue-token.ts';
import { deepFreeze, shareable } from './frozen.ts';
import { prefixRangeEnd } from './keys.ts';
import { parseResourceVersion, watchTooOld } from './storage-errors.ts';

export interface WatchCacheOptions {
  /** events kept for watches that resume from a revision */
  capacity: number;
  bookmarkIntervalMs: number;
  logger: Logger;
}

/** Also lets the HTTP layer ask for a bookmark, e.g. just before it ends a watch on timeout. */
export interface CacheWatcher extends Watcher {
  requestBookmark(): void;
}

interface Subscriber {
  prefix: string;
  /** only events after this revision are delivered */
  after: number;
  allowBookmarks: boolean;
  trigger?: WatchTrigger;
  onEvent: (ev: WatchEvent) => void;
  stop: () => void;
}

const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

export class WatchCache {
  readonly resourcePrefix: string;
  private readonly etcd: EtcdStorage;
  private readonly opts: WatchCacheOptions;
  private readonly objects = new Map<string, KObject>();
  /** keys in order, rebuilt lazily after keys come or go */
  private sortedKeys: string[] | null = null;
  private ring: EventRing;
  private stream: EtcdWatchStream | undefined;
  /** every watcher (bookmarks, stop, the count) */
  private readonly subscribers = new Set<Subscriber>();
  /** the watchers offered every event of their prefix */
  private readonly untriggered = new Set<Subscriber>();
  /** the watchers with a trigger, by the trigger's function, then by its value */
  private readonly triggered = new Map<WatchTrigger['of'], Map<string, Set<Subscriber>>>();
  private revisionWaiters: Array<{ revision: number; resolve: () => void }> = [];
  private bookmarkTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private initializing: Promise<void> | undefined;
  /** the newest revision reflected in `objects` */
  revision = 0;

  constructor(etcd: EtcdStorage, resourcePrefix: string, opts: WatchCacheOptions) {
    this.etcd = etcd;
    this.resourcePrefix = resourcePrefix;
    this.opts = opts;
    this.ring = new EventRing(opts.capacity, 0);
    this.bookmarkTimer = setInterval(() => this.bookmarkAll(), opts.bookmarkIntervalMs);
    this.bookmarkTimer.unref();
  }

  /** Resolves once the cache holds a full copy; a failed start is retried on the next call. */
  ready(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('watch cache stopped'));
    if (!this.initializing) {
      this.initializing = this.initialize();
      this.initializing.catch(() => {
        this.initializing = undefined;
      });
    }
    return this.initializing;
  }

  private async initialize(): Promise<void> {
    const snapshot = await this.etcd.readAll(this.resourcePrefix);
    if (this.stopped) return;
    this.objects.clear();
    this.sortedKeys = null;
    for (const { key, object } of snapshot.entries) this.objects.set(key, deepFreeze(object));
    this.revision = snapshot.revision;
    this.ring = new EventRing(this.opts.capacity, snapshot.revision);
    const prefixBytes = Buffer.from(this.etcd.prefix + this.resourcePrefix);
    this.stream = new EtcdWatchStream(
      this.etcd.client,
      {
        key: prefixBytes,
        rangeEnd: prefixRangeEnd(prefixBytes),
        startRevision: snapshot.revision + 1,
        logger: this.opts.logger,
      },
      {
        onEvents: (events) => {
          for (const ev of events) {
            const change = this.etcd.watchEvent(ev);
            if (change) this.apply(change);
          }
          this.wakeWaiters();
        },
        onProgress: (revision) => {
          if (revision <= this.revision) return;
          this.revision = revision;
          this.wakeWaiters();
        },
        onCompacted: (requested, compactRevision) => this.restart(requested, compactRevision),
      },
    );
  }

  /** etcd compacted past what this cache has seen (e.g. after a long outage): start over. */
  private restart(requested: number, compactRevision: number): void {
    this.opts.logger.warn('watch cache fell behind compaction, relisting', { resource: this.resourcePrefix, requested, compactRevision });
    const expired = watchTooOld(requested, compactRevision).toStatus() as KObject;
    for (const s of [...this.subscribers]) {
      this.deliver(s, { type: 'ERROR', object: expired, revision: compactRevision });
      s.stop();
    }
    this.stream = undefined;
    this.initializing = undefined;
    void this.ready().catch((err) => this.opts.logger.error('watch cache relist failed', { err: String(err) }));
  }

  private apply({ key, event }: { key: string; event: WatchEvent }): void {
    deepFreeze(event);
    if (event.type === 'DELETED') {
      if (this.objects.delete(key)) this.sortedKeys = null;
    } else {
      if (!this.objects.has(key)) this.sortedKeys = null;
      this.objects.set(key, event.object);
    }
    this.revision = Math.max(this.revision, event.revision);
    this.ring.push({ key, event });
    const offer = (s: Subscriber) => {
      if (event.revision > s.after && key.startsWith(s.prefix)) this.deliver(s, event);
    };
    for (const s of this.untriggered) offer(s);
    for (const [of, byValue] of this.triggered) {
      const now = triggerValue(of, event.object);
      const before = event.prevObject ? triggerValue(of, event.prevObject) : now;
      if (now === undefined || before === undefined) {
        // an object the trigger cannot read goes to all of its watchers: their filters decide
        for (const set of byValue.values()) for (const s of set) offer(s);
        continue;
      }
      for (const s of byValue.get(now) ?? []) offer(s);
      if (before !== now) for (const s of byValue.get(before) ?? []) offer(s);
    }
  }

  private subscribe(s: Subscriber): void {
    this.subscribers.add(s);
    if (!s.trigger) {
      this.untriggered.add(s);
      return;
    }
    let byValue = this.triggered.get(s.trigger.of);
    if (!byValue) this.triggered.set(s.trigger.of, (byValue = new Map()));
    let set = byValue.get(s.trigger.value);
    if (!set) byValue.set(s.trigger.value, (set = new Set()));
    set.add(s);
  }

  private unsubscribe(s: Subscriber): void {
    this.subscribers.delete(s);
    this.untriggered.delete(s);
    if (!s.trigger) return;
    const byValue = this.triggered.get(s.trigger.of);
    const set = byValue?.get(s.trigger.value);
    set?.delete(s);
    if (set?.size === 0) byValue!.delete(s.trigger.value);
    if (byValue?.size === 0) this.triggered.delete(s.trigger.of);
  }

  private deliver(s: Subscriber, event: WatchEvent): void {
    const copy: WatchEvent = { ...event, object: shareable(event.object) };
    if (event.prevObject) copy.prevObject = shareable(event.prevObject);
    try {
      s.onEvent(copy);
    } catch (err) {
      // one broken consumer must not starve the others
      this.opts.logger.error('watch consumer failed; stopping its watch', { err: String(err), prefix: s.prefix });
      s.stop();
    }
  }

  private wakeWaiters(): void {
    if (this.revisionWaiters.length === 0) return;
    const still: typeof this.revisionWaiters = [];
    for (const w of this.revisionWaiters) {
      if (this.revision >= w.revision) w.resolve();
      else still.push(w);
    }
    this.revisionWaiters = still;
  }

  /** Waits (bounded) until the cache reflects `revision`; false on timeout. */
  async waitForRevision(revision: number, timeoutMs: number): Promise<boolean> {
    await this.ready();
    if (this.revision >= revision) return true;
    return new Promise<boolean>((resolve) => {
      let progressTimer: NodeJS.Timeout | undefined;
      const waiter = { revision, resolve: () => finish(true) };
      const finish = (ok: boolean) => {
        clearTimeout(deadline);
        clearInterval(progressTimer);
        this.revisionWaiters = this.revisionWaiters.filter((w) => w !== waiter);
        resolve(ok);
      };
      const deadline = setTimeout(() => finish(false), timeoutMs);
      this.revisionWaiters.push(waiter);
      // the revision may belong to another resource: only a progress notification tells us we are there
      this.stream?.requestProgress();
      progressTimer = setInterval(() => this.stream?.requestProgress(), 100);
    });
  }

  private keysInOrder(): string[] {
    if (!this.sortedKeys) this.sortedKeys = [...this.objects.keys()].sort();
    return this.sortedKeys;
  }

  /** List from memory; the caller has decided that the cache is fresh enough. `startKey` comes from a continue token. */
  list(prefix: string, opts: ListOptions, startKey = prefix): ListResult {
    const keys = this.keysInOrder();
    const limit = opts.limit && opts.limit > 0 ? Math.floor(opts.limit) : 0;
    const end = lowerBound(keys, prefixRangeEnd(Buffer.from(prefix)).toString());
    const items: KObject[] = [];
    let i = lowerBound(keys, startKey);
    for (; i < end; i++) {
      const obj = this.objects.get(keys[i])!;
      if (opts.predicate && !opts.predicate(obj)) continue;
      items.push(shareable(obj));
      if (limit > 0 && items.length >= limit) break;
    }
    const result: ListResult = { items, resourceVersion: this.revision };
    if (limit > 0 && i < end - 1) {
      result.continue = encodeContinue(`${keys[i]}\0`, prefix, this.revision);
      if (!opts.predicate) result.remainingItemCount = end - 1 - i;
    }
    return result;
  }

  /** Watch from the cache; call after ready(). Returns synchronously so that no event slips by. */
  watch(prefix: string, opts: WatchOptions, onEvent: (ev: WatchEvent) => void): CacheWatcher {
    const rv = parseResourceVersion(opts.resourceVersion);
    const initial = opts.sendInitialEvents ?? opts.resourceVersion === '0';
    let stopped = false;
    const subscriber: Subscriber = {
      prefix,
      after: this.revision,
      allowBookmarks: opts.allowBookmarks === true,
      ...(opts.trigger ? { trigger: opts.trigger } : {}),
      onEvent: (ev) => {
        if (!stopped) onEvent(ev);
      },
      stop: () => {
        stopped = true;
        this.unsubscribe(subscriber);
      },
    };
    const watcher: CacheWatcher = {
      stop: () => subscriber.stop(),
      requestBookmark: () => {
        if (!stopped) this.bookmark(subscriber);
      },
    };

    if (initial) {
      for (const item of this.list(prefix, {}).items) subscriber.onEvent({ type: 'ADDED', object: item, revision: this.revision });
      if (opts.sendInitialEvents && subscriber.allowBookmarks) {
        subscriber.onEvent(bookmarkEvent(this.revision, { [INITIAL_EVENTS_END_ANNOTATION]: 'true' }));
      }
    } else if (rv > 0) {
      if (rv < this.ring.oldestResumableRevision) {
        subscriber.onEvent({ type: 'ERROR', object: watchTooOld(rv, this.ring.oldestResumableRevision).toStatus() as KObject, revision: this.revision });
        stopped = true;
        return watcher;
      }
      subscriber.after = rv;
      for (const e of this.ring.since(rv)) if (e.key.startsWith(prefix)) this.deliver(subscriber, e.event);
      subscriber.after = Math.max(rv, this.revision);
    }
    if (!stopped) this.subscribe(subscriber);
    return watcher;
  }

  private bookmark(s: Subscriber): void {
    // never send a bookmark behind what the watcher asked for
    if (s.allowBookmarks && this.revision >= s.after) this.deliver(s, bookmarkEvent(this.revision));
  }

  private bookmarkAll(): void {
    this.stream?.requestProgress();
    for (const s of this.subscribers) this.bookmark(s);
  }

  get watcherCount(): number {
    return this.subscribers.size;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.bookmarkTimer);
    this.stream?.stop();
    for (const s of [...this.subscribers]) s.stop();
    this.revisionWaiters = [];
  }
}

/** A trigger's value of an object; undefined when the trigger throws on it. */
function triggerValue(of: WatchTrigger['of'], obj: KObject): string | undefined {
  try {
    return of(obj);
  } catch {
    return undefined;
  }
}

/** First index whose key is >= `key`. */
function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
