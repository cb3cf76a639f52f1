// Periodic etcd compaction as kube-apiserver does it: each tick compacts up to the revision
// seen at the previous tick, so that history always covers at least one interval. Several
// API servers share the work through a compare-and-swap on `compact_rev_key`: whoever bumps
// its version for this interval compacts; the others just learn the new version.
import type { Etcd3 } from 'etcd3';
import { createLogger } from '@skiff/common/log';
import type { Logger } from '@skiff/common';
import { isCompactedError } from './storage-errors.ts';

export const DEFAULT_COMPACT_INTERVAL_MS = 5 * 60 * 1000;

export interface CompactorOptions {
  client: Etcd3;
  /** the storage key prefix; the coordination key lives under it */
  prefix?: string;
  intervalMs?: number;
  logger?: Logger;
}

export interface CompactionTick {
  /** the revision this instance compacted to, if it was this instance's turn and there was one */
  compacted?: number;
  /** the revision the next tick will compact to */
  nextRevision: number;
}

export class Compactor {
  private readonly client: Etcd3;
  private readonly key: Buffer;
  private readonly intervalMs: number;
  private readonly log: Logger;
  /** the version of compact_rev_key this instance last saw: the CAS "time" */
  private compactTime = 0;
  /** the revision seen at the previous tick: what the next tick compacts to */
  private revision = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(opts: CompactorOptions) {
    this.client = opts.client;
    this.key = Buffer.from(`${opts.prefix ?? ''}compact_rev_key`);
    this.intervalMs = opts.intervalMs ?? DEFAULT_COMPACT_INTERVAL_MS;
    this.log = opts.logger ?? createLogger('compactor');
  }

  start(): void {
    if (this.timer || this.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.running = this.tick().catch((err) => this.log.warn('compaction failed', { err: String(err) }));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One interval's work; exposed so that tests and operators need not wait for the timer. */
  async tick(): Promise<CompactionTick> {
    const res = await this.client.kv.txn({
      compare: [{ key: this.key, target: 'Version', result: 'Equal', version: this.compactTime }],
      // the put bumps the key's version: that is the "I compact this interval" claim
      success: [{ request_put: { key: this.key, value: Buffer.from(String(this.revision)) } }],
      failure: [{ request_range: { key: this.key } }],
    });
    const currentRevision = Number(res.header.revision);
    if (!res.succeeded) {
      // another API server compacted in this interval; take its clock and try next time
      const kv = res.responses[0]?.response_range?.kvs[0];
      this.compactTime = kv ? Number(kv.version) : 0;
      this.revision = currentRevision;
      return { nextRevision: this.revision };
    }
    this.compactTime++;
    const target = this.revision;
    this.revision = currentRevision;
    if (target === 0) return { nextRevision: this.revision };
    try {
      await this.client.kv.compact({ revision: target });
      this.log.info('compacted etcd', { revision: target });
    } catch (err) {
      if (!isCompactedError(err)) throw err;
    }
    return { compacted: target, nextRevision: this.revision };
  }
}
