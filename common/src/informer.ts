// A list+watch cache on the official client's ListWatch, made resilient: the client's
// informer stops on any error, so this one restarts it with back-off (and relists when the
// apiserver answers 410, which the client already handles).
import { ListWatch, Watch, type KubeConfig, type KubernetesObject, type KubernetesListObject } from '@kubernetes/client-node';
import { CacheIndex, type IndexFunc } from './informer-index.ts';
import type { Logger } from './log.ts';

export interface InformerOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** watch path, e.g. /api/v1/pods or /apis/apps/v1/deployments */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  fieldSelector?: string;
  log?: Logger;
  maxBackoffMs?: number;
}

export type Handler<T> = { add?(obj: T): void; update?(obj: T): void; delete?(obj: T): void };

export class Informer<T extends KubernetesObject> {
  private readonly lw: ListWatch<T>;
  private synced = false;
  private stopped = false;
  private backoffMs = 500;
  private retryTimer?: NodeJS.Timeout;
  private readonly syncWaiters: (() => void)[] = [];
  private readonly indexes = new Map<string, CacheIndex<T>>();

  constructor(opts: InformerOptions<T>) {
    this.lw = new ListWatch<T>(
      opts.path,
      new Watch(opts.kubeConfig),
      async () => {
        const l = await opts.list();
        this.markSynced();
        this.backoffMs = 500;
        return l;
      },
      false,
      opts.labelSelector,
      opts.fieldSelector,
    );
    // registered first, so that an index is up to date when any other handler runs
    this.lw.on('add', (o) => this.fileInIndexes(o));
    this.lw.on('update', (o) => this.fileInIndexes(o));
    this.lw.on('delete', (o) => this.dropFromIndexes(o));
    this.lw.on('error', (err: any) => {
      if (this.stopped) return;
      const delay = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, opts.maxBackoffMs ?? 30_000);
      opts.log?.warn('informer error, restarting', { path: opts.path, delayMs: delay, err: err?.message ?? String(err) });
      this.retryTimer = setTimeout(() => {
        if (!this.stopped) void this.lw.start().catch(() => undefined);
      }, delay);
    });
  }

  on(h: Handler<T>): this {
    if (h.add) this.lw.on('add', h.add);
    if (h.update) this.lw.on('update', h.update);
    if (h.delete) this.lw.on('delete', h.delete);
    return this;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.lw.start().catch(() => undefined);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    void this.lw.stop();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((r) => this.syncWaiters.push(r));
  }

  private markSynced(): void {
    if (this.synced) return;
    // the list's items are delivered right after listFn returns; let them land first
    setImmediate(() => {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    });
  }

  get(name: string, namespace?: string): T | undefined {
    return this.lw.get(name, namespace);
  }
  list(namespace?: string): readonly T[] {
    return this.lw.list(namespace);
  }

  /**
   * Keeps an index of the cache under `name` (once: a second call with the same name is a
   * no-op, so controllers sharing an informer can each ask for it). A lookup by index costs the
   * objects it finds, where filtering list() costs every object of the cache.
   */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.indexes.has(name)) return;
    const index = new CacheIndex(fn);
    this.indexes.set(name, index);
    for (const o of this.lw.list()) index.file(o);
  }

  /** The objects filed under `value` in index `name` (addIndex first). */
  byIndex(name: string, value: string): T[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`no index ${name} on this informer (addIndex first)`);
    return index.get(value);
  }

  private fileInIndexes(o: T): void {
    for (const index of this.indexes.values()) index.file(o);
  }

  private dropFromIndexes(o: T): void {
    for (const index of this.indexes.values()) index.drop(o);
  }
}
