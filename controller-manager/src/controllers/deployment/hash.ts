// pod-template-hash: a stable hash of the pod template (plus the collision count), encoded
// with the same vowel-free alphabet Kubernetes uses (rand.SafeEncodeString), e.g. 5d8f7c9b6.
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { canonicalJson } from '../../lib/canonical-json.ts';

export const podTemplateHashLabel = 'pod-template-hash';
const alphanums = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a, 32 bit. */
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

export function computePodTemplateHash(template: V1PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv1a32(new TextEncoder().encode(canonicalJson(template ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv1a32(b, h);
  }
  return safeEncode(String(h));
}

function withoutHashLabel(t: V1PodTemplateSpec | undefined): unknown {
  const copy = structuredClone(t ?? {}) as V1PodTemplateSpec;
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[podTemplateHashLabel];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  return copy;
}

/** Upstream EqualIgnoreHash: the templates are equal apart from the pod-template-hash label. */
export function templatesEqualIgnoringHash(a: V1PodTemplateSpec | undefined, b: V1PodTemplateSpec | undefined): boolean {
  return canonicalJson(withoutHashLabel(a)) === canonicalJson(withoutHashLabel(b));
}
