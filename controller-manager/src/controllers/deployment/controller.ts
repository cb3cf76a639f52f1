// The Deployment controller (upstream pkg/controller/deployment): owns ReplicaSets, one per
// pod template, and moves replicas from the old ones to the new one by the strategy.
import { AppsV1Api, PatchStrategy, setHeaderOptions, type V1Deployment, type V1OwnerReference, type V1Pod, type V1ReplicaSet } from '@kubernetes/client-node';
import { keyOf, splitKey, WorkQueue, type EventRecorder, type Informer, type Logger, type ReconcileResult } from '@skiff/common';
import type { ControllerContext, ControllerDescriptor } from '../../controller-context.ts';
import { errorMessage, isAlreadyExists, isNamespaceTerminating, isNotFound } from '../../lib/api-errors.ts';
import { assertSameLiveOwner, claimObjects } from '../../lib/claim.ts';
import { canonicalJson } from '../../lib/canonical-json.ts';
import { eventRef, newEventRecorder } from '../../lib/events.ts';
import { runManagedController } from '../../lib/run-controller.ts';
import { controllerOf, newControllerRef } from '@skiff/common/apimachinery/owner-references';
import { isEmptyLabelSelector, labelSelectorMatches } from '@skiff/common/apimachinery/label-selector';
import {
  maxRevision,
  replicasAnnotationsNeedUpdate,
  revisionAnnotation,
  revisionOf,
  setDeploymentRevision,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
} from './annotations.ts';
import {
  calculateStatus,
  getCondition,
  hasProgressDeadline,
  newCondition,
  reasons,
  removeCondition,
  setCondition,
  stuckRequeueDelayMs,
  updateProgressingCondition,
  deploymentComplete,
} from './conditions.ts';
import { computePodTemplateHash, podTemplateHashLabel, templatesEqualIgnoringHash } from './hash.ts';
import {
  activeReplicaSets,
  byCreation,
  desiredReplicas,
  findActiveOrLatest,
  isSaturated,
  maxSurge,
  newReplicaSetReplicas,
  planOldReplicaSetScaleDown,
  proportionalScale,
  replicasAnnotation,
  specReplicas,
  sumStatusReplicas,
} from './replica-math.ts';
import { desiredReplicasAnnotation } from './annotations.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** One sync's view: the Deployment (updated as we write it) and its ReplicaSets. */
interface SyncState {
  d: V1Deployment;
  log: Logger;
}

export class DeploymentController {
  private readonly ctx: ControllerContext;
  private readonly apps: AppsV1Api;
  private readonly dInformer: Informer<V1Deployment>;
  private readonly rsInformer: Informer<V1ReplicaSet>;
  private readonly podInformer: Informer<V1Pod>;
  private readonly events: EventRecorder;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.apps = ctx.kubeConfig.makeApiClient(AppsV1Api);
    this.dInformer = ctx.informers.deployments();
    this.rsInformer = ctx.informers.replicaSets();
    this.podInformer = ctx.informers.pods();
    this.events = newEventRecorder(ctx, 'deployment-controller');
    const enqueue = (d: V1Deployment) => this.queue.add(keyOf(d));
    this.dInformer.on({ add: enqueue, update: enqueue, delete: enqueue });
    this.rsInformer.on({ add: (rs) => this.replicaSetChanged(rs), update: (rs) => this.replicaSetChanged(rs), delete: (rs) => this.replicaSetChanged(rs) });
    this.podInformer.on({ delete: (p) => this.podDeleted(p) });
  }

  run(): () => Promise<void> {
    return runManagedController(this.ctx, {
      name: 'deployment',
      queue: this.queue,
      caches: [this.dInformer, this.rsInformer, this.podInformer],
      workers: this.ctx.config.concurrentDeploymentSyncs,
      reconcile: (key) => this.sync(key),
      events: this.events,
    });
  }

  /** ScalingReplicaSet on the Deployment, worded as upstream so `kubectl describe` reads the same. */
  private recordScaling(s: SyncState, rsName: string, from: number, to: number): void {
    const message = `Scaled ${to > from ? 'up' : 'down'} replica set ${rsName} from ${from} to ${to}`;
    s.log.info(message);
    this.events.event(eventRef(s.d, 'apps/v1', 'Deployment'), 'Normal', 'ScalingReplicaSet', message);
  }

  private ownerOf(rs: V1ReplicaSet): V1Deployment | undefined {
    const ref = controllerOf(rs.metadata);
    if (ref?.kind !== 'Deployment') return undefined;
    const d = this.dInformer.get(ref.name, rs.metadata?.namespace);
    return d?.metadata?.uid === ref.uid ? d : undefined;
  }

  private replicaSetChanged(rs: V1ReplicaSet): void {
    if (controllerOf(rs.metadata)) {
      const d = this.ownerOf(rs);
      if (d) this.queue.add(keyOf(d));
      return;
    }
    for (const d of this.dInformer.list(rs.metadata?.namespace)) {
      if (labelSelectorMatches(d.spec?.selector, rs.metadata?.labels)) this.queue.add(keyOf(d));
    }
  }

  /** Recreate waits for old pods to be gone; their deletion is what lets it continue. */
  private podDeleted(pod: V1Pod): void {
    const ref = controllerOf(pod.metadata);
    if (ref?.kind !== 'ReplicaSet') return;
    const rs = this.rsInformer.get(ref.name, pod.metadata?.namespace);
    const d = rs && this.ownerOf(rs);
    if (d && d.spec?.strategy?.type === 'Recreate') this.queue.add(keyOf(d));
  }

  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.dInformer.get(name, namespace);
    if (!cached) return;
    const s: SyncState = { d: structuredClone(cached), log: this.ctx.log.child({ controller: 'deployment', deployment: key }) };
    const d = s.d;
    if (isEmptyLabelSelector(d.spec?.selector)) {
      // selecting everything is refused: it would adopt every pod of the namespace
      s.log.warn('deployment selects all pods, refusing to act');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        d.status = { ...d.status, observedGeneration: d.metadata?.generation };
        await this.updateStatus(s);
      }
      return;
    }
    const rsList = await this.claimReplicaSets(d);
    if (d.metadata?.deletionTimestamp) return this.syncStatusOnly(s, rsList);
    await this.checkPausedConditions(s);
    if (s.d.spec?.paused) return this.syncScaleOnly(s, rsList);
    if (this.isScalingEvent(s.d, rsList)) return this.syncScaleOnly(s, rsList);
    if (s.d.spec?.strategy?.type === 'Recreate') return this.rolloutRecreate(s, rsList);
    return this.rolloutRolling(s, rsList);
  }

  private claimReplicaSets(d: V1Deployment): Promise<V1ReplicaSet[]> {
    return claimObjects(this.rsInformer.list(d.metadata?.namespace), {
      owner: d,
      ownerRef: newControllerRef(d, 'apps/v1', 'Deployment'),
      selector: d.spec?.selector,
      canAdopt: async () => {
        const fresh = await this.apps.readNamespacedDeployment({ name: d.metadata!.name!, namespace: d.metadata!.namespace! });
        assertSameLiveOwner(fresh, d.metadata?.uid, `Deployment ${keyOf(d)}`);
      },
      patchOwnerRefs: (rs: V1ReplicaSet, ownerReferences: V1OwnerReference[]) =>
        this.apps.patchNamespacedReplicaSet(
          {
            name: rs.metadata!.name!,
            namespace: rs.metadata!.namespace!,
            body: { metadata: { ownerReferences, resourceVersion: rs.metadata?.resourceVersion, uid: rs.metadata?.uid } },
          },
          mergePatch,
        ),
    });
  }

  // ---- finding the new and old ReplicaSets -------------------------------------------

  /** The oldest ReplicaSet whose template is the Deployment's (upstream FindNewReplicaSet). */
  private findNew(d: V1Deployment, rsList: readonly V1ReplicaSet[]): V1ReplicaSet | undefined {
    return [...rsList].sort(byCreation).find((rs) => templatesEqualIgnoringHash(rs.spec?.template, d.spec?.template));
  }

  private splitReplicaSets(d: V1Deployment, rsList: readonly V1ReplicaSet[]): { newRS?: V1ReplicaSet; oldRSs: V1ReplicaSet[] } {
    const newRS = this.findNew(d, rsList);
    return { newRS, oldRSs: rsList.filter((rs) => rs !== newRS) };
  }

  /**
   * Upstream getAllReplicaSetsAndSyncRevision: finds (or, when `create`, makes) the new
   * ReplicaSet, gives it the next revision and records that revision on the Deployment.
   */
  private async newAndOld(s: SyncState, rsList: readonly V1ReplicaSet[], create: boolean): Promise<{ newRS?: V1ReplicaSet; oldRSs: V1ReplicaSet[] }> {
    const { newRS: existing, oldRSs } = this.splitReplicaSets(s.d, rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) return { newRS: await this.syncExistingNewReplicaSet(s, existing, newRevision), oldRSs };
    if (!create) return { oldRSs };
    return { newRS: await this.createNewReplicaSet(s, oldRSs, newRevision), oldRSs };
  }

  private async syncExistingNewReplicaSet(s: SyncState, existing: V1ReplicaSet, newRevision: number): Promise<V1ReplicaSet> {
    let rs = structuredClone(existing);
    const annotationsChanged = setNewReplicaSetAnnotations(s.d, rs, newRevision, true, desiredReplicas(s.d), desiredReplicas(s.d) + maxSurge(s.d));
    const minReadyChanged = (rs.spec?.minReadySeconds ?? 0) !== (s.d.spec?.minReadySeconds ?? 0);
    if (annotationsChanged || minReadyChanged) {
      rs.spec!.minReadySeconds = s.d.spec?.minReadySeconds;
      rs = await this.apps.replaceNamespacedReplicaSet({ name: rs.metadata!.name!, namespace: rs.metadata!.namespace!, body: rs });
    }
    let needsUpdate = setDeploymentRevision(s.d, rs.metadata?.annotations?.[revisionAnnotation] ?? '');
    s.d.status ??= {};
    if (!getCondition(s.d.status, 'Progressing') && hasProgressDeadline(s.d)) {
      setCondition(s.d.status, newCondition('Progressing', 'True', reasons.foundNewReplicaSet, `Found new replica set "${rs.metadata?.name}"`));
      needsUpdate = true;
    }
    if (needsUpdate) await this.updateStatus(s);
    return rs;
  }

  private async createNewReplicaSet(s: SyncState, oldRSs: V1ReplicaSet[], newRevision: number): Promise<V1ReplicaSet> {
    const d = s.d;
    const template = structuredClone(d.spec!.template);
    const hash = computePodTemplateHash(template, d.status?.collisionCount);
    template.metadata ??= {};
    template.metadata.labels = { ...template.metadata.labels, [podTemplateHashLabel]: hash };
    const selector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...selector.matchLabels, [podTemplateHashLabel]: hash };
    const rsName = `${d.metadata!.name}-${hash}`;
    const rs: V1ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: rsName,
        namespace: d.metadata!.namespace,
        ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
        labels: { ...template.metadata.labels },
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds, selector, template },
    };
    rs.spec!.replicas = newReplicaSetReplicas(d, [...oldRSs, rs], rs);
    setNewReplicaSetAnnotations(d, rs, newRevision, false, desiredReplicas(d), desiredReplicas(d) + maxSurge(d));

    let created: V1ReplicaSet;
    let alreadyExisted = false;
    try {
      created = await this.apps.createNamespacedReplicaSet({ namespace: d.metadata!.namespace!, body: rs });
      s.log.info('created new replica set', { replicaSet: rsName, replicas: rs.spec!.replicas, revision: newRevision });
    } catch (e) {
      if (!isAlreadyExists(e)) {
        const message = `Failed to create new replica set "${rsName}": ${errorMessage(e)}`;
        s.d.status ??= {};
        if (hasProgressDeadline(d)) {
          setCondition(s.d.status, newCondition('Progressing', 'False', reasons.failedCreate, message));
          await this.updateStatus(s).catch(() => undefined);
        }
        // a namespace being deleted refuses every create: nothing a user could act on
        if (!isNamespaceTerminating(e)) this.events.event(eventRef(d, 'apps/v1', 'Deployment'), 'Warning', reasons.failedCreate, message);
        throw e;
      }
      // ours from an earlier sync whose watch event has not arrived yet, or a hash collision
      const other = await this.apps.readNamespacedReplicaSet({ name: rsName, namespace: d.metadata!.namespace! });
      if (controllerOf(other.metadata)?.uid === d.metadata?.uid && templatesEqualIgnoringHash(other.spec?.template, d.spec?.template)) {
        created = other;
        alreadyExisted = true;
      } else {
        s.d.status = { ...s.d.status, collisionCount: (s.d.status?.collisionCount ?? 0) + 1 };
        await this.updateStatus(s);
        throw new Error(`hash collision for ReplicaSet ${rsName}: collisionCount is now ${s.d.status.collisionCount}`);
      }
    }
    // an AlreadyExists answer means an earlier sync created it, and that one reported it
    if (!alreadyExisted && rs.spec!.replicas! > 0) this.recordScaling(s, rsName, 0, rs.spec!.replicas!);
    let needsUpdate = setDeploymentRevision(s.d, String(newRevision));
    if (!alreadyExisted && hasProgressDeadline(d)) {
      s.d.status ??= {};
      setCondition(s.d.status, newCondition('Progressing', 'True', reasons.newReplicaSetCreated, `Created new replica set "${rsName}"`));
      needsUpdate = true;
    }
    if (needsUpdate) await this.updateStatus(s);
    return created;
  }

  // ---- scaling -----------------------------------------------------------------------

  /** A desired-replicas annotation that differs from spec.replicas means the user scaled. */
  private isScalingEvent(d: V1Deployment, rsList: readonly V1ReplicaSet[]): boolean {
    const { newRS, oldRSs } = this.splitReplicaSets(d, rsList);
    for (const rs of activeReplicaSets([newRS, ...oldRSs])) {
      const desired = replicasAnnotation(rs, desiredReplicasAnnotation);
      if (desired !== undefined && desired !== desiredReplicas(d)) return true;
    }
    return false;
  }

  /** Sets a ReplicaSet's size (and its replica annotations); returns the written object. */
  private async scaleReplicaSet(s: SyncState, rs: V1ReplicaSet, size: number): Promise<V1ReplicaSet> {
    const max = desiredReplicas(s.d) + maxSurge(s.d);
    const sizeChanged = specReplicas(rs) !== size;
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, desiredReplicas(s.d), max)) return rs;
    const copy = structuredClone(rs);
    copy.spec!.replicas = size;
    setReplicasAnnotations(copy, desiredReplicas(s.d), max);
    const written = await this.apps.replaceNamespacedReplicaSet({ name: rs.metadata!.name!, namespace: rs.metadata!.namespace!, body: copy });
    // only after the write succeeded: a conflict (stale cache) retries and reports then
    if (sizeChanged) this.recordScaling(s, rs.metadata!.name!, specReplicas(rs), size);
    return written;
  }

  /** Upstream DeploymentController.scale: resize for a spec.replicas change (or while paused). */
  private async scale(s: SyncState, newRS: V1ReplicaSet | undefined, oldRSs: V1ReplicaSet[]): Promise<Map<string, V1ReplicaSet>> {
    const d = s.d;
    const written = new Map<string, V1ReplicaSet>();
    const resize = async (rs: V1ReplicaSet, size: number) => {
      written.set(rs.metadata!.name!, await this.scaleReplicaSet(s, rs, size));
    };
    const single = findActiveOrLatest(newRS, oldRSs);
    if (single) {
      if (specReplicas(single) !== desiredReplicas(d)) await resize(single, desiredReplicas(d));
      return written;
    }
    if (isSaturated(d, newRS)) {
      for (const old of activeReplicaSets(oldRSs)) await resize(old, 0);
      return written;
    }
    if ((d.spec?.strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return written;
    const plan = proportionalScale(d, activeReplicaSets([...oldRSs, newRS]));
    if (!plan) return written;
    for (const rs of plan.order) await resize(rs, plan.sizes.get(rs.metadata!.name!)!);
    return written;
  }

  // ---- strategies --------------------------------------------------------------------

  private async syncScaleOnly(s: SyncState, rsList: V1ReplicaSet[]): Promise<ReconcileResult> {
    const { newRS, oldRSs } = await this.newAndOld(s, rsList, false);
    const written = await this.scale(s, newRS, oldRSs);
    const latest = (rs: V1ReplicaSet) => written.get(rs.metadata!.name!) ?? rs;
    if (s.d.spec?.paused) await this.cleanup(s, oldRSs.map(latest));
    return this.syncStatus(s, [...oldRSs, ...(newRS ? [newRS] : [])].map(latest), newRS && latest(newRS));
  }

  private async syncStatusOnly(s: SyncState, rsList: V1ReplicaSet[]): Promise<ReconcileResult> {
    const { newRS, oldRSs } = await this.newAndOld(s, rsList, false);
    return this.syncStatus(s, [...oldRSs, ...(newRS ? [newRS] : [])], newRS);
  }

  private async rolloutRolling(s: SyncState, rsList: V1ReplicaSet[]): Promise<ReconcileResult> {
    const { newRS: created, oldRSs } = await this.newAndOld(s, rsList, true);
    let newRS = created!;
    const d = s.d;
    // grow the new ReplicaSet as far as maxSurge allows
    const all = [...oldRSs, newRS];
    if (specReplicas(newRS) !== desiredReplicas(d)) {
      const target = specReplicas(newRS) > desiredReplicas(d) ? desiredReplicas(d) : newReplicaSetReplicas(d, all, newRS);
      if (target !== specReplicas(newRS)) {
        newRS = await this.scaleReplicaSet(s, newRS, target);
        return this.syncRolloutStatus(s, [...oldRSs, newRS], newRS);
      }
    }
    // shrink old ones as far as maxUnavailable allows
    const active = activeReplicaSets(oldRSs);
    const plan = planOldReplicaSetScaleDown(d, [...oldRSs, newRS], active, newRS);
    const updatedOld = [...oldRSs];
    for (const [rsName, size] of plan) {
      const i = updatedOld.findIndex((rs) => rs.metadata?.name === rsName);
      updatedOld[i] = await this.scaleReplicaSet(s, updatedOld[i]!, size);
    }
    const allRSs = [...updatedOld, newRS];
    const status = calculateStatus(allRSs, newRS, d);
    if (deploymentComplete(d, status)) await this.cleanup(s, updatedOld);
    return this.syncRolloutStatus(s, allRSs, newRS);
  }

  private async rolloutRecreate(s: SyncState, rsList: V1ReplicaSet[]): Promise<ReconcileResult> {
    let { newRS, oldRSs } = await this.newAndOld(s, rsList, false);
    const active = activeReplicaSets(oldRSs);
    let scaledDown = false;
    for (const rs of active) {
      oldRSs[oldRSs.indexOf(rs)] = await this.scaleReplicaSet(s, rs, 0);
      scaledDown = true;
    }
    if (scaledDown) return this.syncRolloutStatus(s, [...oldRSs, ...(newRS ? [newRS] : [])], newRS);
    if (this.oldPodsRunning(newRS, oldRSs)) return this.syncRolloutStatus(s, [...oldRSs, ...(newRS ? [newRS] : [])], newRS);
    if (!newRS) ({ newRS, oldRSs } = await this.newAndOld(s, rsList, true));
    if (specReplicas(newRS) !== desiredReplicas(s.d)) newRS = await this.scaleReplicaSet(s, newRS!, desiredReplicas(s.d));
    const allRSs = [...oldRSs, newRS!];
    if (deploymentComplete(s.d, calculateStatus(allRSs, newRS, s.d))) await this.cleanup(s, oldRSs);
    return this.syncRolloutStatus(s, allRSs, newRS);
  }

  /** Any pod of an old ReplicaSet that has not finished still runs (upstream oldPodsRunning). */
  private oldPodsRunning(newRS: V1ReplicaSet | undefined, oldRSs: readonly V1ReplicaSet[]): boolean {
    if (sumStatusReplicas(oldRSs) > 0) return true;
    const oldUids = new Set(oldRSs.map((rs) => rs.metadata?.uid));
    return this.podInformer.list(newRS?.metadata?.namespace ?? oldRSs[0]?.metadata?.namespace).some((p) => {
      const ref = controllerOf(p.metadata);
      if (!ref || !oldUids.has(ref.uid)) return false;
      return p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded';
    });
  }

  // ---- history and status ------------------------------------------------------------

  /** Deletes the oldest idle ReplicaSets beyond revisionHistoryLimit (upstream cleanupDeployment). */
  private async cleanup(s: SyncState, oldRSs: readonly V1ReplicaSet[]): Promise<void> {
    const limit = s.d.spec?.revisionHistoryLimit;
    if (limit === undefined || limit === null) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    const byRevision = [...cleanable].sort((a, b) => safeRevision(a) - safeRevision(b) || byCreation(a, b));
    for (const rs of byRevision.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      s.log.info('deleting old replica set beyond revisionHistoryLimit', { replicaSet: rs.metadata?.name });
      try {
        await this.apps.deleteNamespacedReplicaSet({ name: rs.metadata!.name!, namespace: rs.metadata!.namespace! });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  private async checkPausedConditions(s: SyncState): Promise<void> {
    if (!hasProgressDeadline(s.d)) return;
    s.d.status ??= {};
    const c = getCondition(s.d.status, 'Progressing');
    if (c?.reason === reasons.timedOut) return;
    const pausedShown = c?.reason === reasons.paused;
    if (s.d.spec?.paused && !pausedShown) {
      setCondition(s.d.status, newCondition('Progressing', 'Unknown', reasons.paused, 'Deployment is paused'));
    } else if (!s.d.spec?.paused && pausedShown) {
      setCondition(s.d.status, newCondition('Progressing', 'Unknown', reasons.resumed, 'Deployment is resumed'));
    } else return;
    await this.updateStatus(s);
  }

  /** Status without touching Progressing (scaling, paused, deleting). */
  private async syncStatus(s: SyncState, allRSs: V1ReplicaSet[], newRS: V1ReplicaSet | undefined): Promise<ReconcileResult> {
    const status = calculateStatus(allRSs, newRS, s.d);
    if (canonicalJson(status) === canonicalJson(s.d.status ?? {})) return;
    s.d.status = status;
    await this.updateStatus(s);
  }

  /** Status plus the Progressing condition, and a requeue to check the progress deadline. */
  private async syncRolloutStatus(s: SyncState, allRSs: V1ReplicaSet[], newRS: V1ReplicaSet | undefined): Promise<ReconcileResult> {
    const status = updateProgressingCondition(s.d, newRS, calculateStatus(allRSs, newRS, s.d));
    const failure = allRSs.map((rs) => rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True')).find(Boolean);
    if (failure)
      setCondition(status, {
        type: 'ReplicaFailure',
        status: failure.status,
        reason: failure.reason,
        message: failure.message,
        lastUpdateTime: failure.lastTransitionTime,
        lastTransitionTime: failure.lastTransitionTime,
      });
    else removeCondition(status, 'ReplicaFailure');
    if (canonicalJson(status) !== canonicalJson(s.d.status ?? {})) {
      s.d.status = status;
      await this.updateStatus(s);
    }
    const delay = stuckRequeueDelayMs(s.d, status);
    return delay === undefined ? undefined : { requeueAfterMs: delay + 100 };
  }

  private async updateStatus(s: SyncState): Promise<void> {
    s.d = await this.apps.replaceNamespacedDeploymentStatus({ name: s.d.metadata!.name!, namespace: s.d.metadata!.namespace!, body: s.d });
  }
}

function safeRevision(rs: V1ReplicaSet): number {
  try {
    return revisionOf(rs);
  } catch {
    return 0;
  }
}

export const deploymentController: ControllerDescriptor = {
  name: 'deployment',
  async start(ctx) {
    return new DeploymentController(ctx).run();
  },
};
