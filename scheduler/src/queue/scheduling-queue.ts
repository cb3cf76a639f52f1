// The scheduling queue, after Kubernetes' PriorityQueue: activeQ by priority then arrival,
// backoffQ for pods that failed recently (1 s doubling to 10 s), and a parking area for
// unschedulable pods that leave it only when a cluster event could have helped them (or
// after five minutes, as a safety net).
import type { V1Pod } from '@kubernetes/client-node';
import { newPodInfo, podKey } from '../cache/pod-info.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import { KeyedHeap } from './heap.ts';

export interface QueuedPod {
  key: string;
  info: PodInfo;
  /** when it entered activeQ; orders pods of equal priority */
  timestamp: number;
  /** arrival order among pods with the same timestamp */
  seq: number;
  /** when the queue first saw it: the start of queue-to-bind latency */
  firstSeen: number;
  attempts: number;
  backoffExpiry: number;
  parkedAt: number;
  /** the scheduling cycle in which it was popped */
  cycle: number;
  /** plugins that rejected it last time: only events that concern them move it back early */
  unschedulablePlugins: Set<string>;
}

export interface QueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxParkedMs?: number;
  now?: () => number;
}

export type QueueName = 'active' | 'backoff' | 'unschedulable';

export class SchedulingQueue {
  private readonly active = new KeyedHeap<QueuedPod>(
    (p) => p.key,
    (a, b) =>
      a.info.priority !== b.info.priority ? a.info.priority > b.info.priority : a.timestamp !== b.timestamp ? a.timestamp < b.timestamp : a.seq < b.seq,
  );
  private readonly backoff = new KeyedHeap<QueuedPod>(
    (p) => p.key,
    (a, b) => a.backoffExpiry < b.backoffExpiry,
  );
  private readonly parked = new Map<string, QueuedPod>();
  /** popped and being scheduled or bound; a newer copy of the pod waits here */
  private readonly inFlight = new Map<string, QueuedPod>();
  private readonly waiters: ((p: QueuedPod | undefined) => void)[] = [];
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxParkedMs: number;
  private readonly now: () => number;
  private backoffTimer?: NodeJS.Timeout;
  private backoffTimerAt = Infinity;
  private readonly leftoverTimer: NodeJS.Timeout;
  private closed = false;
  private cycle = 0;
  private seqCounter = 0;
  /** the cycle of the last move request: a pod that failed before it started gets retried */
  private moveRequestCycle = -1;
  /** observers for metrics */
  onChange?: () => void;

  constructor(o: QueueOptions = {}) {
    this.initialBackoffMs = o.initialBackoffMs ?? 1000;
    this.maxBackoffMs = o.maxBackoffMs ?? 10_000;
    this.maxParkedMs = o.maxParkedMs ?? 5 * 60_000;
    this.now = o.now ?? Date.now;
    this.leftoverTimer = setInterval(() => this.flushLongParked(), 30_000);
    this.leftoverTimer.unref();
  }

  sizes(): Record<QueueName, number> {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.parked.size };
  }

  schedulingCycle(): number {
    return this.cycle;
  }

  has(key: string): boolean {
    return this.active.has(key) || this.backoff.has(key) || this.parked.has(key) || this.inFlight.has(key);
  }

  /** A new pending pod. */
  add(pod: V1Pod): void {
    const key = podKey(pod);
    if (this.has(key)) {
      this.update(pod);
      return;
    }
    const now = this.now();
    this.pushActive({
      key,
      info: newPodInfo(pod),
      timestamp: now,
      seq: 0,
      firstSeen: now,
      attempts: 0,
      backoffExpiry: 0,
      parkedAt: 0,
      cycle: 0,
      unschedulablePlugins: new Set(),
    });
  }

  /** The pending pod changed: a parked one gets another chance, since the change may make it fit. */
  update(pod: V1Pod): void {
    const key = podKey(pod);
    const info = newPodInfo(pod);
    const inFlight = this.inFlight.get(key);
    if (inFlight) {
      inFlight.info = info;
      return;
    }
    const a = this.active.get(key);
    if (a) {
      a.info = info;
      this.active.push(a);
      return;
    }
    const b = this.backoff.get(key);
    if (b) {
      b.info = info;
      return;
    }
    const p = this.parked.get(key);
    if (p) {
      p.info = info;
      this.parked.delete(key);
      this.requeue(p);
      return;
    }
    this.add(pod);
  }

  delete(key: string): void {
    this.active.delete(key);
    this.backoff.delete(key);
    this.parked.delete(key);
    this.inFlight.delete(key);
    this.onChange?.();
  }

  /** The next pod to schedule, waiting for one if needed; undefined once closed. */
  pop(): Promise<QueuedPod | undefined> {
    const p = this.active.pop();
    if (p) return Promise.resolve(this.startFlight(p));
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((r) => this.waiters.push(r));
  }

  private startFlight(p: QueuedPod): QueuedPod {
    this.cycle++;
    p.cycle = this.cycle;
    p.attempts++;
    this.inFlight.set(p.key, p);
    this.onChange?.();
    return p;
  }

  /** The attempt is over (bound, or handed back through one of the methods below). */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /** After a failed attempt for lack of a fitting node. */
  addUnschedulable(p: QueuedPod): void {
    if (!this.inFlight.has(p.key)) return; // deleted or bound meanwhile
    this.inFlight.delete(p.key);
    p.backoffExpiry = this.now() + this.backoffFor(p.attempts);
    if (this.moveRequestCycle >= p.cycle) {
      // something changed while it was being scheduled: do not park it, just back off
      this.backoff.push(p);
      this.armBackoffTimer();
    } else {
      p.parkedAt = this.now();
      this.parked.set(p.key, p);
    }
    this.onChange?.();
  }

  /** After an error (API failure, bind rejected): retry with back-off. */
  addBackoff(p: QueuedPod): void {
    if (!this.inFlight.has(p.key)) return;
    this.inFlight.delete(p.key);
    p.backoffExpiry = this.now() + this.backoffFor(p.attempts);
    this.backoff.push(p);
    this.armBackoffTimer();
    this.onChange?.();
  }

  /** A cluster event that could make parked pods fit: they go to activeQ, or backoffQ if still backing off. */
  moveAllToActiveOrBackoff(mayHelp?: (p: QueuedPod) => boolean): void {
    this.moveRequestCycle = this.cycle;
    if (this.parked.size === 0) return;
    for (const [k, p] of this.parked) {
      if (mayHelp && !mayHelp(p)) continue;
      this.parked.delete(k);
      this.requeue(p);
    }
    this.onChange?.();
  }

  private requeue(p: QueuedPod): void {
    if (p.backoffExpiry > this.now()) {
      this.backoff.push(p);
      this.armBackoffTimer();
    } else {
      p.timestamp = this.now();
      this.pushActive(p);
    }
  }

  private backoffFor(attempts: number): number {
    return Math.min(this.initialBackoffMs * 2 ** Math.max(0, attempts - 1), this.maxBackoffMs);
  }

  private pushActive(p: QueuedPod): void {
    p.seq = ++this.seqCounter;
    const w = this.waiters.shift();
    if (w) {
      w(this.startFlight(p));
      return;
    }
    this.active.push(p);
    this.onChange?.();
  }

  private armBackoffTimer(): void {
    const top = this.backoff.peek();
    if (!top || this.closed) return;
    if (this.backoffTimer && this.backoffTimerAt <= top.backoffExpiry) return;
    clearTimeout(this.backoffTimer);
    this.backoffTimerAt = top.backoffExpiry;
    this.backoffTimer = setTimeout(() => this.flushBackoff(), Math.max(0, top.backoffExpiry - this.now()));
    this.backoffTimer.unref();
  }

  private flushBackoff(): void {
    this.backoffTimer = undefined;
    this.backoffTimerAt = Infinity;
    const now = this.now();
    for (let top = this.backoff.peek(); top && top.backoffExpiry <= now; top = this.backoff.peek()) {
      this.backoff.pop();
      top.timestamp = now;
      this.pushActive(top);
    }
    this.armBackoffTimer();
    this.onChange?.();
  }

  private flushLongParked(): void {
    const now = this.now();
    for (const [k, p] of this.parked) {
      if (now - p.parkedAt >= this.maxParkedMs) {
        this.parked.delete(k);
        this.requeue(p);
      }
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.backoffTimer);
    clearInterval(this.leftoverTimer);
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
