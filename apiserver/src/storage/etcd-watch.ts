// One etcd watch on its own gRPC stream that survives etcd going away: it reopens with
// backoff from the revision after the last one it saw, and reports compaction instead of
// silently skipping history. The etcd3 client's own watcher cannot be used for this: it
// drops compact_revision and, on reconnect, may resume past events it has not delivered yet.
import type { Etcd3, IEvent, IWatchRequest, IWatchResponse } from 'etcd3';
import type { Logger } from '@skiff/common';

interface Duplex {
  write(item: IWatchRequest): void;
  cancel(): void;
  on(event: 'data', fn: (item: IWatchResponse) => void): unknown;
  on(event: 'end', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
}

export interface EtcdWatchHandlers {
  /** a batch of events in revision order */
  onEvents(events: IEvent[]): void;
  /** etcd has sent everything up to `revision` for this range */
  onProgress?(revision: number): void;
  /** history from `requested` is gone; the watch has stopped */
  onCompacted(requested: number, compactRevision: number): void;
}

export interface EtcdWatchOptions {
  key: Buffer;
  rangeEnd: Buffer;
  /** first revision to deliver */
  startRevision: number;
  logger: Logger;
}

const MIN_BACKOFF_MS = 100;
/**
 * etcd before 3.4.25/3.5.8 answers a progress request for a watch that is still replaying
 * history with the store's newest revision; such answers are trusted only once the watch has
 * had this long to catch up (etcd syncs lagging watches every 100 ms).
 */
const PROGRESS_TRUST_DELAY_MS = 300;
const MAX_BACKOFF_MS = 5000;
/**
 * A stream that leaves a progress request (the watch cache asks when a read must be at least as
 * new as etcd) unanswered for this long, or a watch() call that has not answered in this time,
 * is reopened. An etcd that was SIGKILLed and restarted once left the apiserver's streams
 * neither erroring nor delivering: the watch cache stayed at one revision for good, asking for
 * progress in vain. Idle streams are not probed: with one stream per resource and a dozen
 * apiservers in make test, probing every idle stream every 10 s cost more than it found.
 */
const SILENCE_MS = 10_000;

export class EtcdWatchStream {
  private readonly client: Etcd3;
  private readonly opts: EtcdWatchOptions;
  private readonly handlers: EtcdWatchHandlers;
  private stream: Duplex | undefined;
  private nextRevision: number;
  private stopped = false;
  private backoffMs = MIN_BACKOFF_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private createdAt = Infinity;
  /** counts open() calls, so that a watch() that answers after a newer attempt is dropped */
  private attempt = 0;
  private openingSince: number | undefined;
  private progressAskedAt: number | undefined;
  private readonly watchdog: NodeJS.Timeout;

  constructor(client: Etcd3, opts: EtcdWatchOptions, handlers: EtcdWatchHandlers) {
    this.client = client;
    this.opts = opts;
    this.handlers = handlers;
    this.nextRevision = opts.startRevision;
    this.watchdog = setInterval(() => this.checkAlive(), SILENCE_MS / 2);
    this.watchdog.unref();
    void this.open();
  }

  /** The newest revision all events of which have been delivered. */
  get observedRevision(): number {
    return this.nextRevision - 1;
  }

  /** Asks etcd for a progress notification (answered through onProgress). */
  requestProgress(): void {
    try {
      this.stream?.write({ progress_request: {} });
      this.progressAskedAt ??= Date.now();
    } catch (err) {
      this.opts.logger.debug('progress request not sent', { err });
    }
  }

  /** The watchdog: reopens a stream (or a watch() call) that etcd has stopped answering. */
  private checkAlive(now = Date.now()): void {
    if (this.stopped) return;
    if (this.stream === undefined) {
      if (this.openingSince !== undefined && now - this.openingSince > SILENCE_MS) {
        this.retryLater(new Error(`no watch stream from etcd within ${SILENCE_MS} ms`));
      }
      return;
    }
    if (this.progressAskedAt !== undefined && now - this.progressAskedAt > SILENCE_MS) {
      this.retryLater(new Error(`etcd did not answer a progress request within ${SILENCE_MS} ms`));
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.watchdog);
    clearTimeout(this.retryTimer);
    this.closeStream();
  }

  private closeStream(): void {
    this.createdAt = Infinity;
    this.openingSince = undefined;
    this.progressAskedAt = undefined;
    const s = this.stream;
    this.stream = undefined;
    if (s) {
      try {
        s.cancel();
      } catch {
        /* already gone */
      }
    }
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const attempt = ++this.attempt;
    this.openingSince = Date.now();
    let stream: Duplex;
    try {
      stream = (await this.client.watchClient.watch()) as unknown as Duplex;
    } catch (err) {
      if (attempt === this.attempt) this.retryLater(err);
      return;
    }
    if (this.stopped || attempt !== this.attempt) {
      // stopped meanwhile, or the watchdog gave up on this call and opened another
      stream.on('error', () => {});
      stream.cancel();
      return;
    }
    this.openingSince = undefined;
    this.progressAskedAt = undefined;
    this.stream = stream;
    stream.on('data', (res) => this.onResponse(stream, res));
    // after cancel() the stream still reports CANCELLED: only a live stream's end counts
    stream.on('error', (err) => {
      if (this.stream === stream) this.retryLater(err);
    });
    stream.on('end', () => {
      if (this.stream === stream) this.retryLater(new Error('watch stream ended'));
    });
    stream.write({
      create_request: {
        key: this.opts.key,
        range_end: this.opts.rangeEnd,
        start_revision: this.nextRevision,
        prev_kv: true,
        progress_notify: true,
      },
    });
  }

  private retryLater(err: unknown): void {
    this.closeStream();
    if (this.stopped) return;
    this.opts.logger.warn('etcd watch interrupted, reconnecting', {
      err: err instanceof Error ? err.message : String(err),
      fromRevision: this.nextRevision,
      inMs: this.backoffMs,
    });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.open(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
  }

  private onResponse(stream: Duplex, res: IWatchResponse): void {
    if (this.stopped || this.stream !== stream) return;
    this.progressAskedAt = undefined;
    if (res.canceled) {
      const compactRevision = Number(res.compact_revision);
      if (compactRevision > 0) {
        this.stop();
        this.handlers.onCompacted(this.nextRevision - 1, compactRevision);
      } else {
        this.retryLater(new Error(`watch canceled by etcd: ${res.cancel_reason || 'no reason given'}`));
      }
      return;
    }
    this.backoffMs = MIN_BACKOFF_MS;
    if (res.created) {
      this.createdAt = Date.now();
      return;
    }
    if (res.events.length > 0) {
      const last = Number(res.events[res.events.length - 1].kv.mod_revision);
      this.nextRevision = Math.max(this.nextRevision, last + 1);
      this.handlers.onEvents(res.events);
      return;
    }
    // an empty response is a progress notification: nothing else happened up to header.revision
    if (Date.now() - this.createdAt < PROGRESS_TRUST_DELAY_MS) return;
    const revision = Number(res.header.revision);
    if (revision >= this.nextRevision) this.nextRevision = revision + 1;
    this.handlers.onProgress?.(revision);
  }
}
