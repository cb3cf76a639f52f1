// The informer -> workqueue -> reconcile loop every controller shares, with metrics and logs,
// so each controller file holds only its reconcile logic and event wiring.
import { WorkQueue, runWorkers } from '@skiff/common';
import type { ControllerContext, StopController } from './controller-context.ts';
import { errorMessage, isConflict } from './lib/api-errors.ts';

export interface Syncable {
  waitForSync(): Promise<void>;
}

export type ReconcileResult = void | { requeueAfterMs?: number };

export interface QueueController {
  name: string;
  queue: WorkQueue<string>;
  /** Starts workers once the given informers have synced; returns the stop function. */
  run(caches: Syncable[], workers: number, reconcile: (key: string) => Promise<ReconcileResult>): StopController;
}

export function createQueueController(ctx: ControllerContext, name: string): QueueController {
  const queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });
  const log = ctx.log.child({ controller: name });
  queue.onAdd = () => ctx.metrics.queueAdds.inc({ name });
  ctx.metrics.trackQueueDepth(name, () => queue.len());
  return {
    name,
    queue,
    run(caches, workers, reconcile) {
      let stopped = false;
      let wake = () => {};
      const stopSignal = new Promise<void>((r) => {
        wake = r;
      });
      const done = (async () => {
        await Promise.race([Promise.all(caches.map((i) => i.waitForSync())), stopSignal]);
        if (stopped) return;
        log.info('caches synced, starting workers', { workers });
        await runWorkers(
          queue,
          workers,
          async (key) => {
            const end = ctx.metrics.reconcileSeconds.startTimer({ controller: name });
            try {
              const r = await reconcile(key);
              ctx.metrics.reconciles.inc({ controller: name, result: 'success' });
              return r;
            } catch (e) {
              ctx.metrics.reconciles.inc({ controller: name, result: 'error' });
              throw e;
            } finally {
              end();
            }
          },
          (key, err) => {
            // a conflict only means our cache was behind: routine, retried at once
            if (isConflict(err)) log.debug('conflict, will retry', { key, err: errorMessage(err) });
            else log.warn('reconcile failed, will retry', { key, err: errorMessage(err) });
          },
        );
      })();
      return async () => {
        stopped = true;
        wake();
        queue.shutDown();
        await done;
      };
    },
  };
}
