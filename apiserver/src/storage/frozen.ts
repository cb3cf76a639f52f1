// Cached objects are shared by every list and watcher, so they are frozen: a consumer that
// mutates one fails loudly instead of corrupting the cache. Consumers get a copy of the top
// level and of metadata, where the API server legitimately writes (kind, apiVersion, ...).
import type { KObject } from '../registry/types.ts';

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function shareable(obj: KObject): KObject {
  return { ...obj, metadata: { ...obj.metadata } };
}
