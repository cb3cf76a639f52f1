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

/**
 * The cached object a shareable copy was made from, under a non-enumerable symbol key: JSON,
 * Object.keys, spreads, deep-equality and the protobuf encoder do not see it. Encodings of a
 * cached object are kept with this source (pipeline/encoded-objects.ts).
 */
const SHARED_FROM = Symbol('skiff.sharedFrom');

export function shareable(obj: KObject): KObject {
  const copy: KObject = { ...obj, metadata: { ...obj.metadata } };
  Object.defineProperty(copy, SHARED_FROM, { value: sharedFrom(obj) ?? obj });
  return copy;
}

export function sharedFrom(obj: KObject): KObject | undefined {
  return (obj as { [SHARED_FROM]?: KObject })[SHARED_FROM];
}

/** One level of an object as it was when it was encoded: its keys in order and their values. */
interface Level {
  keys: string[];
  values: unknown[];
}

/**
 * What an encoding of a shareable copy depends on beyond its frozen parts: the keys and values
 * of its top level and of its metadata, the two levels a copy has of its own.
 */
export interface CopySnapshot {
  top: Level;
  metadata: Level | undefined;
}

function levelOf(o: Record<string, unknown>): Level {
  const keys = Object.keys(o);
  return { keys, values: keys.map((k) => o[k]) };
}

export function snapshotOf(obj: KObject): CopySnapshot {
  const metadata = obj.metadata && typeof obj.metadata === 'object' ? levelOf(obj.metadata as Record<string, unknown>) : undefined;
  return { top: levelOf(obj as Record<string, unknown>), metadata };
}

/** The same value for an encoder: the same primitive, or the same object frozen below. */
function sameFrozenValue(was: unknown, now: unknown): boolean {
  return was === now && (typeof now !== 'object' || now === null || Object.isFrozen(now));
}

function sameLevel(was: Level, now: Record<string, unknown>, metadata: Level | undefined): boolean {
  const keys = Object.keys(now);
  if (keys.length !== was.keys.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k !== was.keys[i]) return false;
    const value = now[k];
    if (metadata && k === 'metadata' && value && typeof value === 'object') {
      if (!sameLevel(metadata, value as Record<string, unknown>, undefined)) return false;
    } else if (!sameFrozenValue(was.values[i], value)) {
      return false;
    }
  }
  return true;
}

/**
 * Whether `obj` encodes exactly as the object the snapshot was taken of: the same keys in the
 * same order at the top level and in metadata, each value the same primitive or the very same
 * frozen object. Anything else (a converted or unfrozen object, a changed field) does not.
 */
export function matchesSnapshot(snapshot: CopySnapshot, obj: KObject): boolean {
  return sameLevel(snapshot.top, obj as Record<string, unknown>, snapshot.metadata);
}
