// The disruption controller (upstream pkg/controller/disruption): keeps each
// PodDisruptionBudget's status (expectedPods, desiredHealthy, currentHealthy,
// disruptionsAllowed, disruptedPods, the DisruptionAllowed condition) in step with its pods, so
// that the pods/eviction subresource can spend the budget. Percentages count against the scale
// of the pods' controllers: ReplicationControllers, ReplicaSets and Deployments from the
// informers, anything else (StatefulSets, custom workloads) through its /scale subresource.
import { CoreV1Api, PolicyV1Api, type V1Deployment, type V1Pod, type V1PodDisruptionBudget, type V1ReplicationController } from '@kubernetes/client-node';
import { keyOf, runController, splitKey, WorkQueue, type EventRecorder, type Informer, type ReconcileResult } from '@skiff/common';
import {
  budgetsForPod,
  conditionsAreUpToDate,
  disruptionAllowedCondition,
  reasons,
  updateDisruptionAllowedCondition,
} from '@skiff/common/policy/disruption-budget';
import { setStatusCondition } from '@skiff/common/apimachinery/conditions';
import { labelSelectorMatches, selectorFromObject } from '@skiff/common/apimachinery/label-selector';
import type { ControllerContext, ControllerDescriptor } from '../../controller-context.ts';
import { errorMessage, isConflict, isNotFound } from '../../lib/api-errors.ts';
import { eventRef, FLUSH_TIMEOUT_MS, newEventRecorder } from '../../lib/events.ts';
import { buildDisruptedPodMap, countHealthyPods, disruptionsAllowed, expectedPodCount, sameDisruptedPods } from './budget-math.ts';
import { ScaleFinders } from './finders.ts';
import { staleDisruptionDelayMs, withDisruptionTargetCleared } from './stale-condition.ts';

const pdbRef = (pdb: V1PodDisruptionBudget) => eventRef(pdb, 'policy/v1', 'PodDisruptionBudget');

export class DisruptionController {
  private readonly ctx: ControllerContext;
  private readonly policy: PolicyV1Api;
  private readonly pdbs: Informer<V1PodDisruptionBudget>;
  private readonly pods: Informer<V1Pod>;
  private readonly finders: ScaleFinders;
  private readonly events: EventRecorder;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });
  /** pods whose DisruptionTarget condition goes stale: their keys, due when it does */
  private readonly staleQueue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });
  private readonly core: CoreV1Api;
  private readonly now: () => number;

  constructor(ctx: ControllerContext, now: () => number = Date.now) {
    this.ctx = ctx;
    this.now = now;
    this.policy = ctx.kubeConfig.makeApiClient(PolicyV1Api);
    const core = ctx.kubeConfig.makeApiClient(CoreV1Api);
    this.core = core;
    const inf = ctx.informers;
    this.pdbs = inf.informerFor<V1PodDisruptionBudget>('/apis/policy/v1/poddisruptionbudgets', () => this.policy.listPodDisruptionBudgetForAllNamespaces());
    this.pods = inf.pods();
    this.finders = new ScaleFinders(ctx.kubeConfig, {
      replicationControllers: inf.informerFor<V1ReplicationController>('/api/v1/replicationcontrollers', () =>
        core.listReplicationControllerForAllNamespaces(),
      ),
      replicaSets: inf.replicaSets(),
      deployments: inf.deployments() as Informer<V1Deployment>,
    });
    this.events = newEventRecorder(ctx, 'controllermanager');
    const enqueue = (pdb: V1PodDisruptionBudget) => this.queue.add(keyOf(pdb));
    this.pdbs.on({ add: enqueue, update: enqueue, delete: enqueue });
    const podChanged = (pod: V1Pod) => {
      const pdb = this.budgetForPod(pod);
      if (pdb) enqueue(pdb);
    };
    const podSeen = (pod: V1Pod) => {
      podChanged(pod);
      const delay = staleDisruptionDelayMs(pod, this.now());
      if (delay !== undefined) this.staleQueue.addAfter(keyOf(pod), delay);
    };
    this.pods.on({ add: podSeen, update: podSeen, delete: podChanged });
  }

  private get caches(): { waitForSync(): Promise<void> }[] {
    return [this.pdbs, this.pods, ...this.finders.caches];
  }

  run(): () => Promise<void> {
    const stop = runController({
      name: 'disruption',
      log: this.ctx.log.child({ controller: 'disruption' }),
      queue: this.queue,
      metrics: this.ctx.metrics,
      caches: this.caches,
      workers: 1,
      reconcile: (key) => this.sync(key),
      isRoutine: isConflict,
      describeError: errorMessage,
    });
    const stopStale = runController({
      name: 'disruption-stale-pods',
      log: this.ctx.log.child({ controller: 'disruption' }),
      queue: this.staleQueue,
      metrics: this.ctx.metrics,
      caches: [this.pods],
      workers: 1,
      reconcile: (key) => this.clearStaleCondition(key),
      isRoutine: isConflict,
      describeError: errorMessage,
    });
    return async () => {
      await Promise.all([stop(), stopStale()]);
      await this.events.flush(FLUSH_TIMEOUT_MS);
    };
  }

  /** syncStalePodDisruption: DisruptionTarget back to False on a pod that was not deleted after all. */
  private async clearStaleCondition(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const pod = this.pods.get(name, namespace);
    if (!pod) return;
    const delay = staleDisruptionDelayMs(pod, this.now());
    if (delay === undefined) return;
    if (delay > 0) return { requeueAfterMs: delay };
    const body: V1Pod = { ...pod, status: { ...pod.status, conditions: withDisruptionTargetCleared(pod.status?.conditions ?? [], new Date(this.now())) } };
    try {
      await this.core.replaceNamespacedPodStatus({ name, namespace: namespace!, body });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.ctx.log.info('reset stale DisruptionTarget condition to False', { pod: key });
  }

  /** getPdbForPod: the first budget selecting the pod; more than one is worth a warning on the pod. */
  private budgetForPod(pod: V1Pod): V1PodDisruptionBudget | undefined {
    const budgets = budgetsForPod(this.pdbs.list(pod.metadata?.namespace), pod);
    if (budgets.length > 1) {
      const msg = `Pod "${pod.metadata?.namespace}"/"${pod.metadata?.name}" matches multiple PodDisruptionBudgets.  Chose "${budgets[0]!.metadata?.name}" arbitrarily.`;
      this.events.event(eventRef(pod, 'v1', 'Pod'), 'Warning', 'MultiplePodDisruptionBudgets', msg);
    }
    return budgets[0];
  }

  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const pdb = this.pdbs.get(name, namespace);
    if (!pdb) return;
    try {
      return await this.trySync(pdb);
    } catch (e) {
      // a conflict only means the cache was behind: retried without the fail-safe
      if (isConflict(e)) throw e;
      this.ctx.log.warn('failed to sync PodDisruptionBudget', { key, err: errorMessage(e) });
      await this.failSafe(pdb, e);
    }
  }

  private async trySync(pdb: V1PodDisruptionBudget): Promise<ReconcileResult> {
    const namespace = pdb.metadata?.namespace;
    // an invalid selector is an error worth the fail-safe, as LabelSelectorAsSelector's is upstream
    selectorFromObject(pdb.spec?.selector);
    const pods = this.pods.list(namespace).filter((p) => labelSelectorMatches(pdb.spec?.selector, p.metadata?.labels));
    if (pods.length === 0) this.events.event(pdbRef(pdb), 'Normal', 'NoPods', 'No matching pods found');

    let expected: Awaited<ReturnType<typeof expectedPodCount>>;
    try {
      expected = await expectedPodCount(pdb, pods, (ref, ns) => this.finders.find(ref, ns));
    } catch (e) {
      this.events.event(pdbRef(pdb), 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${errorMessage(e)}`);
      throw e;
    }
    if (expected.unmanagedPods.length > 0) {
      this.events.event(
        pdbRef(pdb),
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }

    const now = this.now();
    const disrupted = buildDisruptedPodMap(pods, pdb, now);
    for (const name of disrupted.expired) {
      const pod = pods.find((p) => p.metadata?.name === name)!;
      this.events.event(
        eventRef(pod, 'v1', 'Pod'),
        'Warning',
        'NotDeleted',
        `Pod was expected by PDB ${namespace}/${pdb.metadata?.name} to be deleted but it wasn't`,
      );
    }
    const currentHealthy = countHealthyPods(pods, disrupted.pods, now);
    await this.updateStatus(pdb, currentHealthy, expected.desiredHealthy, expected.expectedCount, disrupted.pods);
    if (disrupted.recheckAtMs !== undefined) return { requeueAfterMs: Math.max(0, disrupted.recheckAtMs - now) };
  }

  private async updateStatus(
    pdb: V1PodDisruptionBudget,
    currentHealthy: number,
    desiredHealthy: number,
    expectedPods: number,
    disruptedPods: Record<string, Date>,
  ): Promise<void> {
    const allowed = disruptionsAllowed(currentHealthy, desiredHealthy, expectedPods);
    const s = pdb.status;
    if (
      s &&
      s.currentHealthy === currentHealthy &&
      s.desiredHealthy === desiredHealthy &&
      s.expectedPods === expectedPods &&
      s.disruptionsAllowed === allowed &&
      sameDisruptedPods(s.disruptedPods, disruptedPods) &&
      s.observedGeneration === pdb.metadata?.generation &&
      conditionsAreUpToDate(pdb)
    ) {
      return;
    }
    const next: V1PodDisruptionBudget = {
      ...pdb,
      status: {
        currentHealthy,
        desiredHealthy,
        expectedPods,
        disruptionsAllowed: allowed,
        disruptedPods: Object.keys(disruptedPods).length ? disruptedPods : undefined,
        observedGeneration: pdb.metadata?.generation,
        conditions: structuredClone(s?.conditions ?? []),
      },
    };
    updateDisruptionAllowedCondition(next as never, new Date(this.now()));
    await this.writeStatus(next);
  }

  /** failSafe: when the status cannot be worked out, at least allow no disruption (fail closed). */
  private async failSafe(pdb: V1PodDisruptionBudget, err: unknown): Promise<void> {
    const next: V1PodDisruptionBudget = structuredClone(pdb);
    next.status = { ...next.status!, disruptionsAllowed: 0, conditions: next.status?.conditions ?? [] };
    setStatusCondition(
      next.status.conditions as never,
      {
        type: disruptionAllowedCondition,
        status: 'False',
        reason: reasons.syncFailed,
        message: errorMessage(err),
        observedGeneration: next.status.observedGeneration,
      },
      new Date(this.now()),
    );
    await this.writeStatus(next);
  }

  /** One write, no retry here: a conflict comes back through the queue with a fresh cache. */
  private async writeStatus(pdb: V1PodDisruptionBudget): Promise<void> {
    try {
      await this.policy.replaceNamespacedPodDisruptionBudgetStatus({ name: pdb.metadata!.name!, namespace: pdb.metadata!.namespace!, body: pdb });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

export const disruptionController: ControllerDescriptor = {
  name: 'disruption',
  async start(ctx) {
    return new DisruptionController(ctx).run();
  },
};
