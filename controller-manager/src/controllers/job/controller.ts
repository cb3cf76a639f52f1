// The Job controller: runs a Job's pods to completion (completions, parallelism, Indexed mode,
// back-off, deadlines, pod failure policy, suspend), counting each finished pod exactly once
// through the job-tracking finalizer, and reports conditions and Events as Kubernetes does.
// The decisions are in plan.ts; this file reads the caches and performs them.
import { BatchV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Job, type V1JobStatus, type V1Pod } from '@kubernetes/client-node';
import { keyOf, splitKey, WorkQueue, type EventRecorder, type Informer, type ReconcileResult } from '@skiff/common';
import { controllerOf, newControllerRef } from '@skiff/common/apimachinery/owner-references';
import type { ControllerContext, ControllerDescriptor } from '../../controller-context.ts';
import { isNotFound } from '../../lib/api-errors.ts';
import { assertSameLiveOwner, claimObjects, ownersSelecting, resolveControllerRef } from '../../lib/claim.ts';
import { canonicalJson } from '../../lib/canonical-json.ts';
import { eventRef, newEventRecorder } from '../../lib/events.ts';
import { runManagedController } from '../../lib/run-controller.ts';
import { Expectations } from '../../lib/expectations.ts';
import { podKey } from '../../lib/pods.ts';
import { PodControl } from '../../lib/pod-control.ts';
import { type BackoffRecord, hasFinalizer, isJobFinished, planJob, recordFinishedPods } from './plan.ts';
import { JOB_TRACKING_FINALIZER, podForJob } from './pod-template.ts';

const strategicPatch = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';
/** Pod updates come in bursts (every status change of every pod): one sync per Job per this many ms. */
const POD_BATCH_MS = 200;

export function jobInformer(ctx: ControllerContext): Informer<V1Job> {
  const batch = ctx.kubeConfig.makeApiClient(BatchV1Api);
  return ctx.informers.informerFor('/apis/batch/v1/jobs', () => batch.listJobForAllNamespaces());
}

export class JobController {
  private readonly ctx: ControllerContext;
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly jobs: Informer<V1Job>;
  private readonly pods: Informer<V1Pod>;
  private readonly expectations: Expectations;
  private readonly events: EventRecorder;
  private readonly podControl: PodControl;
  private readonly backoffs = new Map<string, BackoffRecord>();
  /**
   * Per Job: pods whose finalizer we removed. A pod cache that is behind (or a relist that
   * goes back) may still show the finalizer; such a pod was counted already (upstream's
   * finalizer expectations, kept for the Job's life).
   */
  private readonly releasing = new Map<string, Set<string>>();
  /** per Job: pods this controller deleted while the Job ran (too many): not failures */
  private readonly deletedByUs = new Map<string, Set<string>>();
  /** uids of pods the informer delivered: a relist's `add` of a known pod is no creation */
  private readonly seenPods = new Set<string>();
  /** per Job: pods created (uid -> completion index) that the pod cache has not shown yet, with when */
  private readonly unseen = new Map<string, Map<string, { index?: number; at: number }>>();
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });
  private readonly now: () => number;

  constructor(ctx: ControllerContext, now: () => number = Date.now) {
    this.ctx = ctx;
    this.now = now;
    this.batch = ctx.kubeConfig.makeApiClient(BatchV1Api);
    this.core = ctx.kubeConfig.makeApiClient(CoreV1Api);
    this.jobs = jobInformer(ctx);
    this.pods = ctx.informers.pods();
    this.expectations = new Expectations(ctx.config.expectationsTimeoutSeconds * 1000);
    this.events = newEventRecorder(ctx, 'job-controller');
    this.podControl = new PodControl(this.core, this.events);
    this.jobs.on({
      add: (j) => this.queue.add(keyOf(j)),
      update: (j) => this.queue.add(keyOf(j)),
      delete: (j) => {
        this.expectations.forget(keyOf(j));
        this.backoffs.delete(j.metadata?.uid ?? '');
        this.releasing.delete(j.metadata?.uid ?? '');
        this.unseen.delete(j.metadata?.uid ?? '');
        this.deletedByUs.delete(j.metadata?.uid ?? '');
        this.queue.add(keyOf(j));
      },
    });
    this.pods.on({
      add: (p) => this.podChanged(p, 'add'),
      update: (p) => this.podChanged(p, 'update'),
      delete: (p) => this.podChanged(p, 'delete'),
    });
  }

  run(): () => Promise<void> {
    return runManagedController(this.ctx, {
      name: 'job',
      queue: this.queue,
      caches: [this.jobs, this.pods],
      workers: 5,
      reconcile: (key) => this.sync(key),
      events: this.events,
    });
  }

  private ownerOf(pod: V1Pod): V1Job | undefined {
    return resolveControllerRef(pod, 'Job', (name, ns) => this.jobs.get(name, ns));
  }

  private podChanged(pod: V1Pod, how: 'add' | 'update' | 'delete'): void {
    if (!controllerOf(pod.metadata)) {
      // an orphan: the Jobs whose selector matches it may adopt it
      if (how !== 'delete') this.enqueueMatchingJobs(pod);
      return;
    }
    if (controllerOf(pod.metadata)?.kind !== 'Job') return;
    const uid = pod.metadata?.uid ?? '';
    const firstSight = !this.seenPods.has(uid);
    if (how === 'delete') this.seenPods.delete(uid);
    else this.seenPods.add(uid);
    this.unseen.get(controllerOf(pod.metadata)?.uid ?? '')?.delete(uid);
    const job = this.ownerOf(pod);
    if (!job) {
      // a pod whose Job is gone must not keep our finalizer forever
      if (how !== 'delete' && hasFinalizer(pod) && controllerOf(pod.metadata)?.kind === 'Job') void this.releaseOrphan(pod);
      return;
    }
    const key = keyOf(job);
    if (how === 'add' && !pod.metadata?.deletionTimestamp && firstSight) this.expectations.creationObserved(key);
    if (how === 'delete' || pod.metadata?.deletionTimestamp) this.expectations.deletionObserved(key, podKey(pod));
    this.queue.addAfter(key, POD_BATCH_MS);
  }

  private async releaseOrphan(pod: V1Pod): Promise<void> {
    const ref = controllerOf(pod.metadata);
    if (!ref) return;
    let ownerAlive: boolean;
    try {
      const live = await this.batch.readNamespacedJob({ name: ref.name, namespace: pod.metadata!.namespace! });
      ownerAlive = live.metadata?.uid === ref.uid;
    } catch (e) {
      // on any other error, leave it for the next event
      ownerAlive = !isNotFound(e);
    }
    if (!ownerAlive) await this.removeFinalizer(pod).catch(() => undefined);
  }

  private enqueueMatchingJobs(pod: V1Pod): void {
    for (const job of ownersSelecting(pod, this.jobs.list(pod.metadata?.namespace))) if (!isJobFinished(job)) this.queue.addAfter(keyOf(job), POD_BATCH_MS);
  }

  /**
   * The Job's pods, as upstream's ControllerRefManager sees them: those it controls and still
   * selects, plus orphans it selects, adopted with the tracking finalizer; a pod it controls but
   * no longer selects is released (and its finalizer with it).
   */
  private ownedPods(job: V1Job): Promise<V1Pod[]> {
    return claimObjects(this.pods.list(job.metadata?.namespace), {
      owner: job,
      ownerRef: newControllerRef(job, 'batch/v1', 'Job'),
      selector: job.spec?.selector,
      canAdopt: async () => {
        const fresh = await this.batch.readNamespacedJob({ name: job.metadata!.name!, namespace: job.metadata!.namespace! });
        assertSameLiveOwner(fresh, job.metadata?.uid, `Job ${keyOf(job)}`);
      },
      patchOwnerRefs: (pod, ownerReferences) => {
        const adopting = ownerReferences.some((r) => r.uid === job.metadata?.uid);
        const others = (pod.metadata?.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
        return this.podControl.patchPod(pod, {
          ownerReferences,
          // as upstream, an adopted pod is tracked (and, if it finished already, counted) like one of our own
          finalizers: adopting ? [...others, JOB_TRACKING_FINALIZER] : others,
        });
      },
    });
  }

  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const job = this.jobs.get(name, namespace);
    if (!job) {
      this.expectations.forget(key);
      return;
    }
    if (job.spec?.managedBy && job.spec.managedBy !== JOB_CONTROLLER_NAME) return;
    const pods = await this.ownedPods(job);
    if (isJobFinished(job) || job.metadata?.deletionTimestamp) {
      await this.removeFinalizers(pods.filter(hasFinalizer));
      return;
    }
    const now = this.now();
    // step 1: record what finished
    const uid = job.metadata?.uid ?? '';
    let releasing = this.releasing.get(uid);
    if (!releasing) this.releasing.set(uid, (releasing = new Set()));
    const recording = recordFinishedPods(job, pods, now, releasing, this.deletedByUs.get(uid));
    // (a write that conflicts ends the sync here: the cache is behind, and nothing was done on its word)
    let current = job;
    if (recording.changed) current = await this.writeStatus(job, recording.status);
    // step 2: let go of their finalizers; step 3 and after, planned on the counts as they will be
    // once the finalizers are gone (upstream counts newly finished pods before manageJob too)
    const uncounted = new Set([...(current.status?.uncountedTerminatedPods?.succeeded ?? []), ...(current.status?.uncountedTerminatedPods?.failed ?? [])]);
    const toRelease = pods.filter((p) => hasFinalizer(p) && (uncounted.has(p.metadata?.uid ?? '') || recording.dropOnly.includes(p)));
    const plan = planJob({
      job: current,
      pods,
      released: new Set(toRelease.map((p) => p.metadata?.uid ?? '')),
      now,
      backoff: this.backoffs.get(uid) ?? { failuresAfterLastSuccess: 0, lastFailureTime: 0 },
      unseen: this.unseenPods(uid, pods),
    });
    this.ctx.log.debug('job sync', {
      job: key,
      pods: pods.length,
      succeeded: plan.status.succeeded,
      active: plan.status.active,
      create: plan.create.length,
      delete: plan.delete.length,
      satisfied: this.expectations.satisfied(key),
    });
    // Replacements are created while the finalizers go: on a busy apiserver each is a round trip
    // or more, and a finished pod's successor should not wait for its predecessor's bookkeeping.
    const manage = async (): Promise<unknown> => {
      if (!this.expectations.satisfied(key)) return undefined;
      const deleteError = await this.deletePods(key, job, plan.delete);
      if (deleteError) return deleteError;
      const made = await this.createPods(key, job, plan.create);
      // as upstream: the pods just created are active already
      if (made.created) plan.status.active = (plan.status.active ?? 0) + made.created;
      return made.error;
    };
    const [release, managed] = await Promise.allSettled([this.removeFinalizers(toRelease, releasing), manage()]);
    // the counts above hold only once every finalizer is gone; else the next sync counts again
    if (release.status === 'rejected') throw release.reason;
    this.backoffs.set(uid, plan.backoff);
    const manageError = managed.status === 'rejected' ? managed.reason : managed.value;
    const ref = eventRef(job, 'batch/v1', 'Job');
    for (const e of plan.events) this.events.event(ref, e.type, e.reason, e.message);
    await this.writeStatus(current, plan.status);
    if (manageError) throw manageError;
    if (plan.requeueAfterMs !== undefined && Number.isFinite(plan.requeueAfterMs)) return { requeueAfterMs: plan.requeueAfterMs };
  }

  /** Created pods the cache does not show yet; after a minute one is taken as lost (its create event missed). */
  private unseenPods(jobUid: string, pods: readonly V1Pod[]): (number | undefined)[] {
    const pending = this.unseen.get(jobUid);
    if (!pending) return [];
    for (const p of pods) pending.delete(p.metadata?.uid ?? '');
    const now = Date.now();
    for (const [uid, e] of pending) if (now - e.at > 60_000) pending.delete(uid);
    return [...pending.values()].map((e) => e.index);
  }

  private async createPods(key: string, job: V1Job, wanted: ReturnType<typeof planJob>['create']): Promise<{ created: number; error?: unknown }> {
    const jobUid = job.metadata?.uid ?? '';
    return this.podControl.createPods(
      this.expectations,
      key,
      eventRef(job, 'batch/v1', 'Job'),
      job.metadata!.namespace!,
      wanted.length,
      (i) => podForJob(job, wanted[i]!.index, wanted[i]!.failureCount),
      (pod, i) => {
        const uid = pod.metadata?.uid ?? '';
        if (this.seenPods.has(uid)) return;
        let pending = this.unseen.get(jobUid);
        if (!pending) this.unseen.set(jobUid, (pending = new Map()));
        pending.set(uid, { index: wanted[i]!.index, at: Date.now() });
      },
    );
  }

  private async deletePods(key: string, job: V1Job, victims: readonly V1Pod[]): Promise<unknown> {
    const pending = victims.filter((p) => !p.metadata?.deletionTimestamp);
    // marked before the delete: the pod's last update may arrive before the call returns
    let mine = this.deletedByUs.get(job.metadata?.uid ?? '');
    if (!mine) this.deletedByUs.set(job.metadata?.uid ?? '', (mine = new Set()));
    for (const pod of pending) mine.add(pod.metadata?.uid ?? '');
    return this.podControl.deletePods(this.expectations, key, eventRef(job, 'batch/v1', 'Job'), pending);
  }

  private async removeFinalizer(pod: V1Pod): Promise<void> {
    await this.core.patchNamespacedPod(
      {
        name: pod.metadata!.name!,
        namespace: pod.metadata!.namespace!,
        body: { metadata: { '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] } },
      },
      strategicPatch,
    );
  }

  /** Removes the finalizer from each pod; the uids whose finalizer is gone (or whose pod is). */
  private async removeFinalizers(pods: readonly V1Pod[], releasing?: Set<string>): Promise<Set<string>> {
    const done = new Set<string>();
    let failure: unknown;
    await Promise.all(
      pods.map(async (pod) => {
        try {
          releasing?.add(pod.metadata?.uid ?? '');
          await this.removeFinalizer(pod);
          done.add(pod.metadata?.uid ?? '');
        } catch (e) {
          if (isNotFound(e)) done.add(pod.metadata?.uid ?? '');
          else {
            releasing?.delete(pod.metadata?.uid ?? '');
            failure ??= e;
          }
        }
      }),
    );
    if (failure) throw failure;
    return done;
  }

  private async writeStatus(job: V1Job, status: V1JobStatus): Promise<V1Job> {
    if (canonicalJson(status) === canonicalJson(job.status ?? {})) return job;
    const ref = { name: job.metadata!.name!, namespace: job.metadata!.namespace! };
    try {
      return await this.batch.replaceNamespacedJobStatus({ ...ref, body: { ...job, status } });
    } catch (e) {
      if (isNotFound(e)) return job;
      throw e;
    }
  }
}

export const jobController: ControllerDescriptor = {
  name: 'job',
  async start(ctx) {
    return new JobController(ctx).run();
  },
};
