// Values are stored as JSON without metadata.resourceVersion; the revision etcd assigns
// to a write is the resourceVersion readers see.
import type { IEvent, IKeyValue } from 'etcd3';
import type { KObject } from '../registry/types.ts';
import type { WatchEvent } from './interface.ts';

export function encodeObject(obj: KObject): string {
  const { resourceVersion: _dropped, ...metadata } = obj.metadata ?? {};
  return JSON.stringify({ ...obj, metadata });
}

export function decodeValue(value: Buffer | string, revision: number | string): KObject {
  const obj = JSON.parse(value.toString()) as KObject;
  if (!obj.metadata || typeof obj.metadata !== 'object') obj.metadata = {};
  obj.metadata.resourceVersion = String(revision);
  return obj;
}

/** `plain` gives a value's plain bytes (decrypted when encryption at rest is on). */
export function decodeKeyValue(kv: IKeyValue, plain: (kv: IKeyValue) => Buffer = (v) => v.value): KObject {
  return decodeValue(plain(kv), kv.mod_revision);
}

/** A stand-in for a deleted object whose last state was compacted away: name and namespace from the key. */
function skeletonFromKey(key: string, revision: string): KObject {
  const parts = key.split('/').filter((p) => p !== '');
  const metadata: KObject['metadata'] = { name: parts[parts.length - 1], resourceVersion: revision };
  if (parts.length >= 4) metadata.namespace = parts[parts.length - 2];
  return { metadata };
}

/**
 * One etcd event as the API sees it. `keyOf` maps the etcd key back to the storage key
 * (without the instance prefix).
 */
export function toWatchEvent(ev: IEvent, keyOf: (k: Buffer) => string, plain: (kv: IKeyValue) => Buffer = (v) => v.value): { key: string; event: WatchEvent } {
  const key = keyOf(ev.kv.key);
  const revision = Number(ev.kv.mod_revision);
  const prevObject = ev.prev_kv ? decodeKeyValue(ev.prev_kv, plain) : undefined;
  if (ev.type === 'Delete') {
    const last = ev.prev_kv ? decodeValue(plain(ev.prev_kv), revision) : skeletonFromKey(key, String(revision));
    return { key, event: { type: 'DELETED', object: last, prevObject, revision } };
  }
  const object = decodeKeyValue(ev.kv, plain);
  // create_revision == mod_revision marks the write that created the key
  if (ev.kv.create_revision === ev.kv.mod_revision) return { key, event: { type: 'ADDED', object, revision } };
  return { key, event: { type: 'MODIFIED', object, prevObject, revision } };
}
