// Values at rest go through a transformer on their way to and from etcd, as in Kubernetes'
// k8s.io/apiserver/pkg/storage/value: the write path uses the first provider and puts its prefix
// in front; the read path picks the provider by the prefix the stored bytes start with.

/** The authenticated data of a value: its etcd key, so that a value copied to another key does not open. */
export type ValueContext = Buffer;

export interface FromStorage {
  data: Buffer;
  /** written by another provider or key than the one new writes use: rewrite it even when unchanged */
  stale: boolean;
}

export interface ValueTransformer {
  toStorage(data: Buffer, context: ValueContext): Buffer;
  /** throws when the bytes cannot be read (unknown prefix, wrong key, tampered data) */
  fromStorage(data: Buffer, context: ValueContext): FromStorage;
}

export interface PrefixTransformer {
  prefix: Buffer;
  transformer: ValueTransformer;
}

const ENCRYPTED_PREFIX = Buffer.from('k8s:enc:');

/**
 * The `identity` provider: stores as is. On read it refuses bytes that carry the encrypted
 * prefix, so that with identity listed first (decrypting everything back to plain text) the
 * providers after it still read what is encrypted.
 */
export const identityTransformer: ValueTransformer = {
  toStorage: (data) => data,
  fromStorage(data) {
    if (data.subarray(0, ENCRYPTED_PREFIX.length).equals(ENCRYPTED_PREFIX)) throw new Error('identity transformer tried to read encrypted data');
    return { data, stale: false };
  },
};

/**
 * Several transformers told apart by prefix. Writes use the first; a read uses the first whose
 * prefix matches and that succeeds (two aescbc providers share a prefix while a key is rotated),
 * and is stale unless that was the first.
 */
export class PrefixTransformers implements ValueTransformer {
  private readonly transformers: readonly PrefixTransformer[];
  private readonly noMatch: string;

  constructor(transformers: readonly PrefixTransformer[], noMatch: string) {
    if (transformers.length === 0) throw new Error('PrefixTransformers needs at least one transformer');
    this.transformers = transformers;
    this.noMatch = noMatch;
  }

  toStorage(data: Buffer, context: ValueContext): Buffer {
    const first = this.transformers[0]!;
    return Buffer.concat([first.prefix, first.transformer.toStorage(data, context)]);
  }

  fromStorage(data: Buffer, context: ValueContext): FromStorage {
    const errors: string[] = [];
    for (let i = 0; i < this.transformers.length; i++) {
      const { prefix, transformer } = this.transformers[i]!;
      if (!data.subarray(0, prefix.length).equals(prefix)) continue;
      try {
        const out = transformer.fromStorage(data.subarray(prefix.length), context);
        return { data: out.data, stale: out.stale || i !== 0 };
      } catch (e) {
        // identity refusing encrypted data is expected when it is listed first: not an error
        if (prefix.length > 0) errors.push((e as Error).message);
      }
    }
    throw new Error(errors.length > 0 ? errors.join('; ') : this.noMatch);
  }
}
