// The recent events of one resource, oldest first, in a fixed-size ring. Watches that
// resume from a revision replay from here; older revisions are answered with 410.
import type { WatchEvent } from './interface.ts';

export interface CachedEvent {
  key: string;
  event: WatchEvent;
}

export class EventRing {
  private readonly slots: Array<CachedEvent | undefined>;
  private start = 0;
  private size = 0;
  /** every event with a revision above this one is still in the ring */
  private historyStart: number;

  constructor(capacity: number, historyStart: number) {
    if (!(capacity >= 1)) throw new Error(`event ring capacity must be at least 1, got ${capacity}`);
    this.slots = new Array(capacity);
    this.historyStart = historyStart;
  }

  /** The oldest revision a watch may resume from. */
  get oldestResumableRevision(): number {
    return this.historyStart;
  }

  push(e: CachedEvent): void {
    const capacity = this.slots.length;
    if (this.size === capacity) {
      this.historyStart = this.slots[this.start]!.event.revision;
      this.slots[this.start] = e;
      this.start = (this.start + 1) % capacity;
      return;
    }
    this.slots[(this.start + this.size) % capacity] = e;
    this.size++;
  }

  /** Events with revision > `after`, oldest first; the caller checks `after >= oldestResumableRevision`. */
  *since(after: number): Generator<CachedEvent> {
    const capacity = this.slots.length;
    for (let i = 0; i < this.size; i++) {
      const e = this.slots[(this.start + i) % capacity]!;
      if (e.event.revision > after) yield e;
    }
  }
}
