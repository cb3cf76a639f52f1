// Events leave through a bounded queue with a few senders, as client-go's broadcaster does:
// scheduling never waits on them, and under a flood the excess is dropped, not queued forever.
import type { Logger } from '@skiff/common';
import type { EventSpec } from './api.ts';

export class EventRecorder {
  private readonly queue: EventSpec[] = [];
  private active = 0;
  private readonly send: (ev: EventSpec) => Promise<void>;
  private readonly log: Logger;
  private readonly maxQueued: number;
  private readonly concurrency: number;
  dropped = 0;

  constructor(send: (ev: EventSpec) => Promise<void>, log: Logger, maxQueued = 1000, concurrency = 2) {
    this.send = send; this.log = log; this.maxQueued = maxQueued; this.concurrency = concurrency;
  }

  record(ev: EventSpec): void {
    if (this.queue.length >= this.maxQueued) { this.dropped++; return; }
    this.queue.push(ev);
    this.pump();
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length) {
      const ev = this.queue.shift()!;
      this.active++;
      this.send(ev)
        .catch((e) => this.log.debug('event not recorded', { reason: ev.reason, pod: `${ev.pod.namespace}/${ev.pod.name}`, err: (e as Error).message }))
        .finally(() => { this.active--; this.pump(); });
    }
  }

  pending(): number { return this.queue.length + this.active; }
}
