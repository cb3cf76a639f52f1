// A cache of one kind kept by list and watch, as client-go's reflector keeps an informer's
// store, on this server's plain HTTPS client (no @kubernetes/client-node, see kubeconfig.ts).
// Only what `pick` keeps of each object stays in memory. The list is read in pages
// (`limit`/`continue`) so that 5,000 pods never sit in memory as one body; the watch asks for
// bookmarks and follows every event's resourceVersion, so a watch the apiserver ends is
// resumed where it stopped, without a new list. A 410 Gone (an ERROR event or the answer to the
// watch) lists again at once; any other failure (an expired page too) lists again after a
// back-off (1 s doubling to 30 s).
import type { Logger } from '@skiff/common/log';
import type { ApiserverClient } from './apiserver-client.ts';

export interface WatchedObject {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string };
  [field: string]: unknown;
}

interface ListPage {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: WatchedObject[];
}

export interface ListWatchOptions<T> {
  api: ApiserverClient;
  /** the collection, e.g. /api/v1/nodes */
  path: string;
  /** Accept of the list requests, e.g. metadata only (PartialObjectMetadataList) */
  listAccept?: string;
  /** what is kept of an object */
  pick(obj: WatchedObject): T;
  /** objects per list page (default 500, client-go's pager default) */
  pageSize?: number;
  log: Logger;
}

const gone = (e: unknown) => (e as { code?: number }).code === 410;

/** namespace/name, or name: the key objects are cached under. */
export function objectKey(obj: WatchedObject): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? '');
}

export class ListWatchCache<T> {
  private items = new Map<string, T>();
  private readonly o: ListWatchOptions<T>;
  private resourceVersion = '';
  private synced = false;
  private stopped = false;
  private delay = 1000;
  private timer?: NodeJS.Timeout;
  private abort?: () => void;

  constructor(o: ListWatchOptions<T>) {
    this.o = o;
  }

  list(): T[] {
    return [...this.items.values()];
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves after the first complete list. */
  start(): Promise<void> {
    return new Promise((resolve) => {
      const run = async () => {
        if (this.stopped) return;
        let watching = false;
        try {
          if (!this.resourceVersion) {
            await this.relist();
            this.synced = true;
            resolve();
          }
          const since = Date.now();
          watching = true;
          await this.watch();
          // ended by the apiserver (its watch timeout): resume from the last resourceVersion;
          // a watch that ends as soon as it starts is retried with the back-off
          if (Date.now() - since > 1000) this.delay = 1000;
          this.schedule(Date.now() - since > 1000 ? 0 : this.backoff(), run);
        } catch (e) {
          if (this.stopped) return;
          this.resourceVersion = '';
          if (watching && gone(e)) {
            this.o.log.info('resourceVersion too old, listing again', { path: this.o.path });
            this.schedule(0, run);
            return;
          }
          const delayMs = this.backoff();
          this.o.log.warn('list/watch failed, retrying', { path: this.o.path, delayMs, err: (e as Error).message });
          this.schedule(delayMs, run);
        }
      };
      void run();
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort?.();
  }

  private backoff(): number {
    const d = this.delay;
    this.delay = Math.min(this.delay * 2, 30_000);
    return d;
  }

  private schedule(ms: number, run: () => Promise<void>): void {
    if (!this.stopped) this.timer = setTimeout(() => void run(), ms);
  }

  /** Every page of the list; the cache is replaced only once the last page is in. */
  private async relist(): Promise<void> {
    const items = new Map<string, T>();
    const limit = this.o.pageSize ?? 500;
    let token = '';
    let rv = '';
    do {
      const q = new URLSearchParams({ limit: String(limit) });
      if (token) q.set('continue', token);
      const page = await this.o.api.get<ListPage>(`${this.o.path}?${q}`, this.o.listAccept);
      for (const obj of page.items ?? []) items.set(objectKey(obj), this.o.pick(obj));
      token = page.metadata?.continue ?? '';
      rv = page.metadata?.resourceVersion ?? rv;
    } while (token && !this.stopped);
    this.items = items;
    this.resourceVersion = rv;
    this.delay = 1000;
  }

  private watch(): Promise<void> {
    const q = new URLSearchParams({ watch: '1', allowWatchBookmarks: 'true', resourceVersion: this.resourceVersion });
    return new Promise((resolve, reject) => {
      const stream = this.o.api.stream(`${this.o.path}?${q}`, (line) => {
        const ev = JSON.parse(line) as { type: string; object: WatchedObject & { code?: number; message?: string } };
        if (ev.type === 'ERROR') {
          stream.close(Object.assign(new Error(`watch ${this.o.path}: ${ev.object.code ?? ''} ${ev.object.message ?? ''}`), { code: ev.object.code }));
          return;
        }
        if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.items.set(objectKey(ev.object), this.o.pick(ev.object));
        else if (ev.type === 'DELETED') this.items.delete(objectKey(ev.object));
        const rv = ev.object.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
      });
      this.abort = () => stream.close();
      stream.done.then(resolve, reject);
    });
  }
}
