// POST pods/NAME/eviction, as Kubernetes' EvictionREST (pkg/registry/core/pod/storage/eviction.go):
// a pod that already left service (terminal, pending, being deleted) is deleted at once; else
// the one PodDisruptionBudget selecting it must allow a disruption, which is spent by a
// resourceVersion-checked write of the budget's status before the delete.
import { ApiError, errors } from '../../errors.ts';
import type { DeleteOptions, Store } from '../store.ts';
import type { EvictionRequest, EvictionResult, KObject, RequestContext } from '../types.ts';
import { budgetsForPod, updateDisruptionAllowedCondition } from '@skiff/common/policy/disruption-budget';
import { timeStamp } from '@skiff/common/apimachinery/conditions';

/** Status.DisruptedPods beyond this means the controller fell behind: refuse (MaxDisruptedPodSize). */
const maxDisruptedPods = 2000;
/** EvictionsRetry: conflicts with other writers are retried this often. */
const conflictRetries = 20;
const retryDelayMs = 50;

const apiserverUser = { name: 'system:apiserver', groups: ['system:masters'] };
const evicted = (): EvictionResult => ({ code: 201, status: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } });

const isConflict = (e: unknown) => e instanceof ApiError && e.code === 409;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isReady(pod: KObject): boolean {
  return (pod.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}

/** canIgnorePDB: the pod disrupts nothing more by going (finished, never started, already leaving). */
function canIgnoreBudget(pod: KObject): boolean {
  return ['Succeeded', 'Failed', 'Pending'].includes(pod.status?.phase) || !!pod.metadata.deletionTimestamp;
}

/** shouldEnforceResourceVersion: a pending pod may turn ready meanwhile, so its delete is conditional. */
function shouldEnforceResourceVersion(pod: KObject): boolean {
  return !['Succeeded', 'Failed'].includes(pod.status?.phase) && !pod.metadata.deletionTimestamp;
}

function withResourceVersion(opts: DeleteOptions, resourceVersion: string | undefined): DeleteOptions {
  return { ...opts, preconditions: { ...opts.preconditions, resourceVersion } };
}

/** The refusal clients retry on (kubectl drain waits 5 s and asks again). */
export function budgetViolation(cause: string, retryAfterSeconds = 0): ApiError {
  return new ApiError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
    ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
    causes: [{ reason: 'DisruptionBudget', message: cause }],
  });
}

const stillProcessing = (name: string) => budgetViolation(`The disruption budget ${name} is still being processed by the server.`, 10);

function budgetStore(ctx: RequestContext): Store {
  return ctx.services.registry.store('policy', 'v1', 'poddisruptionbudgets');
}

/**
 * addConditionAndDeletePod: the pod records why it goes (DisruptionTarget) before the delete,
 * which then names the resourceVersion that write produced if the caller named one.
 */
async function markAndDelete(req: EvictionRequest, options: DeleteOptions): Promise<void> {
  let opts = options;
  if (!opts.dryRun?.length) {
    const expected = opts.preconditions?.resourceVersion;
    const marked = await req.updateStatus((cur) => {
      if (opts.preconditions?.uid && opts.preconditions.uid !== cur.metadata.uid) {
        throw errors.conflict(
          '',
          'Pod',
          cur.metadata.name!,
          `the UID in the precondition (${opts.preconditions.uid}) does not match the UID in record (${cur.metadata.uid}). The object might have been deleted and then recreated`,
        );
      }
      if (expected && expected !== cur.metadata.resourceVersion) {
        throw errors.conflict(
          '',
          'Pod',
          cur.metadata.name!,
          `the ResourceVersion in the precondition (${expected}) does not match the ResourceVersion in record (${cur.metadata.resourceVersion}). The object might have been modified`,
        );
      }
      setDisruptionTarget(cur);
      return cur;
    });
    if (expected) opts = withResourceVersion(opts, marked.metadata.resourceVersion);
  }
  await req.delete(opts);
}

function setDisruptionTarget(pod: KObject): void {
  pod.status ??= {};
  const conditions: any[] = (pod.status.conditions ??= []);
  const now = timeStamp();
  const c = { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastProbeTime: null };
  const i = conditions.findIndex((x) => x.type === 'DisruptionTarget');
  if (i < 0) conditions.push({ ...c, lastTransitionTime: now });
  else conditions[i] = { ...c, lastTransitionTime: conditions[i].status === 'True' ? conditions[i].lastTransitionTime : now };
}

/** checkAndDecrement: spends one allowed disruption and records the pod, or refuses. */
async function checkAndDecrement(pdb: KObject, podName: string, dryRun: boolean, ctx: RequestContext): Promise<void> {
  const name = pdb.metadata.name!;
  const status = pdb.status ?? {};
  if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) throw stillProcessing(name);
  if ((status.disruptionsAllowed ?? 0) < 0) throw errors.forbidden('policy', 'poddisruptionbudget', name, 'pdb disruptions allowed is negative');
  if (Object.keys(status.disruptedPods ?? {}).length > maxDisruptedPods) {
    throw errors.forbidden('policy', 'poddisruptionbudget', name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if ((status.disruptionsAllowed ?? 0) === 0) {
    throw budgetViolation(`The disruption budget ${name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`);
  }
  const next = structuredClone(pdb);
  next.status.disruptionsAllowed = status.disruptionsAllowed - 1;
  if (next.status.disruptionsAllowed === 0) updateDisruptionAllowedCondition(next);
  if (dryRun) return;
  // the controller stops counting this pod as healthy until it is gone or DeletionTimeout passed
  next.status.disruptedPods = { ...next.status.disruptedPods, [podName]: timeStamp() };
  await budgetStore(ctx).update(pdb.metadata.namespace, name, next, { user: apiserverUser, subresource: 'status', fieldManager: 'kube-apiserver' });
}

/** Spends the budget's disruption, re-reading it after each conflicting write. */
async function spendBudget(pdb: KObject, podName: string, dryRun: boolean, ctx: RequestContext): Promise<void> {
  let current = pdb;
  for (let attempt = 0; attempt < conflictRetries; attempt++) {
    try {
      await checkAndDecrement(current, podName, dryRun, ctx);
      return;
    } catch (e) {
      if (!isConflict(e)) throw e;
      await sleep(retryDelayMs);
      current = await budgetStore(ctx).get(pdb.metadata.namespace, pdb.metadata.name!);
    }
  }
  throw new ApiError(504, 'Timeout', `Timeout: couldn't update PodDisruptionBudget "${pdb.metadata.name}" due to conflicts`, { retryAfterSeconds: 10 });
}

export async function evictPod(req: EvictionRequest, ctx: RequestContext): Promise<EvictionResult> {
  const original = req.deleteOptions;
  const callerNamedVersion = !!original.preconditions?.resourceVersion;
  const dryRun = !!original.dryRun?.length;

  // a pod out of service goes at once; conflicts are retried unless the caller named a version
  let pod: KObject | undefined;
  for (let attempt = 0; ; attempt++) {
    pod = await req.get();
    if (!canIgnoreBudget(pod)) break;
    const opts = shouldEnforceResourceVersion(pod) && !callerNamedVersion ? withResourceVersion(original, pod.metadata.resourceVersion) : original;
    try {
      await markAndDelete(req, opts);
      return evicted();
    } catch (e) {
      if (!isConflict(e) || callerNamedVersion || attempt + 1 >= conflictRetries) throw e;
      await sleep(retryDelayMs);
    }
  }

  const { items } = await budgetStore(ctx).list(req.namespace, {});
  const budgets = budgetsForPod(items, pod);
  if (budgets.length > 1) {
    return {
      code: 500,
      status: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
        code: 500,
      },
    };
  }
  const pdb = budgets[0];
  // an unready pod adds nothing to currentHealthy: deleting it spends no budget, but the delete
  // is conditional so that it cannot have turned ready meanwhile
  let unhealthyAllowed = false;
  if (pdb && !isReady(pod)) {
    const s = pdb.status ?? {};
    unhealthyAllowed =
      pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' || ((s.currentHealthy ?? 0) >= (s.desiredHealthy ?? 0) && (s.desiredHealthy ?? 0) > 0);
  }
  if (pdb && !unhealthyAllowed) await spendBudget(pdb, pod.metadata.name!, dryRun, ctx);

  const opts = unhealthyAllowed ? withResourceVersion(original, pod.metadata.resourceVersion) : original;
  try {
    await markAndDelete(req, opts);
  } catch (e) {
    // the unready pod changed: it may count now, so the client asks again
    if (isConflict(e) && unhealthyAllowed && !callerNamedVersion) throw stillProcessing(pdb!.metadata.name!);
    throw e;
  }
  return evicted();
}
