// The aescbc and aesgcm providers, byte for byte as Kubernetes stores them
// (k8s.io/apiserver/pkg/storage/value/encrypt/aes): AES-CBC with a random 16-byte IV in front
// and PKCS#7 padding; AES-GCM with a random 12-byte nonce in front, the 16-byte tag after the
// ciphertext, and the etcd key as authenticated data. Keys of 16, 24 or 32 bytes.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { FromStorage, ValueContext, ValueTransformer } from './transformer.ts';

const BLOCK = 16;
const NONCE = 12;
const TAG = 16;

function keyBits(key: Buffer): 128 | 192 | 256 {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new Error(`invalid AES key size ${key.length}, want 16, 24 or 32 bytes`);
  return (key.length * 8) as 128 | 192 | 256;
}

export function aesCbcTransformer(key: Buffer): ValueTransformer {
  const algorithm = `aes-${keyBits(key)}-cbc` as const;
  return {
    toStorage(data: Buffer): Buffer {
      const iv = randomBytes(BLOCK);
      // node pads with PKCS#7 by default, as Kubernetes does by hand
      const cipher = createCipheriv(algorithm, key, iv);
      return Buffer.concat([iv, cipher.update(data), cipher.final()]);
    },
    fromStorage(data: Buffer): FromStorage {
      if (data.length < BLOCK) throw new Error('the stored data was shorter than the required size');
      const body = data.subarray(BLOCK);
      if (body.length % BLOCK !== 0) throw new Error('the stored data is not a multiple of the block size');
      const decipher = createDecipheriv(algorithm, key, data.subarray(0, BLOCK));
      try {
        return { data: Buffer.concat([decipher.update(body), decipher.final()]), stale: false };
      } catch {
        // a wrong key shows up as broken padding (most of the time)
        throw new Error('invalid padding on input');
      }
    },
  };
}

export function aesGcmTransformer(key: Buffer): ValueTransformer {
  const algorithm = `aes-${keyBits(key)}-gcm` as const;
  return {
    toStorage(data: Buffer, context: ValueContext): Buffer {
      const nonce = randomBytes(NONCE);
      const cipher = createCipheriv(algorithm, key, nonce, { authTagLength: TAG });
      cipher.setAAD(context);
      const body = Buffer.concat([cipher.update(data), cipher.final()]);
      return Buffer.concat([nonce, body, cipher.getAuthTag()]);
    },
    fromStorage(data: Buffer, context: ValueContext): FromStorage {
      if (data.length < NONCE + TAG) throw new Error('the stored data was shorter than the required size');
      const decipher = createDecipheriv(algorithm, key, data.subarray(0, NONCE), { authTagLength: TAG });
      decipher.setAAD(context);
      decipher.setAuthTag(data.subarray(data.length - TAG));
      try {
        return { data: Buffer.concat([decipher.update(data.subarray(NONCE, data.length - TAG)), decipher.final()]), stale: false };
      } catch {
        throw new Error('cipher: message authentication failed');
      }
    },
  };
}
