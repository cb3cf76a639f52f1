// An in-memory copy of one resource, kept by listing and then watching it through the store:
// the apiserver's in-process informer. Authorizers answer from it, never with a storage read
// per request, and the apiserver's own controllers (CRDs, their APIServices) are driven by its
// changes. A watch that ends (its revision was compacted) is replaced by a fresh list and watch;
// objects gone in between are reported DELETED.
import type { Logger } from '@skiff/common';
import type { Store } from '../registry/store.ts';
import type { KObject } from '../registry/types.ts';
import type { Watcher } from '../storage/interface.ts';

export type ObjectsChanged = (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KObject, old: KObject | undefined) => void;

const keyOf = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export class WatchedObjects {
  readonly objects = new Map<string, KObject>();
  private watcher: Watcher | undefined;
  private stopped = false;

  private readonly store: Store;
  private readonly onChange: ObjectsChanged;
  private readonly log: Logger | undefined;

  constructor(store: Store, onChange: ObjectsChanged, log?: Logger) {
    this.store = store;
    this.onChange = onChange;
    this.log = log;
  }

  get(namespace: string | undefined, name: string): KObject | undefined {
    return this.objects.get(`${namespace ?? ''}/${name}`);
  }

  /** Resolves once the first list is in memory. */
  async start(): Promise<void> {
    const list = await this.store.list(undefined, {});
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const o of list.items) {
      const k = keyOf(o);
      seen.add(k);
      const old = this.objects.get(k);
      this.objects.set(k, o);
      this.onChange(old ? 'MODIFIED' : 'ADDED', o, old);
    }
    for (const [k, old] of [...this.objects]) {
      if (seen.has(k)) continue;
      this.objects.delete(k);
      this.onChange('DELETED', old, old);
    }
    this.watcher = await this.store.watch(undefined, { resourceVersion: list.resourceVersion }, (ev) => {
      if (ev.type === 'ERROR') {
        this.restart();
        return;
      }
      if (ev.type === 'BOOKMARK') return;
      const k = keyOf(ev.object);
      const old = this.objects.get(k);
      if (ev.type === 'DELETED') this.objects.delete(k);
      else this.objects.set(k, ev.object);
      this.onChange(ev.type as 'ADDED' | 'MODIFIED' | 'DELETED', ev.object, old);
    });
  }

  private restart(): void {
    this.watcher?.stop();
    this.watcher = undefined;
    if (this.stopped) return;
    setTimeout(() => {
      if (this.stopped) return;
      this.start().catch((e: unknown) => {
        this.log?.error('relisting failed', { resource: this.store.def.resource, err: e as Error });
        this.restart();
      });
    }, 200).unref();
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.stop();
  }
}
