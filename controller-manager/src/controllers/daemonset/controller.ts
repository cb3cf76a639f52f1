// The DaemonSet controller: one pod per eligible node, each pinned to its node by a required
// node affinity and bound by the scheduler; rolled by RollingUpdate (maxUnavailable or
// maxSurge) or left for OnDelete; history kept as ControllerRevisions; status for
// `kubectl get ds` and `kubectl rollout status`.
import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1ControllerRevision,
  type V1DaemonSet,
  type V1DaemonSetStatus,
  type V1Node,
  type V1OwnerReference,
  type V1Pod,
} from '@kubernetes/client-node';
import { keyOf, splitKey, WorkQueue, type EventRecorder, type Informer, type ReconcileResult } from '@skiff/common';
import { controllerOf, newControllerRef } from '@skiff/common/apimachinery/owner-references';
import type { ControllerContext, ControllerDescriptor } from '../../controller-context.ts';
import { isAlreadyExists, isConflict, isNamespaceTerminating, isNotFound } from '../../lib/api-errors.ts';
import { assertSameLiveOwner, claimObjects, ownersSelecting, resolveControllerRef } from '../../lib/claim.ts';
import { canonicalJson } from '../../lib/canonical-json.ts';
import { eventRef, newEventRecorder } from '../../lib/events.ts';
import { runManagedController } from '../../lib/run-controller.ts';
import { Expectations } from '../../lib/expectations.ts';
import { podKey } from '../../lib/pods.ts';
import { PodControl } from '../../lib/pod-control.ts';
import { type ControllerRevision, controllerRevisionHashLabel, equalRevisions, revisionsToPrune, sortRevisions } from '../history/revisions.ts';
import { snapshot, splitHistory } from './history.ts';
import { daemonPodTemplate, newDaemonPod, targetNodeName } from './placement.ts';
import { calculateStatus, type NodePods, planNodes, planRollingUpdate, type SyncPlan } from './rollout.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** Upstream's --concurrent-daemonset-syncs default. */
const WORKERS = 2;
const NAME = 'daemonset';

const isTerminal = (p: V1Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export class DaemonSetController {
  private readonly ctx: ControllerContext;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly dsInformer: Informer<V1DaemonSet>;
  private readonly podInformer: Informer<V1Pod>;
  private readonly nodeInformer: Informer<V1Node>;
  private readonly revisionInformer: Informer<V1ControllerRevision>;
  readonly expectations: Expectations;
  private readonly events: EventRecorder;
  private readonly podControl: PodControl;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });
  /** The labels and taints last seen per node: updates that change neither are heartbeats. */
  private readonly nodePlacements = new Map<string, string>();

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.apps = ctx.kubeConfig.makeApiClient(AppsV1Api);
    this.core = ctx.kubeConfig.makeApiClient(CoreV1Api);
    this.dsInformer = ctx.informers.informerFor('/apis/apps/v1/daemonsets', () => this.apps.listDaemonSetForAllNamespaces());
    this.podInformer = ctx.informers.pods();
    this.nodeInformer = ctx.informers.informerFor('/api/v1/nodes', () => this.core.listNode());
    this.revisionInformer = ctx.informers.informerFor('/apis/apps/v1/controllerrevisions', () => this.apps.listControllerRevisionForAllNamespaces());
    this.expectations = new Expectations(ctx.config.expectationsTimeoutSeconds * 1000);
    this.events = newEventRecorder(ctx, 'daemonset-controller');
    this.podControl = new PodControl(this.core, this.events);

    this.dsInformer.on({
      add: (ds) => this.queue.add(keyOf(ds)),
      update: (ds) => this.queue.add(keyOf(ds)),
      delete: (ds) => {
        this.expectations.forget(keyOf(ds));
        this.queue.add(keyOf(ds));
      },
    });
    this.podInformer.on({ add: (p) => this.podAdded(p), update: (p) => this.podUpdated(p), delete: (p) => this.podDeleted(p) });
    // a node joining, leaving, relabelled or (un)tainted changes where daemons run
    const allDaemonSets = () => {
      for (const ds of this.dsInformer.list()) this.queue.add(keyOf(ds));
    };
    const nodeGone = (n: V1Node) => {
      this.nodePlacements.delete(n.metadata?.name ?? '');
      allDaemonSets();
    };
    this.nodeInformer.on({ add: (n) => this.nodeUpdated(n), update: (n) => this.nodeUpdated(n), delete: nodeGone });
    const revisionChanged = (r: V1ControllerRevision) => {
      const ref = controllerOf(r.metadata);
      if (ref?.kind === 'DaemonSet') this.queue.add(`${r.metadata?.namespace}/${ref.name}`);
    };
    this.revisionInformer.on({ add: revisionChanged, update: revisionChanged, delete: revisionChanged });
  }

  run(): () => Promise<void> {
    return runManagedController(this.ctx, {
      name: NAME,
      queue: this.queue,
      caches: [this.dsInformer, this.podInformer, this.nodeInformer, this.revisionInformer],
      workers: WORKERS,
      reconcile: (key) => this.sync(key),
      events: this.events,
    });
  }

  private nodeUpdated(node: V1Node): void {
    // heartbeats change status every few seconds: only what placement reads matters
    const name = node.metadata?.name ?? '';
    const placement = canonicalJson({ labels: node.metadata?.labels ?? {}, taints: node.spec?.taints ?? [] });
    if (this.nodePlacements.get(name) === placement) return;
    this.nodePlacements.set(name, placement);
    for (const ds of this.dsInformer.list()) this.queue.add(keyOf(ds));
  }

  private ownerOf(pod: V1Pod): V1DaemonSet | undefined {
    return resolveControllerRef(pod, 'DaemonSet', (name, ns) => this.dsInformer.get(name, ns));
  }

  private enqueueMatchingOrphanOwners(pod: V1Pod): void {
    for (const ds of ownersSelecting(pod, this.dsInformer.list(pod.metadata?.namespace))) this.queue.add(keyOf(ds));
  }

  private podAdded(pod: V1Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      this.podDeleted(pod);
      return;
    }
    if (controllerOf(pod.metadata)) {
      const ds = this.ownerOf(pod);
      if (!ds) return;
      this.expectations.creationObserved(keyOf(ds));
      this.queue.add(keyOf(ds));
      return;
    }
    this.enqueueMatchingOrphanOwners(pod);
  }

  private podUpdated(pod: V1Pod): void {
    if (controllerOf(pod.metadata)) {
      const ds = this.ownerOf(pod);
      if (!ds) return;
      this.queue.add(keyOf(ds));
      // a pod that just became ready becomes available minReadySeconds later
      const minReady = ds.spec?.minReadySeconds ?? 0;
      if (minReady > 0) this.queue.addAfter(keyOf(ds), minReady * 1000 + 100);
      return;
    }
    if (!pod.metadata?.deletionTimestamp) this.enqueueMatchingOrphanOwners(pod);
  }

  private podDeleted(pod: V1Pod): void {
    const ds = this.ownerOf(pod);
    if (!ds) return;
    this.expectations.deletionObserved(keyOf(ds), podKey(pod));
    this.queue.add(keyOf(ds));
  }

  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const ds = this.dsInformer.get(name, namespace);
    if (!ds) {
      this.expectations.forget(key);
      return;
    }
    // the garbage collector removes the pods of a DaemonSet being deleted
    if (ds.metadata?.deletionTimestamp) return;
    const nodes = this.nodeInformer.list();
    const { current, old } = await this.constructHistory(ds);
    const hash = current.metadata.labels?.[controllerRevisionHashLabel] ?? '';

    if (!this.expectations.satisfied(key)) {
      // pods in flight: report what is there, without claiming this generation was processed
      return this.writeStatus(ds, calculateStatus(ds, nodes, await this.nodePods(ds), hash), false);
    }
    let failure: unknown;
    try {
      await this.manage(key, ds, nodes, hash);
      if (this.expectations.satisfied(key) && ds.spec?.updateStrategy?.type === 'RollingUpdate') {
        await this.syncNodes(key, ds, planRollingUpdate(ds, nodes, await this.nodePods(ds), hash), hash);
      }
      await this.cleanupHistory(ds, old, current);
    } catch (e) {
      failure = e;
    }
    const result = await this.writeStatus(ds, calculateStatus(ds, nodes, await this.nodePods(ds), hash), true);
    if (failure) throw failure;
    return result;
  }

  /** The DaemonSet's pods (adopting matching orphans), by the node each is for; finished pods being deleted are gone already. */
  private async nodePods(ds: V1DaemonSet, includeDeletedTerminal = false): Promise<NodePods> {
    const inNamespace = this.podInformer
      .list(ds.metadata?.namespace)
      .filter((p) => includeDeletedTerminal || !(isTerminal(p) && p.metadata?.deletionTimestamp));
    const pods = await claimObjects(inNamespace, {
      owner: ds,
      ownerRef: newControllerRef(ds, 'apps/v1', 'DaemonSet'),
      selector: ds.spec?.selector,
      canAdopt: async () => {
        const fresh = await this.apps.readNamespacedDaemonSet({ name: ds.metadata!.name!, namespace: ds.metadata!.namespace! });
        assertSameLiveOwner(fresh, ds.metadata?.uid, `DaemonSet ${keyOf(ds)}`);
      },
      patchOwnerRefs: (pod: V1Pod, ownerReferences: V1OwnerReference[]) => this.podControl.patchOwnerRefs(pod, ownerReferences),
    });
    const byNode: NodePods = new Map();
    for (const p of pods) {
      const node = targetNodeName(p);
      if (!node) continue;
      if (!byNode.has(node)) byNode.set(node, []);
      byNode.get(node)!.push(p);
    }
    return byNode;
  }

  private async manage(key: string, ds: V1DaemonSet, nodes: readonly V1Node[], hash: string): Promise<void> {
    const plan = planNodes(ds, nodes, await this.nodePods(ds), hash);
    const ref = eventRef(ds, 'apps/v1', 'DaemonSet');
    for (const p of plan.failed) {
      this.events.event(
        ref,
        'Warning',
        'FailedDaemonPod',
        `Found failed daemon pod ${p.metadata?.namespace}/${p.metadata?.name} on node ${p.spec?.nodeName}, will try to kill it`,
      );
    }
    await this.syncNodes(key, ds, plan, hash);
  }

  /** Creates the pods for plan.create and deletes plan.delete, at most burstReplicas of each, under expectations. */
  private async syncNodes(key: string, ds: V1DaemonSet, plan: SyncPlan, hash: string): Promise<void> {
    const burst = this.ctx.config.burstReplicas;
    const create = plan.create.slice(0, burst);
    const deleteNames = [...new Set(plan.delete)].slice(0, burst);
    if (create.length === 0 && deleteNames.length === 0) return;
    const ns = ds.metadata!.namespace!;
    const log = this.ctx.log.child({ controller: NAME, daemonSet: key });
    log.debug('syncing nodes', { create, delete: deleteNames });
    const ref = eventRef(ds, 'apps/v1', 'DaemonSet');
    const template = daemonPodTemplate(ds, hash);
    const made = await this.podControl.createPods(this.expectations, key, ref, ns, create.length, (i) => newDaemonPod(ds, template, create[i]));
    const failed = await this.podControl.deletePods(
      this.expectations,
      key,
      ref,
      deleteNames.map((name) => ({ metadata: { name, namespace: ns } })),
    );
    if (made.error && !isNamespaceTerminating(made.error)) throw made.error;
    if (failed) throw failed;
  }

  /**
   * constructHistory: the revision holding the current template (created if missing, and
   * renumbered above every old one, so that a rollback becomes the newest revision) and the
   * old ones.
   */
  private async constructHistory(ds: V1DaemonSet): Promise<{ current: ControllerRevision; old: ControllerRevision[] }> {
    const ns = ds.metadata!.namespace!;
    const split = splitHistory(ds, this.revisionInformer.list(ns));
    let current: ControllerRevision;
    if (split.current.length === 0) current = await this.createRevision(ds, split.currentRevision);
    else {
      // more than one only after a race: keep the newest, drop the others
      const sorted = sortRevisions(split.current);
      current = sorted[sorted.length - 1];
      for (const dup of sorted.slice(0, -1)) {
        await this.apps.deleteNamespacedControllerRevision({ name: dup.metadata.name!, namespace: ns }).catch((e) => {
          if (!isNotFound(e)) throw e;
        });
      }
      if (current.revision < split.currentRevision) {
        current = (await this.apps.patchNamespacedControllerRevision(
          { name: current.metadata.name!, namespace: ns, body: { revision: split.currentRevision } },
          mergePatch,
        )) as unknown as ControllerRevision;
      }
    }
    return { current, old: split.old };
  }

  private async createRevision(ds: V1DaemonSet, revision: number): Promise<ControllerRevision> {
    const ns = ds.metadata!.namespace!;
    const body = snapshot(ds, revision);
    try {
      return (await this.apps.createNamespacedControllerRevision({ namespace: ns, body: body as V1ControllerRevision })) as unknown as ControllerRevision;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    // the name is taken: ours already (a cache behind), or a hash collision to count
    const existing = (await this.apps.readNamespacedControllerRevision({ name: body.metadata.name!, namespace: ns })) as unknown as ControllerRevision;
    if (equalRevisions(existing, body) && controllerOf(existing.metadata as never)?.uid === ds.metadata?.uid) return existing;
    const fresh = await this.apps.readNamespacedDaemonSet({ name: ds.metadata!.name!, namespace: ns });
    if ((fresh.status?.collisionCount ?? 0) !== (ds.status?.collisionCount ?? 0)) {
      throw new Error(`found a stale collision count of DaemonSet ${keyOf(ds)}; will retry until it is updated`);
    }
    await this.apps.replaceNamespacedDaemonSetStatus({
      name: fresh.metadata!.name!,
      namespace: ns,
      body: { ...fresh, status: { ...fresh.status!, collisionCount: (fresh.status?.collisionCount ?? 0) + 1 } },
    });
    throw new Error(`hash collision on ControllerRevision ${ns}/${body.metadata.name}; collisionCount raised`);
  }

  /** cleanupHistory: beyond revisionHistoryLimit, the oldest revisions no pod runs are deleted. */
  private async cleanupHistory(ds: V1DaemonSet, old: ControllerRevision[], current: ControllerRevision): Promise<void> {
    const limit = ds.spec?.revisionHistoryLimit ?? 10;
    if (old.length <= limit) return;
    const liveHashes = new Set<string>();
    for (const pods of (await this.nodePods(ds, true)).values()) {
      for (const p of pods) {
        const h = p.metadata?.labels?.[controllerRevisionHashLabel];
        if (h) liveHashes.add(h);
      }
    }
    const live = new Set([current.metadata.name ?? '']);
    for (const r of old) if (liveHashes.has(r.metadata.labels?.[controllerRevisionHashLabel] ?? '')) live.add(r.metadata.name ?? '');
    for (const r of revisionsToPrune(old, live, limit)) {
      await this.apps.deleteNamespacedControllerRevision({ name: r.metadata.name!, namespace: ds.metadata!.namespace! }).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
    }
  }

  private async writeStatus(ds: V1DaemonSet, counts: V1DaemonSetStatus, observed: boolean): Promise<ReconcileResult> {
    const next: V1DaemonSetStatus = {
      ...ds.status,
      ...counts,
      observedGeneration: observed ? ds.metadata?.generation : ds.status?.observedGeneration,
    };
    if (next.observedGeneration === undefined) delete next.observedGeneration;
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const result = minReady > 0 && next.numberReady !== next.numberAvailable ? { requeueAfterMs: minReady * 1000 } : undefined;
    if (canonicalJson(next) === canonicalJson(ds.status ?? {})) return result;
    const ref = { name: ds.metadata!.name!, namespace: ds.metadata!.namespace! };
    try {
      await this.apps.replaceNamespacedDaemonSetStatus({ ...ref, body: { ...ds, status: next } });
    } catch (e) {
      if (isNotFound(e)) return result;
      if (!isConflict(e)) throw e;
      // the cache is behind: write our counts onto the current object once
      const fresh = await this.apps.readNamespacedDaemonSet(ref);
      await this.apps.replaceNamespacedDaemonSetStatus({
        ...ref,
        body: { ...fresh, status: { ...fresh.status!, ...counts, observedGeneration: next.observedGeneration } },
      });
    }
    return result;
  }
}

export const daemonSetController: ControllerDescriptor = {
  name: NAME,
  async start(ctx) {
    return new DaemonSetController(ctx).run();
  },
};
