// The storage the API server runs on: etcd, optionally behind the watch cache, with
// periodic compaction.
import type { Logger } from '@skiff/common';
import { createLogger } from '@skiff/common/log';
import type { Storage } from './interface.ts';
import { EtcdStorage } from './etcd-storage.ts';
import { CachedStorage } from './cached-storage.ts';
import { Compactor, DEFAULT_COMPACT_INTERVAL_MS } from './compactor.ts';
import type { KeyDescriber } from './keys.ts';
import type { EtcdCredentials } from './etcd-tls.ts';
import type { KeyTransformers } from './encryption/index.ts';

export type { Storage, ListOptions, ListResult, WatchEvent, WatchOptions, Watcher } from './interface.ts';
export { EtcdStorage } from './etcd-storage.ts';
export { CachedStorage } from './cached-storage.ts';
export { Compactor } from './compactor.ts';

export interface CreateStorageOptions {
  endpoints: string[];
  prefix: string;
  /** serve lists and watches from the watch cache (default true) */
  cache?: boolean;
  /** 0 turns compaction off; default 5 minutes */
  compactIntervalMs?: number;
  /** events kept per resource for watches that resume from a revision */
  eventsPerResource?: number;
  describeKey?: KeyDescriber;
  logger?: Logger;
  /** TLS client credentials for https:// endpoints */
  credentials?: EtcdCredentials;
  /** encryption at rest (--encryption-provider-config) */
  transformers?: KeyTransformers;
}

export async function createStorage(opts: CreateStorageOptions): Promise<Storage & { close(): Promise<void> }> {
  const logger = opts.logger ?? createLogger('storage');
  const etcd = new EtcdStorage({
    endpoints: opts.endpoints,
    prefix: opts.prefix,
    describeKey: opts.describeKey,
    logger,
    credentials: opts.credentials,
    transformers: opts.transformers,
  });
  // fail at start-up, not at the first request, when etcd is not there
  await etcd.currentRevision();
  const compactor = new Compactor({
    client: etcd.client,
    prefix: opts.prefix,
    intervalMs: opts.compactIntervalMs ?? DEFAULT_COMPACT_INTERVAL_MS,
    logger: logger.child({ part: 'compactor' }),
  });
  compactor.start();
  etcd.onClose(() => compactor.stop());
  return opts.cache === false ? etcd : new CachedStorage(etcd, { eventsPerResource: opts.eventsPerResource, logger });
}
