// The Job controller's decisions, free of I/O so that tests can drive them: which finished pods
// to record (step 1 of the uncounted-pods flow), and then from the recorded status, the pods and
// the finalizers actually removed, the new counters, conditions, pods to create and delete.
//
// Finished pods are counted exactly once: (1) their uids go into status.uncountedTerminatedPods,
// (2) the controller removes their batch.kubernetes.io/job-tracking finalizer, (3) uids whose
// pods no longer hold the finalizer leave the list as the counters grow, in one status write.
import type { V1Job, V1JobCondition, V1JobStatus, V1Pod } from '@kubernetes/client-node';
import { formatIndexes, parseIndexes } from './indexes.ts';
import { judgeFailure } from './pod-failure-policy.ts';
import { completionIndexOf, INDEX_FAILURE_COUNT, JOB_TRACKING_FINALIZER } from './pod-template.ts';

/** Exponential back-off before replacing failed pods: 10 s doubling, at most 6 min. */
export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_MAX_MS = 360_000;
/** Pods created or deleted by one sync at most (upstream MaxPodCreateDeletePerSync). */
export const MAX_POD_CHANGES_PER_SYNC = 500;

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime: number;
}

export interface JobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export const hasFinalizer = (pod: V1Pod) => (pod.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);

/** Terminal phase, or being deleted: either way the pod will not run to completion for us any more. */
export function isPodFinished(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || !!pod.metadata?.deletionTimestamp;
}

export function isPodActive(pod: V1Pod): boolean {
  return !isPodFinished(pod);
}

/**
 * podReplacementPolicy Failed (the default with a podFailurePolicy): a pod being deleted is
 * replaced, and judged, only once it reaches the Failed phase; until then it is terminating.
 * TerminatingOrFailed counts it as failed as soon as its deletion starts.
 */
export function onlyReplaceFailedPods(job: V1Job): boolean {
  return job.spec?.podReplacementPolicy === 'Failed' || !!job.spec?.podFailurePolicy;
}

/** Being deleted but not finished running: status.terminating. */
export function isPodTerminating(pod: V1Pod): boolean {
  return !!pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

function isPodReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function conditionTrue(status: V1JobStatus | undefined, type: string): V1JobCondition | undefined {
  return (status?.conditions ?? []).find((c) => c.type === type && c.status === 'True');
}

export function isJobFinished(job: V1Job): boolean {
  return !!(conditionTrue(job.status, 'Complete') || conditionTrue(job.status, 'Failed'));
}

/** Sets a condition; lastTransitionTime moves only when the status does. Returns whether anything changed. */
export function setCondition(status: V1JobStatus, type: string, value: 'True' | 'False', reason: string, message: string, now: number): boolean {
  const conditions = (status.conditions ??= []);
  const at = new Date(Math.floor(now / 1000) * 1000);
  const existing = conditions.find((c) => c.type === type);
  if (!existing) {
    if (value === 'False') return false;
    conditions.push({ type, status: value, reason, message, lastProbeTime: at, lastTransitionTime: at });
    return true;
  }
  if (existing.status === value && existing.reason === reason && existing.message === message) return false;
  if (existing.status !== value) existing.lastTransitionTime = at;
  existing.status = value;
  existing.reason = reason;
  existing.message = message;
  existing.lastProbeTime = at;
  return true;
}

/** When a pod finished: its containers' last finish time, or now. */
function finishTime(pod: V1Pod, now: number): number {
  let latest = 0;
  for (const s of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
    const t = s.state?.terminated?.finishedAt;
    if (t) latest = Math.max(latest, new Date(t).getTime());
  }
  return latest || now;
}

const finishingCondition = (status: V1JobStatus | undefined) => conditionTrue(status, 'FailureTarget') ?? conditionTrue(status, 'SuccessCriteriaMet');

export interface Recording {
  status: V1JobStatus;
  changed: boolean;
  /** pods whose finalizer goes without being counted (Ignore rule, pods deleted by the controller itself) */
  dropOnly: V1Pod[];
}

/**
 * Step 1: finished pods still holding our finalizer and not yet in uncountedTerminatedPods go
 * there; an Indexed Job's succeeded indexes join completedIndexes in the same write, and a
 * FailJob rule match sets FailureTarget. `releasing` are the uids whose finalizer removal the
 * pod cache has not shown yet: they were counted already. Pods the controller deleted itself
 * (too many running) are no failures unless they failed before.
 */
export function recordFinishedPods(
  job: V1Job,
  pods: readonly V1Pod[],
  now: number,
  releasing: ReadonlySet<string> = new Set(),
  deletedByController: ReadonlySet<string> = new Set(),
): Recording {
  const status: V1JobStatus = structuredClone(job.status ?? {});
  const uncounted = { succeeded: [...(status.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(status.uncountedTerminatedPods?.failed ?? [])] };
  const known = new Set([...uncounted.succeeded, ...uncounted.failed]);
  const indexed = job.spec?.completionMode === 'Indexed';
  const completions = job.spec?.completions ?? 0;
  const completed = parseIndexes(status.completedIndexes, completions);
  const dropOnly: V1Pod[] = [];
  let changed = false;
  // Pods deleted while suspended or while the Job is finishing were deleted by us: not failures.
  const quiet = job.spec?.suspend === true || !!finishingCondition(job.status);
  const waitForFailed = onlyReplaceFailedPods(job);
  for (const pod of pods) {
    const uid = pod.metadata?.uid ?? '';
    // a pod whose finalizer we removed but the cache still shows was counted already
    if (!hasFinalizer(pod) || !isPodFinished(pod) || known.has(uid) || releasing.has(uid)) continue;
    if (waitForFailed && isPodTerminating(pod) && !quiet && !deletedByController.has(uid)) continue;
    if (pod.status?.phase === 'Succeeded') {
      uncounted.succeeded.push(uid);
      const ix = completionIndexOf(pod);
      if (indexed && ix !== undefined && ix < completions) completed.add(ix);
      changed = true;
      continue;
    }
    // (the kubelet ends a deleted pod Failed: one we deleted is no failure, whatever its phase)
    if (deletedByController.has(uid) || (quiet && pod.metadata?.deletionTimestamp)) {
      dropOnly.push(pod);
      continue;
    }
    const verdict = judgeFailure(job, pod);
    if (verdict.action === 'Ignore') {
      dropOnly.push(pod);
      continue;
    }
    uncounted.failed.push(uid);
    changed = true;
    if (verdict.action === 'FailJob' && !finishingCondition(status)) {
      setCondition(status, 'FailureTarget', 'True', 'PodFailurePolicy', verdict.message ?? '', now);
    }
  }
  if (changed) {
    status.uncountedTerminatedPods = uncounted;
    if (indexed) status.completedIndexes = formatIndexes(completed);
  }
  return { status, changed, dropOnly };
}

export interface PodToCreate {
  index?: number;
  failureCount?: number;
}

export interface Plan {
  status: V1JobStatus;
  create: PodToCreate[];
  delete: V1Pod[];
  events: JobEvent[];
  backoff: BackoffRecord;
  requeueAfterMs?: number;
}

function backoffDelay(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(failures - 1, 20));
}

/** Per-index failures (backoffLimitPerIndex): what the failed pods of each index recorded, plus one. */
function indexFailureCounts(pods: readonly V1Pod[], job: V1Job): Map<number, number> {
  const counts = new Map<number, number>();
  for (const pod of pods) {
    const ix = completionIndexOf(pod);
    if (ix === undefined || pod.status?.phase !== 'Failed') continue;
    if (judgeFailure(job, pod).action === 'Ignore') continue;
    const n = Number(pod.metadata?.annotations?.[INDEX_FAILURE_COUNT] ?? '0') + 1;
    counts.set(ix, Math.max(counts.get(ix) ?? 0, n));
  }
  return counts;
}

/** Indexes that hit a FailIndex rule or went over backoffLimitPerIndex. */
function newlyFailedIndexes(pods: readonly V1Pod[], job: V1Job, counts: Map<number, number>): Set<number> {
  const out = new Set<number>();
  const limit = job.spec?.backoffLimitPerIndex;
  if (limit === undefined || limit === null) return out;
  for (const [ix, n] of counts) if (n > limit) out.add(ix);
  for (const pod of pods) {
    const ix = completionIndexOf(pod);
    if (ix !== undefined && pod.status?.phase === 'Failed' && judgeFailure(job, pod).action === 'FailIndex') out.add(ix);
  }
  return out;
}

/** Which active pods go first when there are too many: not scheduled, not ready, then the newest. */
function deletionOrder(a: V1Pod, b: V1Pod): number {
  const rank = (p: V1Pod) => (p.spec?.nodeName ? 1 : 0) + (isPodReady(p) ? 2 : 0);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  const ta = new Date(a.metadata?.creationTimestamp ?? 0).getTime();
  const tb = new Date(b.metadata?.creationTimestamp ?? 0).getTime();
  return tb - ta;
}

export interface PlanInput {
  job: V1Job;
  pods: readonly V1Pod[];
  /** uids whose finalizer this sync removed (the cache may still show it) */
  released: ReadonlySet<string>;
  now: number;
  backoff: BackoffRecord;
  /** pods this controller created that the pod cache does not show yet (their index, for Indexed Jobs) */
  unseen?: readonly (number | undefined)[];
}

/** Steps 3 and after: counters, conditions, and the pods to create or delete. */
export function planJob({ job, pods, released, now, backoff: previous, unseen = [] }: PlanInput): Plan {
  const spec = job.spec ?? { template: {} };
  const status: V1JobStatus = structuredClone(job.status ?? {});
  const events: JobEvent[] = [];
  const backoff = { ...previous };
  const byUid = new Map(pods.map((p) => [p.metadata?.uid ?? '', p]));
  const indexed = spec.completionMode === 'Indexed';
  const completions = spec.completions;

  // Step 3: uids whose pods let go of the finalizer are counted and leave the list.
  const gone = (uid: string) => {
    const p = byUid.get(uid);
    return !p || !hasFinalizer(p) || released.has(uid);
  };
  const uncounted = status.uncountedTerminatedPods ?? {};
  let newSucceeded = 0;
  let newFailed = 0;
  let lastFailure = 0;
  const stillSucceeded: string[] = [];
  const stillFailed: string[] = [];
  for (const uid of uncounted.succeeded ?? []) {
    if (gone(uid)) newSucceeded++;
    else stillSucceeded.push(uid);
  }
  for (const uid of uncounted.failed ?? []) {
    if (gone(uid)) {
      newFailed++;
      const p = byUid.get(uid);
      lastFailure = Math.max(lastFailure, p ? finishTime(p, now) : now);
    } else stillFailed.push(uid);
  }
  status.uncountedTerminatedPods = { succeeded: stillSucceeded.length ? stillSucceeded : undefined, failed: stillFailed.length ? stillFailed : undefined };
  if (!status.uncountedTerminatedPods.succeeded) delete status.uncountedTerminatedPods.succeeded;
  if (!status.uncountedTerminatedPods.failed) delete status.uncountedTerminatedPods.failed;
  if (indexed) {
    status.succeeded = parseIndexes(status.completedIndexes, completions ?? 0).size;
  } else if (newSucceeded) status.succeeded = (status.succeeded ?? 0) + newSucceeded;
  if (newFailed) status.failed = (status.failed ?? 0) + newFailed;
  if (newFailed) {
    backoff.failuresAfterLastSuccess += newFailed;
    backoff.lastFailureTime = Math.max(backoff.lastFailureTime, lastFailure);
  } else if (newSucceeded) backoff.failuresAfterLastSuccess = 0;

  const active = pods.filter(isPodActive);
  const terminating = pods.filter(isPodTerminating);
  const plan: Plan = { status, create: [], delete: [], events, backoff };
  const finishCounts = () => {
    status.active = active.length - plan.delete.filter((p) => isPodActive(p)).length;
    status.ready = active.filter((p) => isPodReady(p) && !plan.delete.includes(p)).length;
    status.terminating = terminating.length + plan.delete.length;
    for (const k of ['active', 'succeeded', 'failed'] as const) if (!status[k]) delete status[k];
  };

  // Suspend and resume.
  if (spec.suspend && !finishingCondition(status)) {
    if (setCondition(status, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now)) {
      events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
    }
    delete status.startTime;
    plan.delete.push(...active);
    finishCounts();
    return plan;
  }
  if (conditionTrue(status, 'Suspended')) {
    setCondition(status, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
    events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
  }
  if (!status.startTime) status.startTime = new Date(Math.floor(now / 1000) * 1000);

  // Indexes.
  const completedSet = indexed ? parseIndexes(status.completedIndexes, completions ?? 0) : new Set<number>();
  const perIndex = indexed && spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null;
  const failureCounts = perIndex ? indexFailureCounts(pods, job) : new Map<number, number>();
  const failedSet = perIndex ? parseIndexes(status.failedIndexes, completions ?? 0) : new Set<number>();
  if (perIndex) {
    for (const ix of newlyFailedIndexes(pods, job, failureCounts)) if (!completedSet.has(ix)) failedSet.add(ix);
    status.failedIndexes = formatIndexes(failedSet);
  }

  // Is the Job done, one way or the other?
  if (!finishingCondition(status)) {
    const failure = failureReason(job, status, active, failedSet, completedSet, now);
    if (failure) {
      setCondition(status, 'FailureTarget', 'True', failure.reason, failure.message, now);
    } else if (succeededEnough(job, status, active, completedSet)) {
      setCondition(status, 'SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
    }
  }
  const finishing = finishingCondition(status);
  if (finishing) {
    plan.delete.push(...active);
    const settled = active.length === 0 && terminating.length === 0 && !stillSucceeded.length && !stillFailed.length;
    if (settled) {
      if (finishing.type === 'FailureTarget') {
        setCondition(status, 'Failed', 'True', finishing.reason ?? '', finishing.message ?? '', now);
        events.push({ type: 'Warning', reason: finishing.reason ?? 'Failed', message: finishing.message ?? '' });
      } else {
        setCondition(status, 'Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
        status.completionTime = new Date(Math.floor(now / 1000) * 1000);
        events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
      }
      status.uncountedTerminatedPods = {};
    }
    finishCounts();
    return plan;
  }

  // Pods to delete (too many, or for indexes already done) and to create.
  // with podReplacementPolicy Failed, a terminating pod still holds its place (and its index)
  const holding = onlyReplaceFailedPods(job) ? terminating : [];
  if (indexed) manageIndexed(job, active, completedSet, failedSet, failureCounts, plan, [...unseen, ...holding.map(completionIndexOf)]);
  else manageNonIndexed(job, active, status.succeeded ?? 0, plan, unseen.length + holding.length);
  if (plan.create.length) {
    const wait = backoff.lastFailureTime + backoffDelay(backoff.failuresAfterLastSuccess) - now;
    if (spec.template?.spec?.restartPolicy === 'Never' && backoff.failuresAfterLastSuccess > 0 && wait > 0) {
      plan.create = [];
      plan.requeueAfterMs = wait;
    }
  }
  plan.create = plan.create.slice(0, MAX_POD_CHANGES_PER_SYNC);
  plan.delete = plan.delete.slice(0, MAX_POD_CHANGES_PER_SYNC);
  const deadline = spec.activeDeadlineSeconds;
  if (deadline && status.startTime) {
    const left = new Date(status.startTime).getTime() + deadline * 1000 - now;
    plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Number.POSITIVE_INFINITY, Math.max(left, 0) + 50);
  }
  finishCounts();
  return plan;
}

function failureReason(
  job: V1Job,
  status: V1JobStatus,
  active: readonly V1Pod[],
  failedSet: ReadonlySet<number>,
  completedSet: ReadonlySet<number>,
  now: number,
): { reason: string; message: string } | undefined {
  const spec = job.spec!;
  // OnFailure pods restart in place: their restarts count as failures too
  let failures = status.failed ?? 0;
  if (spec.template?.spec?.restartPolicy === 'OnFailure') {
    for (const p of active) for (const s of p.status?.containerStatuses ?? []) failures += s.restartCount ?? 0;
  }
  if (failures > (spec.backoffLimit ?? 6)) return { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
  if (spec.activeDeadlineSeconds && status.startTime && now - new Date(status.startTime).getTime() >= spec.activeDeadlineSeconds * 1000) {
    return { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
  }
  if (spec.maxFailedIndexes !== undefined && spec.maxFailedIndexes !== null && failedSet.size > spec.maxFailedIndexes) {
    return { reason: 'MaxFailedIndexesExceeded', message: 'Job has exceeded the specified maximal number of failed indexes' };
  }
  const completions = spec.completions ?? 0;
  if (failedSet.size > 0 && failedSet.size + completedSet.size >= completions && active.length === 0) {
    return { reason: 'FailedIndexes', message: 'Job has failed indexes' };
  }
  return undefined;
}

function succeededEnough(job: V1Job, status: V1JobStatus, active: readonly V1Pod[], completedSet: ReadonlySet<number>): boolean {
  const spec = job.spec!;
  if (spec.completionMode === 'Indexed') return completedSet.size >= (spec.completions ?? 0);
  const succeeded = status.succeeded ?? 0;
  if (spec.completions === undefined || spec.completions === null) return succeeded > 0 && active.length === 0;
  return succeeded >= spec.completions;
}

function manageNonIndexed(job: V1Job, active: readonly V1Pod[], succeeded: number, plan: Plan, unseen: number): void {
  const spec = job.spec!;
  const parallelism = spec.parallelism ?? 1;
  let want: number;
  if (spec.completions === undefined || spec.completions === null) want = succeeded > 0 ? active.length : parallelism;
  else want = Math.max(0, Math.min(parallelism, spec.completions - succeeded));
  // pods created a moment ago count as running: the cache will show them soon
  const running = active.length + unseen;
  if (active.length > want) {
    plan.delete.push(...[...active].sort(deletionOrder).slice(0, active.length - want));
  } else {
    for (let i = running; i < want; i++) plan.create.push({});
  }
}

function manageIndexed(
  job: V1Job,
  active: readonly V1Pod[],
  completed: ReadonlySet<number>,
  failed: ReadonlySet<number>,
  failureCounts: ReadonlyMap<number, number>,
  plan: Plan,
  unseen: readonly (number | undefined)[],
): void {
  const spec = job.spec!;
  const completions = spec.completions ?? 0;
  const parallelism = spec.parallelism ?? 1;
  // one pod per pending index: extras, done indexes and unknown ones go
  const keep = new Map<number, V1Pod>();
  for (const pod of [...active].sort((a, b) => deletionOrder(b, a))) {
    const ix = completionIndexOf(pod);
    if (ix === undefined || ix >= completions || completed.has(ix) || failed.has(ix) || keep.has(ix)) plan.delete.push(pod);
    else keep.set(ix, pod);
  }
  // beyond parallelism: the highest indexes go
  const kept = [...keep.keys()].sort((a, b) => b - a);
  while (kept.length > parallelism) plan.delete.push(keep.get(kept.shift()!)!);
  const coming = new Set(unseen.filter((ix): ix is number => ix !== undefined));
  let room = parallelism - Math.min(keep.size + coming.size, parallelism);
  for (let ix = 0; ix < completions && room > 0; ix++) {
    if (completed.has(ix) || failed.has(ix) || keep.has(ix) || coming.has(ix)) continue;
    plan.create.push({ index: ix, failureCount: failureCounts.get(ix) ?? 0 });
    room--;
  }
}
