// Gives memory back when a component goes quiet. V8 grows a busy process's heap (a start-up's
// lists, a rollout, a burst of requests) and keeps the garbage until its next full collection,
// which a quiet process may not reach for a long time: V8's memory reducer waits for a low
// allocation rate, and a component's periodic work (Lease renewals, watch bookmarks, metrics
// sampling) keeps it above that. Measured on an apiserver 45 s after 1,000 pods were created:
// 101 MiB of heap in use, 48 MiB after one full collection, RSS 249 -> 173 MiB
// (docs/performance.md, P8).
// So, like the JVM's periodic collection (G1PeriodicGCInterval): when the event loop was mostly
// idle over the last period and the old generation grew by more than a threshold since the
// last such collection, collect once. Needs node's --expose-gc (scripts/node-flags.conf gives it
// to every component); without it this does nothing.
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';

export interface IdleGcOptions {
  /** How often to look (default 10 s). */
  periodMs?: number;
  /** The event loop's utilization over the period under which the process counts as quiet. */
  maxUtilization?: number;
  /** Growth of the old generation since the last idle collection that makes one worth it. */
  minGrowthBytes?: number;
  /** Told of each collection, with the old generation's size before and after. */
  onCollect?: (before: number, after: number) => void;
  /** For tests: the collection (default: node's gc) and the measure (default: oldGenerationBytes). */
  collect?: () => void;
  measure?: () => number;
}

/** Bytes in the old generation (objects that survived the young one), garbage included. */
export function oldGenerationBytes(): number {
  let total = 0;
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_name !== 'new_space' && space.space_name !== 'new_large_object_space') total += space.space_used_size;
  }
  return total;
}

let running: { stop(): void } | undefined;

/** Starts the check once per process (later calls return the same handle); its timer keeps no process alive. */
export function startIdleGc(o: IdleGcOptions = {}): { stop(): void } {
  if (running) return running;
  const collect = o.collect ?? (globalThis as { gc?: () => void }).gc;
  const measure = o.measure ?? oldGenerationBytes;
  if (typeof collect !== 'function') {
    running = { stop() {} };
    return running;
  }
  const maxUtilization = o.maxUtilization ?? 0.05;
  const minGrowth = o.minGrowthBytes ?? 16 * 1024 * 1024;
  let lastLoop = performance.eventLoopUtilization();
  let baseline = 0; // the old generation right after the last idle collection
  const timer = setInterval(() => {
    const loop = performance.eventLoopUtilization();
    const quiet = performance.eventLoopUtilization(loop, lastLoop).utilization < maxUtilization;
    lastLoop = loop;
    const before = measure();
    if (!quiet || before - baseline < minGrowth) return;
    collect();
    baseline = measure();
    o.onCollect?.(before, baseline);
  }, o.periodMs ?? 10_000);
  timer.unref();
  running = {
    stop() {
      clearInterval(timer);
      running = undefined;
    },
  };
  return running;
}
