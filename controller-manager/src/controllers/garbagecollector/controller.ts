// Garbage collector: watches every resource that can be listed, watched and deleted,
// keeps the ownerReference graph, and
//  - deletes objects whose owners are all gone (background cascading),
//  - for an owner deleted in foreground (foregroundDeletion finalizer), deletes its
//    dependents and drops the finalizer once no blocking dependent remains,
//  - for an owner deleted with orphan (orphan finalizer), strips the references to it
//    from its dependents, then drops the finalizer.
import { PatchStrategy } from '@kubernetes/client-node';
import type { KubernetesObjectApi } from '@kubernetes/client-node';
import { WorkQueue, runController } from '@skiff/common';
import type { Informer, Logger } from '@skiff/common';
import { apisFor, InformerSet, loggerFor, runnerDeps } from './context.ts';
import type { ControllerDeps, Stop } from './context.ts';
import { apiVersionOf, collectionPath, discoverResources, hasVerbs, resourceForKind } from './discovery.ts';
import type { ApiResource } from './discovery.ts';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, OwnerGraph, decideForDependent, hasFinalizer, isDeleting } from './graph.ts';
import type { GraphNode, ObjectIdentity, ObservedObject, OwnerState } from './graph.ts';
import { errorText, isConflict, isNotFound } from '../../lib/api-errors.ts';

export interface GarbageCollectorConfig {
  /** kube-controller-manager --concurrent-gc-syncs */
  concurrentGcSyncs: number;
}

export const name = 'garbagecollector';

/** What KubernetesObjectApi needs to address one object. */
type ObjectAddress = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

/** Events come in great numbers and own nothing; Kubernetes skips them too. */
const IGNORED = new Set(['events', 'events.events.k8s.io']);
const DISCOVERY_RETRY_MS = 2000;

export async function start(ctx: ControllerDeps<GarbageCollectorConfig>): Promise<Stop> {
  const log = loggerFor(ctx, name);
  const apis = apisFor(ctx);
  let stopped = false;
  let stopWorkers: Stop | undefined;
  // discovery needs the apiserver; keep trying in the background rather than fail the manager
  const starting = (async () => {
    while (!stopped) {
      try {
        // an aggregated API that is down does not keep the collector from the rest
        const resources = await discoverResources(apis, (groupVersion, err) =>
          log.warn('discovery failed for a group, not collecting it', { groupVersion, err: String(err) }),
        );
        if (stopped) return;
        const gc = new GarbageCollector(apis.objects, resources, log);
        const informers = new InformerSet(ctx, log);
        const watched = resources.filter((r) => hasVerbs(r, 'list', 'watch', 'delete') && !IGNORED.has(r.group ? `${r.resource}.${r.group}` : r.resource));
        for (const r of watched)
          gc.watch(
            informers.on<any>(collectionPath(r), () => apis.objects.list(apiVersionOf(r), r.kind)),
            r,
          );
        log.info('watching resources', { count: watched.length });
        stopWorkers = runController({
          ...runnerDeps(ctx, informers),
          name,
          log,
          queue: gc.queue,
          workers: ctx.config?.concurrentGcSyncs ?? 20,
          reconcile: (uid) => gc.process(uid),
          // objects already orphaned or being deleted before we started
          beforeWorkers: () => {
            for (const uid of gc.graph.uids()) gc.queue.add(uid);
          },
        });
        return;
      } catch (e) {
        log.warn('discovery failed, retrying', { err: errorText(e) });
        await new Promise((r) => setTimeout(r, DISCOVERY_RETRY_MS));
      }
    }
  })();
  return async () => {
    stopped = true;
    await starting;
    await stopWorkers?.();
  };
}

export class GarbageCollector {
  readonly graph = new OwnerGraph();
  readonly queue = new WorkQueue<string>();
  private readonly objects: KubernetesObjectApi;
  private readonly resources: readonly ApiResource[];
  private readonly log: Logger;

  constructor(objects: KubernetesObjectApi, resources: readonly ApiResource[], log: Logger) {
    this.objects = objects;
    this.resources = resources;
    this.log = log;
  }

  watch(informer: Informer<any>, resource: ApiResource): Informer<any> {
    const withType = (o: any): ObservedObject => ({ ...o, apiVersion: apiVersionOf(resource), kind: resource.kind });
    const observed = (o: any) => {
      const obj = withType(o);
      const { ownersChanged } = this.graph.observe(obj);
      const node = this.graph.get(obj.metadata.uid!)!;
      if (ownersChanged || isDeleting(node)) this.queue.add(node.identity.uid);
      // an owner waiting for us (foreground) must re-check once we are deleting too
      for (const o of node.owners) if (this.graph.get(o.uid)?.deletionTimestamp) this.queue.add(o.uid);
    };
    informer.on({
      add: observed,
      update: observed,
      delete: (o: any) => {
        const gone = this.graph.remove(o.metadata.uid);
        if (!gone) return;
        for (const d of gone.dependents) this.queue.add(d);
        for (const owner of gone.owners) this.queue.add(owner.uid);
      },
    });
    return informer;
  }

  async process(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (!node) return;
    if (node.virtual) return this.verifyVirtual(node);
    if (isDeleting(node)) {
      if (hasFinalizer(node, ORPHAN_FINALIZER)) return this.orphanDependents(node);
      if (hasFinalizer(node, FOREGROUND_FINALIZER)) return this.deleteDependentsFirst(node);
      return;
    }
    const states = new Map<string, OwnerState>();
    for (const ref of node.owners) states.set(ref.uid, await this.ownerState(ref, node.identity.namespace));
    const decision = decideForDependent(node, states, this.graph.dependents(uid).length > 0);
    if (decision.action === 'removeOwnerRefs') await this.removeOwnerRefs(node, decision.uids);
    else if (decision.action === 'delete') {
      this.log.info('deleting object whose owners are gone', {
        kind: node.identity.kind,
        namespace: node.identity.namespace,
        name: node.identity.name,
        policy: decision.propagationPolicy,
      });
      await this.deleteObject(node.identity, decision.propagationPolicy);
    }
  }

  /** An owner seen only in references: if the API does not have it either, its dependents go. */
  private async verifyVirtual(node: GraphNode): Promise<void> {
    const live = await this.getLive(node.identity);
    if (live && live.metadata?.uid === node.identity.uid) return;
    for (const d of node.dependents) this.queue.add(d);
  }

  private async ownerState(ref: { apiVersion: string; kind: string; name: string; uid: string }, dependentNamespace: string | undefined): Promise<OwnerState> {
    const known = this.graph.get(ref.uid);
    let deleting = false;
    let finalizers: string[] = [];
    if (known && !known.virtual) {
      deleting = isDeleting(known);
      finalizers = known.finalizers;
    } else {
      // not in our caches (yet): only the API can tell absent from not-yet-seen
      const live = await this.getLive({ ...ref, ...(dependentNamespace ? { namespace: dependentNamespace } : {}) });
      if (!live || live.metadata?.uid !== ref.uid) return 'dangling';
      deleting = !!live.metadata.deletionTimestamp;
      finalizers = live.metadata.finalizers ?? [];
    }
    return deleting && finalizers.includes(FOREGROUND_FINALIZER) ? 'waitingForDependentsDeletion' : 'solid';
  }

  /**
   * The object as KubernetesObjectApi addresses it: the served version of the reference's
   * group and kind (a fresh object each time: the client fills in a missing namespace).
   */
  private specOf(id: ObjectIdentity): ObjectAddress | undefined {
    const r = resourceForKind(this.resources, id.apiVersion, id.kind);
    if (!r) return undefined;
    return { apiVersion: apiVersionOf(r), kind: r.kind, metadata: { name: id.name, ...(r.namespaced && id.namespace ? { namespace: id.namespace } : {}) } };
  }

  private async getLive(id: ObjectIdentity): Promise<any | undefined> {
    const spec = this.specOf(id);
    // a kind the API does not serve cannot exist
    if (!spec) return undefined;
    try {
      return await this.objects.read<any>(spec);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** A merge patch; resourceVersion in it makes it a compare-and-swap. */
  private async mergePatch(id: ObjectIdentity, metadata: Record<string, unknown>): Promise<void> {
    const spec = this.specOf(id);
    if (!spec) return;
    await this.objects.patch({ ...spec, metadata: { ...spec.metadata, ...metadata } }, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);
  }

  private async deleteObject(id: ObjectIdentity, propagationPolicy: string): Promise<void> {
    const spec = this.specOf(id);
    if (!spec) return;
    try {
      await this.objects.delete(spec, undefined, undefined, undefined, undefined, undefined, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy,
        preconditions: { uid: id.uid },
      });
    } catch (e) {
      // gone already, or replaced by a new object of the same name: nothing of ours to delete
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  private async removeOwnerRefs(node: GraphNode, ownerUids: readonly string[]): Promise<void> {
    const live = await this.getLive(node.identity);
    if (!live || live.metadata.uid !== node.identity.uid) return;
    const refs = (live.metadata.ownerReferences ?? []) as { uid: string }[];
    const kept = refs.filter((r) => !ownerUids.includes(r.uid));
    if (kept.length === refs.length) return;
    // resourceVersion makes this a compare-and-swap: a concurrent owner change means retry
    await this.mergePatch(node.identity, { ownerReferences: kept, resourceVersion: live.metadata.resourceVersion });
  }

  private async orphanDependents(owner: GraphNode): Promise<void> {
    for (const d of this.graph.dependents(owner.identity.uid)) await this.removeOwnerRefs(d, [owner.identity.uid]);
    await this.removeFinalizer(owner, ORPHAN_FINALIZER);
  }

  private async deleteDependentsFirst(owner: GraphNode): Promise<void> {
    const uid = owner.identity.uid;
    for (const d of this.graph.dependents(uid)) {
      if (isDeleting(d)) continue;
      // a dependent that has dependents of its own goes in foreground too, so the chain unwinds bottom-up
      const policy = this.graph.dependents(d.identity.uid).length > 0 ? 'Foreground' : 'Background';
      await this.deleteObject(d.identity, policy);
    }
    if (this.graph.blockingDependents(uid).length === 0) await this.removeFinalizer(owner, FOREGROUND_FINALIZER);
  }

  private async removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    const live = await this.getLive(node.identity);
    if (!live || live.metadata.uid !== node.identity.uid) return;
    const finalizers = (live.metadata.finalizers ?? []) as string[];
    if (!finalizers.includes(finalizer)) return;
    await this.mergePatch(node.identity, { finalizers: finalizers.filter((f) => f !== finalizer), resourceVersion: live.metadata.resourceVersion });
  }
}
