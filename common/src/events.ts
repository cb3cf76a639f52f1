// Events for `kubectl describe`, the way client-go's recorder sends them: a bounded queue with
// a few senders (the caller never waits; a flood drops the excess), and aggregation: the same
// event about the same object again within ten minutes bumps count and lastTimestamp of the
// Event already stored instead of creating another one; and client-go's spam filter: each
// object may have 25 events in a burst, then one per 5 minutes, so a controller stuck in a
// loop cannot flood etcd with Events about one object.
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { CoreV1Event, KubeConfig } from '@kubernetes/client-node';
import type { Logger } from './log.ts';

/** The object an event is about (core/v1 ObjectReference). */
export interface EventObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  /** e.g. spec.containers{web} for container events */
  fieldPath?: string;
}

export type EventType = 'Normal' | 'Warning';

/** Where events go; EventRecorder's default writes core/v1 Events through the official client. */
export interface EventSink {
  create(namespace: string, event: CoreV1Event): Promise<void>;
  /** count and lastTimestamp of an existing event; false when it is gone */
  bump(namespace: string, name: string, count: number, lastTimestamp: Date): Promise<boolean>;
}

export interface EventRecorderOptions {
  /** source.component / reportingComponent, e.g. kubelet or deployment-controller */
  component: string;
  /** source.host (kubelets) */
  host?: string;
  /** reportingInstance (default: host or component) */
  instance?: string;
  log?: Logger;
  maxQueued?: number;
  concurrency?: number;
  /** how long a stored event takes repeats (default 10 minutes, as client-go's correlator) */
  aggregateWindowMs?: number;
  /** events about one object in a burst (default 25, as client-go's spam filter) */
  spamBurst?: number;
  /** then one more every this many ms (default 5 minutes) */
  spamRefillMs?: number;
  now?: () => number;
}

/** The tokens one object has left, as of `at`. */
interface Bucket {
  tokens: number;
  at: number;
}

interface Stored {
  name: string;
  namespace: string;
  count: number;
  lastSeen: number;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const MAX_REMEMBERED = 4096;

function statusOf(e: unknown): number | undefined {
  const x = e as { code?: number; statusCode?: number; response?: { statusCode?: number } };
  return x?.code ?? x?.statusCode ?? x?.response?.statusCode;
}

export function clientSink(kc: KubeConfig): EventSink {
  const core = kc.makeApiClient(CoreV1Api);
  return {
    async create(namespace, body) {
      await core.createNamespacedEvent({ namespace, body });
    },
    async bump(namespace, name, count, lastTimestamp) {
      try {
        await core.patchNamespacedEvent({ namespace, name, body: { count, lastTimestamp: lastTimestamp.toISOString() } }, mergePatch);
        return true;
      } catch (e) {
        if (statusOf(e) === 404) return false;
        throw e;
      }
    },
  };
}

export class EventRecorder {
  private readonly queue: (() => Promise<void>)[] = [];
  private readonly seen = new Map<string, Stored>();
  private readonly buckets = new Map<string, Bucket>();
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly sink: EventSink;
  private readonly o: EventRecorderOptions;
  dropped = 0;

  constructor(sink: EventSink, o: EventRecorderOptions) {
    this.sink = sink;
    this.o = o;
  }

  static forKubeConfig(kc: KubeConfig, o: EventRecorderOptions): EventRecorder {
    return new EventRecorder(clientSink(kc), o);
  }

  event(obj: EventObject, type: EventType, reason: string, message: string): void {
    const now = this.o.now?.() ?? Date.now();
    if ((this.o.maxQueued ?? 1000) <= this.queue.length || !this.takeToken(obj, now)) {
      this.dropped++;
      return;
    }
    const at = new Date(now);
    this.queue.push(() => this.write(obj, type, reason, message, at));
    this.pump();
  }

  /**
   * Resolves once everything queued so far was sent (tests, shutdown), or after `timeoutMs`
   * when given: a stop must not hang on an apiserver that no longer answers.
   */
  async flush(timeoutMs?: number): Promise<void> {
    if (!this.queue.length && !this.active) return;
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (timeoutMs === undefined) return idle;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    try {
      await Promise.race([idle, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** client-go's EventSourceObjectSpamFilter: a token bucket per source and object. */
  private takeToken(obj: EventObject, now: number): boolean {
    const burst = this.o.spamBurst ?? 25;
    const refillMs = this.o.spamRefillMs ?? 300_000;
    const key = [obj.apiVersion, obj.kind, obj.namespace ?? '', obj.name, obj.uid ?? ''].join('\u0000');
    const b = this.buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + (now - b.at) / refillMs);
    b.at = now;
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (this.buckets.size > MAX_REMEMBERED) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private pump(): void {
    while (this.active < (this.o.concurrency ?? 2) && this.queue.length) {
      const job = this.queue.shift()!;
      this.active++;
      job()
        .catch((e: unknown) => this.o.log?.debug('event not recorded', { err: (e as Error).message }))
        .finally(() => {
          this.active--;
          this.pump();
          if (!this.active && !this.queue.length) for (const w of this.idleWaiters.splice(0)) w();
        });
    }
  }

  private async write(obj: EventObject, type: EventType, reason: string, message: string, at: Date): Promise<void> {
    const namespace = obj.namespace || 'default';
    const key = [namespace, obj.kind, obj.name, obj.uid ?? '', obj.fieldPath ?? '', type, reason, message].join('\u0000');
    const prev = this.seen.get(key);
    if (prev && at.getTime() - prev.lastSeen < (this.o.aggregateWindowMs ?? 600_000)) {
      prev.count += 1;
      prev.lastSeen = at.getTime();
      if (await this.sink.bump(prev.namespace, prev.name, prev.count, at)) return;
    }
    // client-go names events <object>.<unix nanoseconds in hex>
    const name = `${obj.name}.${(BigInt(at.getTime()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1e6))).toString(16)}`;
    const body: CoreV1Event = {
      metadata: { name, namespace },
      involvedObject: { ...obj },
      type,
      reason,
      message,
      source: { component: this.o.component, ...(this.o.host ? { host: this.o.host } : {}) },
      reportingComponent: this.o.component,
      reportingInstance: this.o.instance ?? this.o.host ?? this.o.component,
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    };
    await this.sink.create(namespace, body);
    this.seen.delete(key);
    this.seen.set(key, { name, namespace, count: 1, lastSeen: at.getTime() });
    if (this.seen.size > MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value!);
  }
}
