// The CronJob controller (upstream cronjob_controllerv2): keeps status.active in step with the
// CronJob's Jobs, starts a Job at each scheduled time (one catch-up run after downtime, none
// past startingDeadlineSeconds), applies the concurrency policy, prunes finished Jobs beyond
// the history limits, and sleeps until the next start time. Its clock is injectable, so that
// tests run minute schedules in seconds.
import { BatchV1Api, type V1CronJob, type V1CronJobStatus, type V1Job, type V1ObjectReference } from '@kubernetes/client-node';
import { keyOf, splitKey, WorkQueue, type EventRecorder, type Informer, type ReconcileResult } from '@skiff/common';
import { controllerOf } from '@skiff/common/apimachinery/owner-references';
import { type CronSchedule, CronSyntaxError, isValidTimeZone, nextActivation, parseSchedule } from '@skiff/common/batch/cron';
import type { ControllerContext, ControllerDescriptor } from '../../controller-context.ts';
import { errorMessage, isAlreadyExists, isNotFound } from '../../lib/api-errors.ts';
import { canonicalJson } from '../../lib/canonical-json.ts';
import { eventRef, newEventRecorder } from '../../lib/events.ts';
import { runManagedController } from '../../lib/run-controller.ts';
import { jobInformer } from '../job/controller.ts';
import { isJobFinished } from '../job/plan.ts';
import { jobFor, jobNameFor, MANY_MISSED, mostRecentScheduleTime, rfc1123z } from './schedule.ts';

/** A clock for the controller: `now` in epoch ms, and how long a wait of `ms` on that clock takes in real time. */
export interface CronClock {
  now(): number;
  realDelay(ms: number): number;
}

export const realClock: CronClock = { now: Date.now, realDelay: (ms) => ms };

/** A clock that runs `scale` times faster than real time from the moment it is made (tests). */
export function scaledClock(scale: number): CronClock {
  if (scale === 1) return realClock;
  const start = Date.now();
  return { now: () => start + (Date.now() - start) * scale, realDelay: (ms) => ms / scale };
}

function refOf(job: V1Job): V1ObjectReference {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: job.metadata?.name,
    namespace: job.metadata?.namespace,
    uid: job.metadata?.uid,
    resourceVersion: job.metadata?.resourceVersion,
  };
}

function finishedCondition(job: V1Job): string | undefined {
  return (job.status?.conditions ?? []).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.type;
}

const time = (t: unknown) => (t ? new Date(t as string).getTime() : 0);

export class CronJobController {
  private readonly ctx: ControllerContext;
  private readonly batch: BatchV1Api;
  private readonly cronJobs: Informer<V1CronJob>;
  private readonly jobs: Informer<V1Job>;
  private readonly events: EventRecorder;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });
  private readonly clock: CronClock;

  constructor(ctx: ControllerContext, clock: CronClock = realClock) {
    this.ctx = ctx;
    this.clock = clock;
    this.batch = ctx.kubeConfig.makeApiClient(BatchV1Api);
    this.cronJobs = ctx.informers.informerFor('/apis/batch/v1/cronjobs', () => this.batch.listCronJobForAllNamespaces());
    this.jobs = jobInformer(ctx);
    this.events = newEventRecorder(ctx, 'cronjob-controller');
    this.cronJobs.on({ add: (c) => this.queue.add(keyOf(c)), update: (c) => this.queue.add(keyOf(c)), delete: () => undefined });
    const jobChanged = (j: V1Job) => {
      const ref = controllerOf(j.metadata);
      if (ref?.kind === 'CronJob') this.queue.add(`${j.metadata?.namespace}/${ref.name}`);
    };
    this.jobs.on({ add: jobChanged, update: jobChanged, delete: jobChanged });
  }

  run(): () => Promise<void> {
    return runManagedController(this.ctx, {
      name: 'cronjob',
      queue: this.queue,
      caches: [this.cronJobs, this.jobs],
      workers: 5,
      reconcile: (key) => this.sync(key),
      events: this.events,
    });
  }

  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cj = this.cronJobs.get(name, namespace);
    if (!cj) return;
    const uid = cj.metadata?.uid;
    const children = this.jobs.list(namespace).filter((j) => controllerOf(j.metadata)?.uid === uid);
    const status: V1CronJobStatus = structuredClone(cj.status ?? {});
    await this.reconcileActive(cj, status, children);
    const requeue = cj.metadata?.deletionTimestamp ? undefined : await this.maybeStart(cj, status, children);
    await this.writeStatus(cj, status);
    await this.pruneHistory(cj, children);
    return requeue;
  }

  /** status.active lists exactly the unfinished Jobs; finished ones leave with an Event. */
  private async reconcileActive(cj: V1CronJob, status: V1CronJobStatus, children: readonly V1Job[]): Promise<void> {
    const ref = eventRef(cj, 'batch/v1', 'CronJob');
    const active = [...(status.active ?? [])];
    const listed = new Set(active.map((a) => a.uid));
    for (const job of children) {
      const done = finishedCondition(job);
      if (!done && !listed.has(job.metadata?.uid)) {
        active.push(refOf(job));
        listed.add(job.metadata?.uid);
      } else if (done && listed.has(job.metadata?.uid)) {
        const i = active.findIndex((a) => a.uid === job.metadata?.uid);
        active.splice(i, 1);
        this.events.event(ref, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata?.name}, condition: ${done}`);
      }
      if (done === 'Complete' && job.status?.completionTime && time(job.status.completionTime) > time(status.lastSuccessfulTime)) {
        status.lastSuccessfulTime = job.status.completionTime;
      }
    }
    const known = new Set(children.map((j) => j.metadata?.uid));
    for (const a of [...active]) {
      if (known.has(a.uid)) continue;
      // maybe only the cache is behind: ask before forgetting it
      let live: V1Job | undefined;
      try {
        live = await this.batch.readNamespacedJob({ name: a.name!, namespace: cj.metadata!.namespace! });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      if (live && live.metadata?.uid === a.uid && !isJobFinished(live)) continue;
      active.splice(active.indexOf(a), 1);
      if (!live || live.metadata?.uid !== a.uid) this.events.event(ref, 'Normal', 'MissingJob', `Active job went missing: ${a.name}`);
    }
    status.active = active.length ? active : undefined;
    if (!status.active) delete status.active;
  }

  /** Starts the Job of the most recent unstarted schedule time if policy allows; when to look again. */
  private async maybeStart(cj: V1CronJob, status: V1CronJobStatus, children: readonly V1Job[]): Promise<ReconcileResult> {
    const ref = eventRef(cj, 'batch/v1', 'CronJob');
    const zone = cj.spec?.timeZone ?? undefined;
    if (zone !== undefined && !isValidTimeZone(zone)) {
      this.events.event(ref, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${zone}": unknown time zone ${zone}`);
      return;
    }
    let schedule: CronSchedule;
    try {
      schedule = parseSchedule(cj.spec?.schedule ?? '');
    } catch (e) {
      if (!(e instanceof CronSyntaxError)) throw e;
      this.events.event(ref, 'Warning', 'UnparseableSchedule', `unparseable schedule: "${cj.spec?.schedule}" : ${e.message}`);
      return;
    }
    if (cj.spec?.suspend) return;
    const now = this.clock.now();
    const view: V1CronJob = { ...cj, status };
    const recent = mostRecentScheduleTime(view, schedule, now);
    const wakeUp = (): ReconcileResult => {
      const next = nextActivation(schedule, now, zone);
      // a little after the start time, so that the clock has passed it
      return next === undefined ? undefined : { requeueAfterMs: Math.max(this.clock.realDelay(next - now), 0) + 100 };
    };
    if (recent.missed > MANY_MISSED) {
      this.events.event(
        ref,
        'Warning',
        'TooManyMissedTimes',
        `too many missed start times: ${recent.missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`,
      );
    }
    const scheduled = recent.scheduled;
    if (scheduled === undefined) return wakeUp();
    const deadline = cj.spec?.startingDeadlineSeconds;
    if (deadline !== undefined && deadline !== null && scheduled + deadline * 1000 < now) {
      this.events.event(ref, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
      return wakeUp();
    }
    const jobName = jobNameFor(cj, scheduled);
    if ((status.active ?? []).some((a) => a.name === jobName) || time(status.lastScheduleTime) >= scheduled) return wakeUp();
    const policy = cj.spec?.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && (status.active ?? []).length > 0) {
      this.events.event(ref, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return wakeUp();
    }
    if (policy === 'Replace') {
      for (const a of [...(status.active ?? [])]) {
        await this.deleteJob(cj, a.name!);
        status.active = (status.active ?? []).filter((x) => x.uid !== a.uid);
      }
      if (!status.active?.length) delete status.active;
    }
    let created: V1Job;
    try {
      created = await this.batch.createNamespacedJob({ namespace: cj.metadata!.namespace!, body: jobFor(cj, scheduled) });
      this.events.event(ref, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata?.name}`);
    } catch (e) {
      if (!isAlreadyExists(e)) {
        this.events.event(ref, 'Warning', 'FailedCreate', `Error creating job: ${errorMessage(e)}`);
        throw e;
      }
      // made by an earlier sync whose status write was lost: adopt it as that run
      created =
        children.find((j) => j.metadata?.name === jobName) ?? (await this.batch.readNamespacedJob({ name: jobName, namespace: cj.metadata!.namespace! }));
      if (controllerOf(created.metadata)?.uid !== cj.metadata?.uid) return wakeUp();
    }
    if (!isJobFinished(created) && !(status.active ?? []).some((a) => a.uid === created.metadata?.uid)) {
      status.active = [...(status.active ?? []), refOf(created)];
    }
    status.lastScheduleTime = new Date(scheduled);
    return wakeUp();
  }

  private async deleteJob(cj: V1CronJob, name: string): Promise<boolean> {
    const ref = eventRef(cj, 'batch/v1', 'CronJob');
    try {
      await this.batch.deleteNamespacedJob({ name, namespace: cj.metadata!.namespace!, body: { propagationPolicy: 'Background' } });
    } catch (e) {
      if (isNotFound(e)) return false;
      this.events.event(ref, 'Warning', 'FailedDelete', `Deleted job: ${errorMessage(e)}`);
      throw e;
    }
    this.events.event(ref, 'Normal', 'SuccessfulDelete', `Deleted job ${name}`);
    return true;
  }

  /** Keeps the newest successfulJobsHistoryLimit Complete and failedJobsHistoryLimit Failed Jobs. */
  private async pruneHistory(cj: V1CronJob, children: readonly V1Job[]): Promise<void> {
    const byAge = (a: V1Job, b: V1Job) =>
      (time(a.status?.startTime) || time(a.metadata?.creationTimestamp)) - (time(b.status?.startTime) || time(b.metadata?.creationTimestamp));
    const live = children.filter((j) => !j.metadata?.deletionTimestamp);
    const prune = async (kind: string, limit: number | undefined) => {
      if (limit === undefined || limit === null) return;
      const done = live.filter((j) => finishedCondition(j) === kind).sort(byAge);
      for (const job of done.slice(0, Math.max(done.length - limit, 0))) await this.deleteJob(cj, job.metadata!.name!);
    };
    await prune('Complete', cj.spec?.successfulJobsHistoryLimit);
    await prune('Failed', cj.spec?.failedJobsHistoryLimit);
  }

  private async writeStatus(cj: V1CronJob, status: V1CronJobStatus): Promise<void> {
    if (canonicalJson(status) === canonicalJson(cj.status ?? {})) return;
    try {
      await this.batch.replaceNamespacedCronJobStatus({ name: cj.metadata!.name!, namespace: cj.metadata!.namespace!, body: { ...cj, status } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

export const cronJobController: ControllerDescriptor = {
  name: 'cronjob',
  async start(ctx) {
    return new CronJobController(ctx, scaledClock(ctx.config.cronJobTimeScale ?? 1)).run();
  },
};
