// The StatefulSet controller (upstream pkg/controller/statefulset): pods with stable names,
// hostnames and claims, created and removed in ordinal order, updated from the highest ordinal
// down, with the pod template's history kept as ControllerRevisions.
import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1ControllerRevision,
  type V1OwnerReference,
  type V1PersistentVolumeClaim,
  type V1Pod,
  type V1StatefulSet,
  type V1StatefulSetStatus,
} from '@kubernetes/client-node';
import { keyOf, splitKey, WorkQueue, type EventRecorder, type Informer, type Logger, type ReconcileResult } from '@skiff/common';
import type { ControllerContext, ControllerDescriptor } from '../../controller-context.ts';
import { errorMessage, isAlreadyExists, isConflict, isNamespaceTerminating, isNotFound } from '../../lib/api-errors.ts';
import { assertSameLiveOwner, claimObjects, ownerRefsPatchRequest } from '../../lib/claim.ts';
import { canonicalJson } from '../../lib/canonical-json.ts';
import { PodControl, type PodEventMessages } from '../../lib/pod-control.ts';
import { eventRef, newEventRecorder } from '../../lib/events.ts';
import { runManagedController } from '../../lib/run-controller.ts';
import { controllerOf, newControllerRef } from '@skiff/common/apimachinery/owner-references';
import { isEmptyLabelSelector, labelSelectorMatches } from '@skiff/common/apimachinery/label-selector';
import { findEqualRevisions, newControllerRevision, nextRevision, revisionsToPrune, sortRevisions, type ControllerRevision } from '../history/revisions.ts';
import {
  claimsFor,
  desiredClaimOwners,
  identityLabels,
  identityMatches,
  isMemberOf,
  isStaleClaim,
  newStatefulSetPod,
  ordinalOf,
  ownersEqual,
  podName,
  podRevision,
} from './identity.ts';
import { completeRollingUpdate, planStatefulSet, type Action } from './plan.ts';
import { revisionData, templateOf } from './revision-data.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** upstream ConcurrentStatefulSetSyncs */
const WORKERS = 5;
const KIND = 'StatefulSet';
/** Upstream StatefulPodControl words the pod events its own way. */
const statefulPodControlMessages: PodEventMessages = {
  created: (pod, set) => `create Pod ${pod.metadata?.name} in StatefulSet ${set.name} successful`,
  createFailed: (pod, err, set) =>
    isAlreadyExists(err) ? undefined : `create Pod ${pod.metadata?.name} in StatefulSet ${set.name} failed error: ${errorMessage(err)}`,
  deleted: (name, set) => `delete Pod ${name} in StatefulSet ${set.name} successful`,
  deleteFailed: (name, err, set) => `delete Pod ${name} in StatefulSet ${set.name} failed error: ${errorMessage(err)}`,
};

interface Revisions {
  current: V1ControllerRevision;
  update: V1ControllerRevision;
  all: V1ControllerRevision[];
  collisionCount: number;
}

export class StatefulSetController {
  private readonly ctx: ControllerContext;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly setInformer: Informer<V1StatefulSet>;
  private readonly podInformer: Informer<V1Pod>;
  private readonly revisionInformer: Informer<V1ControllerRevision>;
  private readonly claimInformer: Informer<V1PersistentVolumeClaim>;
  private readonly events: EventRecorder;
  private readonly podControl: PodControl;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.apps = ctx.kubeConfig.makeApiClient(AppsV1Api);
    this.core = ctx.kubeConfig.makeApiClient(CoreV1Api);
    this.setInformer = ctx.informers.informerFor('/apis/apps/v1/statefulsets', () => this.apps.listStatefulSetForAllNamespaces());
    this.revisionInformer = ctx.informers.informerFor('/apis/apps/v1/controllerrevisions', () => this.apps.listControllerRevisionForAllNamespaces());
    this.claimInformer = ctx.informers.informerFor('/api/v1/persistentvolumeclaims', () => this.core.listPersistentVolumeClaimForAllNamespaces());
    this.podInformer = ctx.informers.pods();
    this.events = newEventRecorder(ctx, 'statefulset-controller');
    this.podControl = new PodControl(this.core, this.events, statefulPodControlMessages);
    const enqueue = (s: V1StatefulSet) => this.queue.add(keyOf(s));
    this.setInformer.on({ add: enqueue, update: enqueue, delete: enqueue });
    const podChanged = (p: V1Pod) => this.enqueueOwnerOf(p, (set) => isMemberOf(set, p));
    this.podInformer.on({ add: podChanged, update: podChanged, delete: podChanged });
    const revisionChanged = (r: V1ControllerRevision) => this.enqueueOwnerOf(r, () => true);
    this.revisionInformer.on({ add: revisionChanged, update: revisionChanged, delete: revisionChanged });
    // a claim left over from a scale-down holds back its pod until it is gone
    this.claimInformer.on({ delete: (c) => this.enqueueOwnerOf(c, () => true) });
  }

  run(): () => Promise<void> {
    return runManagedController(this.ctx, {
      name: 'statefulset',
      queue: this.queue,
      caches: [this.setInformer, this.podInformer, this.revisionInformer, this.claimInformer],
      workers: WORKERS,
      reconcile: (key) => this.sync(key),
      isRoutine: (e) => isConflict(e) || isAlreadyExists(e),
      events: this.events,
    });
  }

  /** The set controlling `obj`, or for an orphan every set whose selector (and `also`) takes it. */
  private enqueueOwnerOf(obj: { metadata?: V1Pod['metadata'] }, also: (set: V1StatefulSet) => boolean): void {
    const ns = obj.metadata?.namespace;
    const ref = controllerOf(obj.metadata);
    if (ref) {
      if (ref.kind !== KIND) return;
      const set = this.setInformer.get(ref.name, ns);
      if (set?.metadata?.uid === ref.uid) this.queue.add(keyOf(set));
      return;
    }
    for (const set of this.setInformer.list(ns)) {
      if (labelSelectorMatches(set.spec?.selector, obj.metadata?.labels) && also(set)) this.queue.add(keyOf(set));
    }
  }

  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.setInformer.get(name, namespace);
    if (!cached) return;
    const set = structuredClone(cached);
    const log = this.ctx.log.child({ controller: 'statefulset', statefulset: key });
    if (isEmptyLabelSelector(set.spec?.selector)) {
      log.warn('statefulset selects all pods, refusing to act');
      return;
    }
    const pods = await this.claimPods(set);
    const revisions = await this.revisions(set, await this.claimRevisions(set));
    const plan = planStatefulSet({
      set,
      pods,
      currentRevision: revisions.current.metadata!.name!,
      updateRevision: revisions.update.metadata!.name!,
      inOrder: (pod) => this.inOrder(set, pod),
      claimIsStale: (ordinal) => this.claimIsStale(set, ordinal),
      now: Date.now(),
    });
    for (const action of plan.actions) await this.carryOut(set, revisions, action, log);
    const status = completeRollingUpdate(set, {
      ...set.status,
      ...plan.status,
      observedGeneration: set.metadata?.generation,
      currentRevision: revisions.current.metadata!.name,
      updateRevision: revisions.update.metadata!.name,
      collisionCount: revisions.collisionCount,
    });
    await this.writeStatus(set, status);
    await this.truncateHistory(set, pods, status, revisions.all);
    return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
  }

  // ---- ownership -----------------------------------------------------------------------

  private canAdopt(set: V1StatefulSet): () => Promise<void> {
    return async () => {
      const fresh = await this.apps.readNamespacedStatefulSet({ name: set.metadata!.name!, namespace: set.metadata!.namespace! });
      assertSameLiveOwner(fresh, set.metadata?.uid, `StatefulSet ${keyOf(set)}`);
    };
  }

  /** Pods this set controls, plus orphans named after it that its selector takes. */
  private claimPods(set: V1StatefulSet): Promise<V1Pod[]> {
    const candidates = this.podInformer.list(set.metadata?.namespace).filter((p) => controllerOf(p.metadata) || isMemberOf(set, p));
    return claimObjects(candidates, {
      owner: set,
      ownerRef: newControllerRef(set, 'apps/v1', KIND),
      selector: set.spec?.selector,
      canAdopt: this.canAdopt(set),
      patchOwnerRefs: (pod: V1Pod, ownerReferences: V1OwnerReference[]) =>
        this.core.patchNamespacedPod(ownerRefsPatchRequest(pod, ownerReferences), mergePatch),
    });
  }

  private claimRevisions(set: V1StatefulSet): Promise<V1ControllerRevision[]> {
    return claimObjects(this.revisionInformer.list(set.metadata?.namespace), {
      owner: set,
      ownerRef: newControllerRef(set, 'apps/v1', KIND),
      selector: set.spec?.selector,
      canAdopt: this.canAdopt(set),
      patchOwnerRefs: (r: V1ControllerRevision, ownerReferences: V1OwnerReference[]) =>
        this.apps.patchNamespacedControllerRevision(ownerRefsPatchRequest(r, ownerReferences), mergePatch),
    });
  }

  // ---- revisions -----------------------------------------------------------------------

  /**
   * upstream getStatefulSetRevisions: the update revision is the set's template (an equal older
   * revision is renumbered to be the newest instead of making a copy); the current revision is
   * the one status names, or the update revision for a new set.
   */
  private async revisions(set: V1StatefulSet, owned: V1ControllerRevision[]): Promise<Revisions> {
    const all = sortRevisions(owned as Array<V1ControllerRevision & ControllerRevision>);
    let collisionCount = set.status?.collisionCount ?? 0;
    const candidate = this.newRevision(set, nextRevision(all), collisionCount);
    const equal = findEqualRevisions(all, candidate);
    let update: V1ControllerRevision;
    if (equal.length > 0 && equal[equal.length - 1] === all[all.length - 1]) {
      update = equal[equal.length - 1]!;
    } else if (equal.length > 0) {
      const older = equal[equal.length - 1]!;
      update = await this.apps.patchNamespacedControllerRevision(
        { name: older.metadata!.name!, namespace: older.metadata!.namespace!, body: { revision: candidate.revision } },
        mergePatch,
      );
    } else {
      ({ revision: update, collisionCount } = await this.createRevision(set, candidate.revision, collisionCount));
    }
    const current = all.find((r) => r.metadata?.name === set.status?.currentRevision) ?? update;
    return { current, update, all: [...all.filter((r) => r.metadata?.name !== update.metadata?.name), update], collisionCount };
  }

  private newRevision(set: V1StatefulSet, revision: number, collisionCount: number): V1ControllerRevision & ControllerRevision {
    const owner = { apiVersion: 'apps/v1', kind: KIND, metadata: set.metadata ?? {} };
    const cr = newControllerRevision(owner, set.spec?.template?.metadata?.labels, revisionData(set), revision, collisionCount);
    // as upstream, the revision carries the set's annotations (kubectl reads change-cause there)
    if (set.metadata?.annotations) cr.metadata.annotations = { ...set.metadata.annotations };
    return cr as V1ControllerRevision & ControllerRevision;
  }

  /** history.CreateControllerRevision: a name taken by different data bumps collisionCount. */
  private async createRevision(
    set: V1StatefulSet,
    revision: number,
    collisionCount: number,
  ): Promise<{ revision: V1ControllerRevision; collisionCount: number }> {
    for (;;) {
      const cr = this.newRevision(set, revision, collisionCount);
      try {
        return { revision: await this.apps.createNamespacedControllerRevision({ namespace: set.metadata!.namespace!, body: cr }), collisionCount };
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        const existing = await this.apps.readNamespacedControllerRevision({ name: cr.metadata.name!, namespace: set.metadata!.namespace! });
        const ours = controllerOf(existing.metadata)?.uid === set.metadata?.uid;
        if (ours && findEqualRevisions([existing as V1ControllerRevision & ControllerRevision], cr).length > 0) return { revision: existing, collisionCount };
        collisionCount++;
      }
    }
  }

  /** Deletes revisions beyond revisionHistoryLimit that no pod and neither status revision names. */
  private async truncateHistory(set: V1StatefulSet, pods: V1Pod[], status: V1StatefulSetStatus, all: V1ControllerRevision[]): Promise<void> {
    const live = new Set<string>([status.currentRevision ?? '', status.updateRevision ?? '']);
    for (const p of pods) {
      const r = podRevision(p);
      if (r) live.add(r);
    }
    const prune = revisionsToPrune(all as Array<V1ControllerRevision & ControllerRevision>, live, set.spec?.revisionHistoryLimit ?? 10);
    for (const r of prune) {
      try {
        await this.apps.deleteNamespacedControllerRevision({ name: r.metadata!.name!, namespace: r.metadata!.namespace! });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  // ---- claims --------------------------------------------------------------------------

  private claim(namespace: string | undefined, name: string): V1PersistentVolumeClaim | undefined {
    return this.claimInformer.get(name, namespace);
  }

  private inOrder(set: V1StatefulSet, pod: V1Pod): boolean {
    if (!identityMatches(set, pod)) return false;
    const ordinal = ordinalOf(pod);
    for (const wanted of claimsFor(set, ordinal).values()) {
      const claim = this.claim(set.metadata?.namespace, wanted.metadata!.name!);
      if (!claim) return false;
      if (!claim.metadata?.deletionTimestamp && !ownersEqual(claim.metadata?.ownerReferences, desiredClaimOwners(set, pod, claim))) return false;
    }
    return true;
  }

  private claimIsStale(set: V1StatefulSet, ordinal: number): boolean {
    const future = { metadata: { name: podName(set, ordinal) } } as V1Pod;
    return [...claimsFor(set, ordinal).values()].some((c) => isStaleClaim(this.claim(set.metadata?.namespace, c.metadata!.name!), future));
  }

  /** Creates the pod's missing claims and sets the owners the retention policy asks for. */
  private async syncClaims(set: V1StatefulSet, pod: V1Pod): Promise<void> {
    const ordinal = ordinalOf(pod);
    for (const wanted of claimsFor(set, ordinal).values()) {
      const name = wanted.metadata!.name!;
      const existing = this.claim(set.metadata?.namespace, name);
      if (!existing) {
        wanted.metadata!.ownerReferences = desiredClaimOwners(set, pod, wanted);
        if (wanted.metadata!.ownerReferences.length === 0) delete wanted.metadata!.ownerReferences;
        try {
          await this.core.createNamespacedPersistentVolumeClaim({ namespace: set.metadata!.namespace!, body: wanted });
          this.record(set, 'Normal', 'SuccessfulCreate', `create Claim ${name} Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} success`);
        } catch (e) {
          if (isAlreadyExists(e)) continue;
          this.recordFailure(
            set,
            e,
            'FailedCreate',
            `create Claim ${name} for Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} failed error: ${errorMessage(e)}`,
          );
          throw e;
        }
        continue;
      }
      if (existing.metadata?.deletionTimestamp || !pod.metadata?.uid) continue;
      const owners = desiredClaimOwners(set, pod, existing);
      if (ownersEqual(existing.metadata?.ownerReferences, owners)) continue;
      await this.core.patchNamespacedPersistentVolumeClaim(
        {
          name,
          namespace: set.metadata!.namespace!,
          body: { metadata: { ownerReferences: owners, resourceVersion: existing.metadata?.resourceVersion } },
        },
        mergePatch,
      );
    }
  }

  // ---- actions -------------------------------------------------------------------------

  private record(set: V1StatefulSet, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.event(eventRef(set, 'apps/v1', KIND), type, reason, message);
  }

  private recordFailure(set: V1StatefulSet, e: unknown, reason: string, message: string): void {
    // a namespace being deleted refuses every create: nothing a user could act on
    if (!isNamespaceTerminating(e)) this.record(set, 'Warning', reason, message);
  }

  private async carryOut(set: V1StatefulSet, revisions: Revisions, action: Action, log: Logger): Promise<void> {
    const setName = set.metadata?.name;
    if (action.type === 'create') {
      const rev = action.revision === 'current' ? revisions.current : revisions.update;
      const template = action.revision === 'current' ? (templateOf(rev.data) ?? set.spec?.template) : set.spec?.template;
      const pod = newStatefulSetPod(set, template, action.ordinal, rev.metadata!.name!);
      await this.syncClaims(set, pod);
      try {
        await this.podControl.createPod(eventRef(set, 'apps/v1', KIND), set.metadata!.namespace!, pod);
      } catch (e) {
        // our own earlier create whose watch event has not arrived: wait for it
        if (isAlreadyExists(e)) return;
        throw e;
      }
      log.info('created pod', { pod: pod.metadata?.name, revision: rev.metadata?.name });
      return;
    }
    const pod = action.pod;
    if (action.type === 'repair') {
      await this.syncClaims(set, pod);
      if (!identityMatches(set, pod)) {
        await this.core.patchNamespacedPod(
          {
            name: pod.metadata!.name!,
            namespace: pod.metadata!.namespace!,
            body: { metadata: { labels: identityLabels(pod), resourceVersion: pod.metadata?.resourceVersion } },
          },
          mergePatch,
        );
        this.record(set, 'Normal', 'SuccessfulUpdate', `update Pod ${pod.metadata?.name} in StatefulSet ${setName} successful`);
      }
      return;
    }
    if (action.why === 'failed' || action.why === 'succeeded') {
      const reason = action.why === 'failed' ? 'RecreatingFailedPod' : 'RecreatingTerminatedPod';
      const what = action.why === 'failed' ? 'failed' : 'terminated';
      this.record(set, 'Warning', reason, `StatefulSet ${set.metadata?.namespace}/${setName} is recreating ${what} Pod ${pod.metadata?.name}`);
    }
    try {
      // the uid precondition keeps a stale cache from deleting the pod's successor
      await this.podControl.deletePod(eventRef(set, 'apps/v1', KIND), pod.metadata!.namespace!, pod.metadata!.name!, pod.metadata?.uid);
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) return;
      throw e;
    }
    log.info('deleted pod', { pod: pod.metadata?.name, why: action.why });
  }

  private async writeStatus(set: V1StatefulSet, status: V1StatefulSetStatus): Promise<void> {
    if (canonicalJson(status) === canonicalJson(set.status ?? {})) return;
    try {
      await this.apps.replaceNamespacedStatefulSetStatus({ name: set.metadata!.name!, namespace: set.metadata!.namespace!, body: { ...set, status } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

export const statefulSetController: ControllerDescriptor = {
  name: 'statefulset',
  async start(ctx) {
    return new StatefulSetController(ctx).run();
  },
};
