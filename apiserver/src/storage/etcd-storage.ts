// Storage on etcd v3, as kube-apiserver's etcd3 store: optimistic concurrency on mod
// revisions, paged consistent lists, watches that carry the previous state.
import { isDeepStrictEqual } from 'node:util';
import { Etcd3 } from 'etcd3';
import type { IEvent, IKeyValue, IRangeResponse, ITxnRequest, ITxnResponse } from 'etcd3';
import { createLogger } from '@skiff/common/log';
import type { Logger } from '@skiff/common';
import { errors } from '../errors.ts';
import type { KObject } from '../registry/types.ts';
import type { ListOptions, ListResult, Storage, WatchEvent, WatchOptions, Watcher } from './interface.ts';
import { decodeValue, encodeObject, toWatchEvent } from './codec.ts';
import { decodeContinue, encodeContinue } from './continue-token.ts';
import { EtcdWatchStream } from './etcd-watch.ts';
import { LeaseManager } from './lease-manager.ts';
import { ETCD_RECONNECT_CHANNEL_OPTIONS, etcdFaultHandling } from './etcd-fault-handling.ts';
import type { EtcdCredentials } from './etcd-tls.ts';
import type { KeyTransformers } from './encryption/index.ts';
import { describeKey, prefixRangeEnd } from './keys.ts';
import type { KeyDescriber } from './keys.ts';
import {
  OPTIMISTIC_LOCK_MESSAGE,
  continueTooOld,
  fromEtcdError,
  isCompactedError,
  isFutureRevisionError,
  listTooOld,
  parseResourceVersion,
  tooLargeResourceVersion,
  watchTooOld,
} from './storage-errors.ts';

export interface EtcdStorageOptions {
  endpoints: string[];
  /** prepended to every key, so that several instances or tests can share one etcd */
  prefix?: string;
  /** names group/resource/name for error messages; default: read from the key */
  describeKey?: KeyDescriber;
  /** keys per etcd range request when listing (the client refuses responses over its message limit) */
  listPageSize?: number;
  /** how often watches with allowBookmarks get a BOOKMARK */
  bookmarkIntervalMs?: number;
  logger?: Logger;
  /** TLS to etcd (https:// endpoints): its CA and the apiserver's client certificate */
  credentials?: EtcdCredentials;
  /** encryption at rest: the transformer each key's value goes through (none: stored as is) */
  transformers?: KeyTransformers;
}

/** A value as read from etcd: the plain bytes, and whether they should be written again with the current key. */
interface PlainValue {
  data: Buffer;
  stale: boolean;
}

/** Object updates are read-modify-write; this many lost races in a row is a bug, not contention. */
const MAX_UPDATE_ATTEMPTS = 100;
const DEFAULT_PAGE_SIZE = 500;
const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

export class EtcdStorage implements Storage {
  readonly client: Etcd3;
  readonly prefix: string;
  private readonly prefixBytes: Buffer;
  private readonly describe: KeyDescriber;
  private readonly pageSize: number;
  private readonly bookmarkIntervalMs: number;
  private readonly log: Logger;
  private readonly watches = new Set<Watcher>();
  private readonly closeHooks: Array<() => Promise<void> | void> = [];
  private readonly leases: LeaseManager;
  private readonly transformers: KeyTransformers | undefined;

  constructor(opts: EtcdStorageOptions) {
    if (!opts.endpoints?.length) throw new Error('EtcdStorage needs at least one etcd endpoint');
    this.client = new Etcd3({
      hosts: opts.endpoints,
      dialTimeout: 5000,
      // large lists are paged, but one page of big objects may still pass the 4 MiB default
      grpcOptions: { 'grpc.max_receive_message_length': 256 * 1024 * 1024, ...ETCD_RECONNECT_CHANNEL_OPTIONS },
      // no circuit breaker: requests fail fast while etcd is away and work again once it is back
      faultHandling: etcdFaultHandling(),
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 30_000 }),
      // grpc-js reads a null root certificate as "the system's roots"
      ...(opts.credentials ? { credentials: opts.credentials as { rootCertificate: Buffer } } : {}),
    });
    this.transformers = opts.transformers;
    this.prefix = opts.prefix ?? '';
    this.prefixBytes = Buffer.from(this.prefix);
    this.describe = opts.describeKey ?? describeKey;
    this.pageSize = opts.listPageSize ?? DEFAULT_PAGE_SIZE;
    this.bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 60_000;
    this.log = opts.logger ?? createLogger('storage');
    this.leases = new LeaseManager(this.client);
  }

  private etcdKey(key: string): Buffer {
    return Buffer.from(this.prefix + key);
  }

  private storageKey(etcdKey: Buffer): string {
    return etcdKey.subarray(this.prefixBytes.length).toString();
  }

  /** The bytes to store for `key` (encrypted when its resource is). */
  private toStorage(key: string, json: string): Buffer {
    const plain = Buffer.from(json);
    const t = this.transformers?.(key);
    return t ? t.toStorage(plain, this.etcdKey(key)) : plain;
  }

  /**
   * The plain bytes of a stored value (decrypted; the etcd key is the authenticated data). A
   * value that cannot be read is a 500 naming the key, as kube-apiserver's "unable to transform key".
   */
  readonly plainValue = (kv: IKeyValue): PlainValue => {
    if (!this.transformers) return { data: kv.value, stale: false };
    const key = this.storageKey(kv.key);
    const t = this.transformers(key);
    if (!t) return { data: kv.value, stale: false };
    try {
      return t.fromStorage(kv.value, kv.key);
    } catch (e) {
      throw errors.internal(`unable to transform key "${kv.key.toString()}": ${(e as Error).message}`);
    }
  };

  private decode(kv: IKeyValue): KObject {
    return decodeValue(this.plainValue(kv).data, kv.mod_revision);
  }

  async currentRevision(): Promise<number> {
    try {
      // a count-only read of a key nobody writes is the cheapest way to see the header revision
      const res = await this.client.kv.range({ key: this.etcdKey('/\0revision-probe'), count_only: true });
      return Number(res.header.revision);
    } catch (err) {
      throw fromEtcdError(err);
    }
  }

  async get(key: string): Promise<KObject | undefined> {
    const kv = await this.readKey(key);
    return kv ? this.decode(kv) : undefined;
  }

  private async readKey(key: string): Promise<IKeyValue | undefined> {
    try {
      const res = await this.client.kv.range({ key: this.etcdKey(key) });
      return res.kvs[0];
    } catch (err) {
      throw fromEtcdError(err);
    }
  }

  private async txn(request: ITxnRequest): Promise<ITxnResponse> {
    try {
      return await this.client.kv.txn(request);
    } catch (err) {
      throw fromEtcdError(err);
    }
  }

  /** The put's lease field for a key that expires after ttlSeconds (none without). */
  private async leaseOf(ttlSeconds: number | undefined): Promise<{ lease?: string }> {
    return ttlSeconds && ttlSeconds > 0 ? { lease: await this.leases.leaseFor(ttlSeconds) } : {};
  }

  async create(key: string, obj: KObject, opts: { ttlSeconds?: number } = {}): Promise<KObject> {
    const k = this.etcdKey(key);
    const value = encodeObject(obj);
    const lease = await this.leaseOf(opts.ttlSeconds);
    const res = await this.txn({
      compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: k, value: this.toStorage(key, value), ...lease } }],
    });
    if (!res.succeeded) {
      const d = this.describe(key);
      throw errors.alreadyExists(d.group, d.resource, d.name);
    }
    return decodeValue(value, res.header.revision);
  }

  async guaranteedUpdate(
    key: string,
    update: (current: KObject | undefined) => Promise<KObject | undefined> | KObject | undefined,
    opts: { expectedResourceVersion?: string; ignoreNotFound?: boolean; ttlSeconds?: number } = {},
  ): Promise<KObject> {
    const k = this.etcdKey(key);
    const d = () => this.describe(key);
    let current = await this.readKey(key);
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      if (!current && !opts.ignoreNotFound) throw errors.notFound(d().group, d().resource, d().name);
      if (opts.expectedResourceVersion && current?.mod_revision !== opts.expectedResourceVersion) {
        if (!current) throw errors.notFound(d().group, d().resource, d().name);
        throw errors.conflict(d().group, d().resource, d().name, OPTIMISTIC_LOCK_MESSAGE);
      }
      const currentPlain = current ? this.plainValue(current) : undefined;
      const currentObj = current && currentPlain ? decodeValue(currentPlain.data, current.mod_revision) : undefined;
      const next = await update(currentObj);
      if (next === undefined) {
        if (currentObj) return currentObj;
        throw errors.notFound(d().group, d().resource, d().name);
      }
      const value = encodeObject(next);
      // an update that changes nothing is not written: no new revision, no watch event
      // (compared as data: the same object with its keys in another order is no change either),
      // unless it was stored with an old encryption key: then it is written again, as Kubernetes
      // does, so that `kubectl replace` of unchanged objects moves them to the current key
      if (current && currentPlain && !currentPlain.stale && sameContent(currentPlain.data.toString(), value)) {
        return decodeValue(currentPlain.data, current.mod_revision);
      }
      // an update of an expiring object (an Event's count) starts its TTL again, as upstream
      const lease = await this.leaseOf(opts.ttlSeconds);
      const res = await this.txn({
        compare: [
          current
            ? { key: k, target: 'Mod', result: 'Equal', mod_revision: current.mod_revision }
            : { key: k, target: 'Create', result: 'Equal', create_revision: 0 },
        ],
        success: [{ request_put: { key: k, value: this.toStorage(key, value), ...lease } }],
        failure: [{ request_range: { key: k } }],
      });
      if (res.succeeded) return decodeValue(value, res.header.revision);
      if (opts.expectedResourceVersion) throw errors.conflict(d().group, d().resource, d().name, OPTIMISTIC_LOCK_MESSAGE);
      current = res.responses[0]?.response_range?.kvs[0];
    }
    throw errors.conflict(d().group, d().resource, d().name, OPTIMISTIC_LOCK_MESSAGE);
  }

  async delete(key: string, opts: { expectedResourceVersion?: string } = {}): Promise<KObject> {
    const k = this.etcdKey(key);
    const d = () => this.describe(key);
    let current = await this.readKey(key);
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      if (!current) throw errors.notFound(d().group, d().resource, d().name);
      if (opts.expectedResourceVersion && current.mod_revision !== opts.expectedResourceVersion) {
        throw errors.conflict(d().group, d().resource, d().name, OPTIMISTIC_LOCK_MESSAGE);
      }
      const res = await this.txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: current.mod_revision }],
        success: [{ request_delete_range: { key: k } }],
        failure: [{ request_range: { key: k } }],
      });
      // the last state, stamped with the deletion's revision as the DELETED watch event is
      if (res.succeeded) return decodeValue(this.plainValue(current).data, res.header.revision);
      current = res.responses[0]?.response_range?.kvs[0];
    }
    throw errors.conflict(d().group, d().resource, d().name, OPTIMISTIC_LOCK_MESSAGE);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const limit = opts.limit && opts.limit > 0 ? Math.floor(opts.limit) : 0;
    const requestedRv = parseResourceVersion(opts.resourceVersion);
    let startKey = prefix;
    // 0 = newest; otherwise every page is read at this revision so that pages agree
    let readRevision = 0;
    let minimumRevision = 0;
    if (opts.continue) {
      if (opts.resourceVersion && opts.resourceVersion !== '0') {
        throw errors.badRequest('specifying resource version is not allowed when using continue');
      }
      const pos = decodeContinue(opts.continue, prefix);
      startKey = pos.startKey;
      readRevision = pos.rv;
    } else if (opts.resourceVersionMatch === 'Exact') {
      if (requestedRv === 0) throw errors.badRequest('resourceVersionMatch "Exact" is not allowed with resourceVersion "" or "0"');
      readRevision = requestedRv;
    } else if (opts.resourceVersionMatch === 'NotOlderThan') {
      minimumRevision = requestedRv;
    } else if (requestedRv > 0) {
      // legacy rules: a paged list pins the revision, an unpaged one only bounds it from below
      if (limit > 0) readRevision = requestedRv;
      else minimumRevision = requestedRv;
    }

    const items: KObject[] = [];
    let from = this.etcdKey(startKey);
    const end = prefixRangeEnd(this.etcdKey(prefix));
    let pageSize = limit > 0 && !opts.predicate ? Math.min(limit, this.pageSize) : this.pageSize;
    let nextKey: string | undefined;
    let remainingItemCount: number | undefined;
    let firstPage = true;
    for (;;) {
      const res = await this.rangePage(from, end, pageSize, readRevision, opts.continue !== undefined);
      if (firstPage) {
        firstPage = false;
        if (readRevision === 0) readRevision = Number(res.header.revision);
        if (minimumRevision > readRevision) throw tooLargeResourceVersion(minimumRevision, readRevision);
      }
      const kvs = res.kvs;
      let taken = 0;
      for (const kv of kvs) {
        taken++;
        const obj = this.decode(kv);
        if (opts.predicate && !opts.predicate(obj)) continue;
        items.push(obj);
        if (limit > 0 && items.length >= limit) break;
      }
      const moreInPage = taken < kvs.length;
      if (limit > 0 && items.length >= limit && (moreInPage || res.more)) {
        const lastKey = kvs[taken - 1].key;
        nextKey = this.storageKey(Buffer.concat([lastKey, Buffer.from([0])]));
        // count is the number of keys from `from` on; cheap only when every key is an item
        if (!opts.predicate) remainingItemCount = Number(res.count) - taken;
        break;
      }
      if (!res.more || kvs.length === 0) break;
      from = Buffer.concat([kvs[kvs.length - 1].key, Buffer.from([0])]);
      // with a predicate most keys may not match: read bigger pages, as kube-apiserver does
      if (opts.predicate) pageSize = Math.min(pageSize * 2, 10_000);
    }
    const result: ListResult = { items, resourceVersion: readRevision };
    if (nextKey !== undefined) {
      result.continue = encodeContinue(nextKey, prefix, readRevision);
      if (remainingItemCount !== undefined) result.remainingItemCount = remainingItemCount;
    }
    return result;
  }

  /** Every key under `prefix` with its object, read in pages at one revision (the watch cache's start). */
  async readAll(prefix: string): Promise<{ entries: Array<{ key: string; object: KObject }>; revision: number }> {
    const entries: Array<{ key: string; object: KObject }> = [];
    const end = prefixRangeEnd(this.etcdKey(prefix));
    let from = this.etcdKey(prefix);
    let revision = 0;
    for (;;) {
      const res = await this.rangePage(from, end, this.pageSize, revision, false);
      if (revision === 0) revision = Number(res.header.revision);
      for (const kv of res.kvs) entries.push({ key: this.storageKey(kv.key), object: this.decode(kv) });
      if (!res.more || res.kvs.length === 0) return { entries, revision };
      from = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])]);
    }
  }

  private async rangePage(from: Buffer, end: Buffer, limit: number, revision: number, continuing: boolean): Promise<IRangeResponse> {
    try {
      return await this.client.kv.range({ key: from, range_end: end, limit, revision });
    } catch (err) {
      if (isCompactedError(err)) throw continuing ? continueTooOld() : listTooOld();
      if (isFutureRevisionError(err)) throw tooLargeResourceVersion(revision, await this.currentRevision());
      if (err instanceof Error && /RESOURCE_EXHAUSTED|larger than max/i.test(err.message) && limit > 1) {
        // one page of very large objects: halve and try again
        return this.rangePage(from, end, Math.ceil(limit / 2), revision, continuing);
      }
      throw fromEtcdError(err);
    }
  }

  async watch(prefix: string, opts: WatchOptions, onEvent: (ev: WatchEvent) => void): Promise<Watcher> {
    const rv = parseResourceVersion(opts.resourceVersion);
    const initial = opts.sendInitialEvents ?? opts.resourceVersion === '0';
    let startRevision: number;
    if (initial) {
      const snapshot = await this.list(prefix, { resourceVersion: rv > 0 ? String(rv) : '' });
      for (const obj of snapshot.items) onEvent({ type: 'ADDED', object: obj, revision: snapshot.resourceVersion });
      if (opts.allowBookmarks && opts.sendInitialEvents) {
        onEvent(bookmarkEvent(snapshot.resourceVersion, { [INITIAL_EVENTS_END_ANNOTATION]: 'true' }));
      }
      startRevision = snapshot.resourceVersion + 1;
    } else {
      startRevision = (rv > 0 ? rv : await this.currentRevision()) + 1;
    }

    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const emit = (ev: WatchEvent) => {
      if (!stopped) onEvent(ev);
    };
    const stream = new EtcdWatchStream(
      this.client,
      {
        key: this.etcdKey(prefix),
        rangeEnd: prefixRangeEnd(this.etcdKey(prefix)),
        startRevision,
        logger: this.log.child({ watch: prefix }),
      },
      {
        onEvents: (events) => {
          for (const ev of events) {
            const change = this.watchEvent(ev);
            if (change) emit(change.event);
          }
        },
        onProgress: (revision) => {
          if (opts.allowBookmarks) emit(bookmarkEvent(revision));
        },
        onCompacted: (requested, compactRevision) => {
          emit({ type: 'ERROR', object: watchTooOld(requested, compactRevision).toStatus() as KObject, revision: compactRevision });
          watcher.stop();
        },
      },
    );
    if (opts.allowBookmarks) timer = setInterval(() => stream.requestProgress(), this.bookmarkIntervalMs);
    const watcher: Watcher = {
      stop: () => {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        stream.stop();
        this.watches.delete(watcher);
      },
      requestBookmark: () => {
        if (opts.allowBookmarks) stream.requestProgress();
      },
    };
    this.watches.add(watcher);
    return watcher;
  }

  /**
   * One etcd event as the API sees it, decrypted. An event whose value cannot be read (a key
   * removed from the encryption config too early) is logged and skipped.
   */
  watchEvent(ev: IEvent): { key: string; event: WatchEvent } | undefined {
    try {
      return toWatchEvent(
        ev,
        (k) => this.storageKey(k),
        (kv) => this.plainValue(kv).data,
      );
    } catch (err) {
      this.log.error('watch event skipped: its value cannot be read', { key: ev.kv.key.toString(), err: String(err) });
      return undefined;
    }
  }

  /** Work to finish before the etcd connection goes, e.g. stopping the compactor. */
  onClose(hook: () => Promise<void> | void): void {
    this.closeHooks.push(hook);
  }

  async close(): Promise<void> {
    for (const hook of this.closeHooks.splice(0)) await hook();
    for (const w of [...this.watches]) w.stop();
    this.client.close();
  }
}

/** A BOOKMARK carries only the revision; the caller fills in kind and apiVersion. */
export function bookmarkEvent(revision: number, annotations?: Record<string, string>): WatchEvent {
  const metadata: KObject['metadata'] = { resourceVersion: String(revision) };
  if (annotations) metadata.annotations = annotations;
  return { type: 'BOOKMARK', object: { metadata }, revision };
}

function sameContent(stored: string, next: string): boolean {
  if (stored === next) return true;
  try {
    return isDeepStrictEqual(JSON.parse(stored), JSON.parse(next));
  } catch {
    return false;
  }
}
