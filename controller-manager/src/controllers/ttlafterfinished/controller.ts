// The TTL-after-finished controller: a Job with spec.ttlSecondsAfterFinished is deleted that
// many seconds after it finished (Complete or Failed), in the foreground, so that its pods go
// first through the garbage collector's ownerReferences.
import { BatchV1Api, type V1Job } from '@kubernetes/client-node';
import { keyOf, runController, splitKey, WorkQueue, type ReconcileResult } from '@skiff/common';
import type { ControllerContext, ControllerDescriptor } from '../../controller-context.ts';
import { errorMessage, isConflict, isNotFound } from '../../lib/api-errors.ts';
import { jobInformer } from '../job/controller.ts';

/** When a finished Job may go, in epoch ms; undefined when it has no TTL or has not finished. */
export function expiresAt(job: V1Job): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || ttl === null || job.metadata?.deletionTimestamp) return undefined;
  const done = (job.status?.conditions ?? []).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  if (!done) return undefined;
  // completionTime for a Complete Job, the condition's transition for a Failed one
  const finished = job.status?.completionTime ?? done.lastTransitionTime;
  const at = finished ? new Date(finished).getTime() : Date.now();
  return at + ttl * 1000;
}

export function ttlAfterFinishedController(now: () => number = Date.now): ControllerDescriptor {
  return {
    name: 'ttl-after-finished',
    async start(ctx: ControllerContext) {
      const batch = ctx.kubeConfig.makeApiClient(BatchV1Api);
      const jobs = jobInformer(ctx);
      const queue = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: 60_000 });
      const log = ctx.log.child({ controller: 'ttl-after-finished' });
      const enqueue = (j: V1Job) => {
        if (expiresAt(j) !== undefined) queue.add(keyOf(j));
      };
      jobs.on({ add: enqueue, update: enqueue });

      async function reconcile(key: string): Promise<ReconcileResult> {
        const { namespace, name } = splitKey(key);
        const cached = jobs.get(name, namespace);
        if (!cached || expiresAt(cached) === undefined) return;
        if (expiresAt(cached)! > now()) return { requeueAfterMs: expiresAt(cached)! - now() };
        // the cache may be behind a user who just changed the TTL: decide on the live object
        let live: V1Job;
        try {
          live = await batch.readNamespacedJob({ name, namespace: namespace! });
        } catch (e) {
          if (isNotFound(e)) return;
          throw e;
        }
        const at = expiresAt(live);
        if (at === undefined) return;
        if (at > now()) return { requeueAfterMs: at - now() };
        log.info('deleting finished job after its TTL', { job: key });
        try {
          await batch.deleteNamespacedJob({
            name,
            namespace: namespace!,
            body: { propagationPolicy: 'Foreground', preconditions: { uid: live.metadata?.uid, resourceVersion: live.metadata?.resourceVersion } },
          });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }

      return runController({
        name: 'ttl-after-finished',
        log,
        queue,
        metrics: ctx.metrics,
        caches: [jobs],
        workers: 2,
        reconcile,
        isRoutine: isConflict,
        describeError: errorMessage,
      });
    },
  };
}
