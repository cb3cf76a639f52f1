// A short, stable name suffix for an API value: FNV-1a 32 over its canonical JSON (plus a
// collision count), written with Kubernetes' vowel-free alphabet (rand.SafeEncodeString), e.g.
// 5d8f7c9b6. Deployments use it for pod-template-hash, DaemonSets and StatefulSets for
// controller-revision-hash.
import { canonicalJson } from './canonical-json.ts';

const alphanums = 'bcdfghjklmnpqrstvwxz2456789';

function fnv1a32(data: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of data) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += alphanums[s.charCodeAt(i) % alphanums.length];
  return out;
}

/** The hash of `value`; a collision count (when set) moves it to a fresh name. */
export function stableHash(value: unknown, collisionCount?: number | null): string {
  let h = fnv1a32(new TextEncoder().encode(canonicalJson(value ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv1a32(b, h);
  }
  return safeEncode(String(h));
}
