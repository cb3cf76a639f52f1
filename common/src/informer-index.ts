// An index of an informer's cache (client-go's cache.Indexer): each object filed under the
// values an IndexFunc gives it, kept up to date as objects are added, changed and deleted, so
// that "the pods of node X" costs the pods found rather than every pod of the cache.
import type { KubernetesObject } from '@kubernetes/client-node';

/** The values an object is filed under (client-go's IndexFunc), e.g. a pod's node name. */
export type IndexFunc<T> = (obj: T) => readonly string[];

const objectKey = (o: KubernetesObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export class CacheIndex<T extends KubernetesObject> {
  private readonly fn: IndexFunc<T>;
  /** index value -> object key -> object */
  private readonly byValue = new Map<string, Map<string, T>>();
  /** object key -> the values it is filed under now */
  private readonly valuesOf = new Map<string, readonly string[]>();

  constructor(fn: IndexFunc<T>) {
    this.fn = fn;
  }

  /** Files a new or changed object (an update may move it to other values). */
  file(o: T): void {
    const key = objectKey(o);
    this.unfile(key);
    const values = this.fn(o);
    this.valuesOf.set(key, values);
    for (const v of values) {
      let objects = this.byValue.get(v);
      if (!objects) this.byValue.set(v, (objects = new Map()));
      objects.set(key, o);
    }
  }

  drop(o: T): void {
    this.unfile(objectKey(o));
  }

  /** The objects filed under `value`, the latest version of each. */
  get(value: string): T[] {
    return [...(this.byValue.get(value)?.values() ?? [])];
  }

  private unfile(key: string): void {
    for (const v of this.valuesOf.get(key) ?? []) {
      const objects = this.byValue.get(v);
      objects?.delete(key);
      if (objects?.size === 0) this.byValue.delete(v);
    }
    this.valuesOf.delete(key);
  }
}
