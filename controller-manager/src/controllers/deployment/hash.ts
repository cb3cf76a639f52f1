// pod-template-hash: the stable hash (lib/stable-hash.ts) of the pod template plus the
// Deployment's collision count.
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { canonicalJson } from '../../lib/canonical-json.ts';
import { stableHash } from '../../lib/stable-hash.ts';

export const podTemplateHashLabel = 'pod-template-hash';

export function computePodTemplateHash(template: V1PodTemplateSpec | undefined, collisionCount?: number): string {
  return stableHash(template ?? {}, collisionCount);
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
