// The one controller loop every component runs, as kubernetes/sample-controller's
// controller.go: wait for the informers' caches, then N workers each repeat
// processNextWorkItem (get a key, reconcile it, forget it on success or put it back with
// back-off on failure, mark it done), with metrics and logs. A controller file holds only its
// event wiring and its reconcile.
import type { Logger } from '../log.ts';
import type { WorkQueue } from '../workqueue.ts';
import type { ControllerMetrics } from './metrics.ts';

export interface Syncable {
  waitForSync(): Promise<void>;
}

/** What a reconcile may ask for: nothing, or another look at the key after a delay. */
export type ReconcileResult = void | { requeueAfterMs?: number };

export type Reconcile<K> = (key: K) => Promise<ReconcileResult>;

/** A running controller's stop function: resolves once in-flight reconciles returned. */
export type StopController = () => Promise<void>;

export interface RunControllerOptions<K> {
  name: string;
  log: Logger;
  queue: WorkQueue<K>;
  workers: number;
  reconcile: Reconcile<K>;
  /** Informers whose caches must be filled before any reconcile: one on a half-filled cache would delete what it has not seen. */
  caches: readonly Syncable[];
  metrics?: ControllerMetrics;
  /** Informers this controller owns (not shared): started with it, stopped with it. */
  owned?: { start(): void; stop(): void };
  /** Runs after the caches synced, before the workers (e.g. to seed the queue). */
  beforeWorkers?: () => void | Promise<void>;
  /** Failures that are routine (a conflict: the cache was behind) are logged at debug. */
  isRoutine?: (err: unknown) => boolean;
  describeError?: (err: unknown) => string;
}

/** Observers of one worker loop. */
export interface WorkerHooks<K> {
  onError?: (key: K, err: unknown) => void;
  onRetry?: (key: K) => void;
}

/**
 * processNextWorkItem: false once the queue shut down. A failing key is put back with
 * per-key back-off; a successful one forgets its failures and comes back only when asked.
 */
export async function processNextWorkItem<K>(queue: WorkQueue<K>, reconcile: Reconcile<K>, hooks: WorkerHooks<K> = {}): Promise<boolean> {
  const key = await queue.get();
  if (key === undefined) return false;
  try {
    const r = await reconcile(key);
    queue.forget(key);
    if (r && r.requeueAfterMs !== undefined) queue.addAfter(key, r.requeueAfterMs);
  } catch (e) {
    hooks.onError?.(key, e);
    hooks.onRetry?.(key);
    queue.addRateLimited(key);
  } finally {
    queue.done(key);
  }
  return true;
}

/** `workers` loops of processNextWorkItem; resolves when the queue shut down and they all returned. */
export async function runWorkers<K>(queue: WorkQueue<K>, workers: number, reconcile: Reconcile<K>, onError?: (key: K, err: unknown) => void): Promise<void> {
  await runWorkerLoops(queue, workers, reconcile, { onError });
}

async function runWorkerLoops<K>(queue: WorkQueue<K>, workers: number, reconcile: Reconcile<K>, hooks: WorkerHooks<K>): Promise<void> {
  const loop = async () => {
    while (await processNextWorkItem(queue, reconcile, hooks)) {
      // next key
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
}

const defaultDescribe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Starts the controller and returns at once; its workers start once every cache has synced.
 * The returned function shuts the queue down, stops owned informers and waits for the workers.
 */
export function runController<K>(opts: RunControllerOptions<K>): StopController {
  const { name, queue, log, metrics } = opts;
  const describe = opts.describeError ?? defaultDescribe;
  if (metrics) {
    queue.onAdd = () => metrics.queueAdds.inc({ name });
    metrics.trackQueueDepth(name, () => queue.len());
  }
  const timed: Reconcile<K> = metrics
    ? async (key) => {
        const end = metrics.reconcileSeconds.startTimer({ controller: name });
        try {
          const r = await opts.reconcile(key);
          metrics.reconciles.inc({ controller: name, result: 'success' });
          return r;
        } catch (e) {
          metrics.reconciles.inc({ controller: name, result: 'error' });
          throw e;
        } finally {
          end();
        }
      }
    : opts.reconcile;
  const hooks: WorkerHooks<K> = {
    onError: (key, err) => {
      if (opts.isRoutine?.(err)) log.debug('reconcile failed, will retry', { key, err: describe(err) });
      else log.warn('reconcile failed, will retry', { key, err: describe(err) });
    },
    onRetry: metrics ? () => metrics.retries.inc({ name }) : undefined,
  };

  let stopped = false;
  let wake = () => {};
  const stopSignal = new Promise<void>((r) => {
    wake = r;
  });
  opts.owned?.start();
  const done = (async () => {
    await Promise.race([Promise.all(opts.caches.map((c) => c.waitForSync())), stopSignal]);
    if (stopped) return;
    await opts.beforeWorkers?.();
    if (stopped) return;
    log.info('caches synced, starting workers', { workers: opts.workers });
    await runWorkerLoops(queue, opts.workers, timed, hooks);
  })();
  return async () => {
    stopped = true;
    wake();
    queue.shutDown();
    opts.owned?.stop();
    await done;
  };
}
