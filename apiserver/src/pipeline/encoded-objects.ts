// The encodings of cached objects, kept with them. A LIST served from the watch cache hands out
// shallow copies of the same frozen objects every time (storage/frozen.ts shareable), and
// encoding them was most of a large LIST's time: JSON.stringify of 10,000 pods took more than
// half of the apiserver's busy time in P3's profile (docs/performance.md). Each object's JSON
// and protobuf message are kept with the frozen object the copy came from, in weak maps, so
// they go when the watch cache drops that version, and are used again only for a copy that
// encodes exactly the same (frozen.ts matchesSnapshot); anything else is encoded afresh.
import { encodeProtobufMessage } from '../protobuf/index.ts';
import type { KObject } from '../registry/types.ts';
import { type CopySnapshot, matchesSnapshot, sharedFrom, snapshotOf } from '../storage/frozen.ts';

interface Kept<T> {
  snapshot: CopySnapshot;
  value: T;
}

export class EncodingCache<T> {
  private readonly kept = new WeakMap<KObject, Kept<T>>();
  private readonly encode: (obj: KObject) => T;
  constructor(encode: (obj: KObject) => T) {
    this.encode = encode;
  }

  /** The encoding of `obj`: kept from an earlier copy of the same cached object, or made now. */
  of(obj: KObject): T {
    const source = sharedFrom(obj);
    if (!source) return this.encode(obj);
    const kept = this.kept.get(source);
    if (kept && matchesSnapshot(kept.snapshot, obj)) return kept.value;
    const value = this.encode(obj);
    this.kept.set(source, { snapshot: snapshotOf(obj), value });
    return value;
  }
}

/**
 * Each listed object's JSON, as UTF-8 bytes: a list is then one copy of them into a buffer, and
 * a socket takes a buffer far faster than a large string (writing a 10,000-pod list as a string
 * was 42% of the apiserver's busy time).
 */
export const objectJson = new EncodingCache<Buffer>((obj) => Buffer.from(JSON.stringify(obj)));

/** Each listed object's protobuf message (without the envelope a single object's body has). */
export const objectProtobuf = new EncodingCache<Uint8Array>((obj) => encodeProtobufMessage(obj as Record<string, unknown>));
