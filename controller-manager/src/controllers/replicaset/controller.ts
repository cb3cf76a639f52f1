// The ReplicaSet controller: keeps spec.replicas active pods matching the selector, creating
// them from the template and deleting the least useful first, then writes status. The same
// logic runs ReplicationControllers, seen as ReplicaSets (kinds.ts), as upstream's
// ReplicationManager does.
import { CoreV1Api, type KubernetesObject, type V1OwnerReference, type V1Pod, type V1ReplicaSet } from '@kubernetes/client-node';
import { keyOf, splitKey, WorkQueue, type EventRecorder, type Informer, type ReconcileResult } from '@skiff/common';
import type { ControllerContext, ControllerDescriptor } from '../../controller-context.ts';
import { errorMessage, isConflict, isNotFound } from '../../lib/api-errors.ts';
import { assertSameLiveOwner, claimObjects, ownersSelecting, resolveControllerRef } from '../../lib/claim.ts';
import { canonicalJson } from '../../lib/canonical-json.ts';
import { eventRef, newEventRecorder } from '../../lib/events.ts';
import { runManagedController } from '../../lib/run-controller.ts';
import { Expectations } from '../../lib/expectations.ts';
import { controllerOf, newControllerRef } from '@skiff/common/apimachinery/owner-references';
import { isPodActive, isPodReady, podKey } from '../../lib/pods.ts';
import { PodControl } from '../../lib/pod-control.ts';
import { podsToDelete } from './pod-ranking.ts';
import { podFromReplicaSet } from './pod-template.ts';
import { calculateReplicaSetStatus, type ManageError } from './status.ts';
import { replicaSetKind, replicationControllerKind, type ReplicatedKind } from './kinds.ts';

export class ReplicaSetController {
  private readonly ctx: ControllerContext;
  private readonly kind: ReplicatedKind;
  private readonly podControl: PodControl;
  private readonly rsInformer: Informer<KubernetesObject>;
  private readonly podInformer: Informer<V1Pod>;
  readonly expectations: Expectations;
  private readonly events: EventRecorder;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });

  constructor(ctx: ControllerContext, kind: ReplicatedKind = replicaSetKind(ctx)) {
    this.ctx = ctx;
    this.kind = kind;
    this.rsInformer = kind.informer;
    this.podInformer = ctx.informers.pods();
    this.expectations = new Expectations(ctx.config.expectationsTimeoutSeconds * 1000);
    this.events = newEventRecorder(ctx, kind.eventComponent);
    this.podControl = new PodControl(ctx.kubeConfig.makeApiClient(CoreV1Api), this.events);
    this.rsInformer.on({
      add: (rs) => this.queue.add(keyOf(rs)),
      update: (rs) => this.queue.add(keyOf(rs)),
      delete: (rs) => {
        this.expectations.forget(keyOf(rs));
        this.queue.add(keyOf(rs));
      },
    });
    this.podInformer.on({ add: (p) => this.podAdded(p), update: (p) => this.podUpdated(p), delete: (p) => this.podDeleted(p) });
  }

  /** The managed object of this key or name, as a ReplicaSet. */
  private getRs(name: string, namespace: string | undefined): V1ReplicaSet | undefined {
    const obj = this.rsInformer.get(name, namespace);
    return obj ? this.kind.asReplicaSet(obj) : undefined;
  }

  private listRs(namespace: string | undefined): V1ReplicaSet[] {
    return this.rsInformer.list(namespace).map((o) => this.kind.asReplicaSet(o));
  }

  run(): () => Promise<void> {
    return runManagedController(this.ctx, {
      name: this.kind.controllerName,
      queue: this.queue,
      caches: [this.rsInformer, this.podInformer],
      workers: this.kind.workers,
      reconcile: (key) => this.sync(key),
      events: this.events,
    });
  }

  private ownerOf(pod: V1Pod): V1ReplicaSet | undefined {
    return resolveControllerRef(pod, this.kind.kind, (name, ns) => this.getRs(name, ns));
  }

  private enqueueMatchingOrphanOwners(pod: V1Pod): void {
    for (const rs of ownersSelecting(pod, this.listRs(pod.metadata?.namespace))) this.queue.add(keyOf(rs));
  }

  private podAdded(pod: V1Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      this.podDeleted(pod);
      return;
    }
    if (controllerOf(pod.metadata)) {
      const rs = this.ownerOf(pod);
      if (!rs) return;
      this.expectations.creationObserved(keyOf(rs));
      this.queue.add(keyOf(rs));
      return;
    }
    this.enqueueMatchingOrphanOwners(pod);
  }

  private podUpdated(pod: V1Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      this.podDeleted(pod);
      return;
    }
    if (controllerOf(pod.metadata)) {
      const rs = this.ownerOf(pod);
      if (!rs) return;
      this.queue.add(keyOf(rs));
      // a pod that just became ready becomes available minReadySeconds later
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && isPodReady(pod)) this.queue.addAfter(keyOf(rs), minReady * 1000 + 100);
      return;
    }
    this.enqueueMatchingOrphanOwners(pod);
  }

  private podDeleted(pod: V1Pod): void {
    const rs = this.ownerOf(pod);
    if (!rs) return;
    this.expectations.deletionObserved(keyOf(rs), podKey(pod));
    this.queue.add(keyOf(rs));
  }

  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const rs = this.getRs(name, namespace);
    if (!rs) {
      this.expectations.forget(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key) && !rs.metadata?.deletionTimestamp;
    const active = this.podInformer.list(namespace).filter(isPodActive);
    const pods = await this.claimPods(rs, active);
    let manageError: ManageError;
    if (needsSync) manageError = await this.manageReplicas(key, rs, pods, active);
    const status = calculateReplicaSetStatus(rs, pods, manageError);
    const updated = await this.writeStatus(rs, status);
    if (manageError) throw new Error(manageError.message);
    const minReady = rs.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && updated.readyReplicas === (rs.spec?.replicas ?? 1) && updated.availableReplicas !== updated.readyReplicas) {
      return { requeueAfterMs: minReady * 1000 };
    }
  }

  private claimPods(rs: V1ReplicaSet, pods: readonly V1Pod[]): Promise<V1Pod[]> {
    return claimObjects(pods, {
      owner: rs,
      ownerRef: newControllerRef(rs, this.kind.apiVersion, this.kind.kind),
      selector: rs.spec?.selector,
      canAdopt: async () => {
        const fresh = await this.kind.read(rs.metadata!.namespace!, rs.metadata!.name!);
        assertSameLiveOwner(fresh, rs.metadata?.uid, `${this.kind.kind} ${keyOf(rs)}`);
      },
      patchOwnerRefs: (pod: V1Pod, ownerReferences: V1OwnerReference[]) => this.podControl.patchOwnerRefs(pod, ownerReferences),
    });
  }

  private async manageReplicas(key: string, rs: V1ReplicaSet, pods: V1Pod[], activeInNamespace: readonly V1Pod[]): Promise<ManageError> {
    const log = this.ctx.log.child({ controller: this.kind.controllerName, replicaSet: key });
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const burst = this.ctx.config.burstReplicas;
    const ref = eventRef(rs, this.kind.apiVersion, this.kind.kind);
    if (diff < 0) {
      const n = Math.min(-diff, burst);
      log.debug('too few replicas, creating', { need: rs.spec?.replicas, have: pods.length, creating: n });
      const body = podFromReplicaSet(rs, this.kind.apiVersion, this.kind.kind);
      const { error } = await this.podControl.createPods(this.expectations, key, ref, rs.metadata!.namespace!, n, () => body);
      if (error) return { kind: 'create', message: errorMessage(error) };
      return undefined;
    }
    if (diff > 0) {
      const n = Math.min(diff, burst);
      const victims = podsToDelete(pods, this.relatedPods(rs, activeInNamespace), n);
      log.debug('too many replicas, deleting', { need: rs.spec?.replicas, have: pods.length, deleting: n });
      const error = await this.podControl.deletePods(this.expectations, key, ref, victims);
      if (error) return { kind: 'delete', message: errorMessage(error) };
    }
    return undefined;
  }

  /** Pods of this ReplicaSet and of its siblings (same controlling owner): for spreading. */
  private relatedPods(rs: V1ReplicaSet, active: readonly V1Pod[]): V1Pod[] {
    const owner = controllerOf(rs.metadata);
    const uids = new Set([rs.metadata?.uid]);
    if (owner) {
      for (const other of this.listRs(rs.metadata?.namespace)) {
        if (controllerOf(other.metadata)?.uid === owner.uid) uids.add(other.metadata?.uid);
      }
    }
    return active.filter((p) => uids.has(controllerOf(p.metadata)?.uid));
  }

  private async writeStatus(rs: V1ReplicaSet, status: NonNullable<V1ReplicaSet['status']>): Promise<NonNullable<V1ReplicaSet['status']>> {
    const next = { ...status, observedGeneration: rs.metadata?.generation };
    if (canonicalJson(next) === canonicalJson(rs.status ?? {})) return next;
    try {
      await this.kind.replaceStatus(rs, next);
    } catch (e) {
      if (isNotFound(e)) return next;
      if (!isConflict(e)) throw e;
      // the cache is behind: write our status onto the current object once
      await this.kind.replaceStatus(await this.kind.read(rs.metadata!.namespace!, rs.metadata!.name!), next);
    }
    return next;
  }
}

export const replicaSetController: ControllerDescriptor = {
  name: 'replicaset',
  async start(ctx) {
    return new ReplicaSetController(ctx).run();
  },
};

export const replicationControllerController: ControllerDescriptor = {
  name: 'replicationcontroller',
  async start(ctx) {
    return new ReplicaSetController(ctx, replicationControllerKind(ctx)).run();
  },
};
