// Encryption at rest: which transformer a storage key's value goes through. The etcd storage
// asks `forKey` once per read or write; the generic store knows nothing of it.
import type { GroupResource, TransformerOverrides } from './config.ts';
import { transformerFor } from './config.ts';
import type { ValueTransformer } from './transformer.ts';

export { EncryptionConfigError, loadEncryptionConfig, parseEncryptionConfig, AESCBC_PREFIX, AESGCM_PREFIX } from './config.ts';
export type { GroupResource, TransformerOverrides } from './config.ts';
export type { FromStorage, ValueTransformer } from './transformer.ts';

/** The transformer for a storage key (`/registry/<resource>/...`), undefined for values kept as they are. */
export type KeyTransformers = (storageKey: string) => ValueTransformer | undefined;

/**
 * `resourceOf` names the group-resource stored under a key's `/registry/<segment>/`; the
 * registry knows it (events.k8s.io Events live under core `events`, as in Kubernetes).
 */
export function keyTransformers(overrides: TransformerOverrides, resourceOf: (segment: string) => GroupResource): KeyTransformers {
  const bySegment = new Map<string, ValueTransformer | undefined>();
  return (storageKey) => {
    const segment = storageKey.split('/', 3)[2] ?? '';
    if (bySegment.has(segment)) return bySegment.get(segment);
    const t = transformerFor(overrides, resourceOf(segment));
    bySegment.set(segment, t);
    return t;
  };
}
