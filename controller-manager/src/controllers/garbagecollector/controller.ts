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
import type { Apis, ControllerDeps, Stop } from './context.ts';
import { apiVersionOf, discoverResources, keepFailedGroups, resourceForKind } from './discovery.ts';
import { ResourceMonitors, everyPeriod } from './monitors.ts';
import type { ApiResource } from './discovery.ts';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, OwnerGraph, decideForDependent, hasFinalizer, isDeleting } from './graph.ts';
import type { GraphNode, ObjectIdentity, ObservedObject, OwnerState } from './graph.ts';
import { errorText, isConflict, isNotFound } from '../../lib/api-errors.ts';

export interface GarbageCollectorConfig {
  /** kube-controller-manager --concurrent-gc-syncs */
  concurrentGcSyncs: number;
  /** how often discovery is re-read to watch resources that appeared and stop those that vanished (kube: 30 s) */
  discoverySyncPeriodSeconds: number;
}

export const name = 'garbagecollector';

/** What KubernetesObjectApi needs to address one object. */
type ObjectAddress = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

/**
 * A reference to a kind our discovery does not (yet) know: a CRD created since the last
 * discovery sync, or a bad reference. Kube cannot tell them apart either and retries, never
 * taking the owner for gone: deleting dependents of a kind we merely have not seen would be wrong.
 */
class UnknownKindError extends Error {
  constructor(apiVersion: string, kind: string) {
    super(`no served resource for ${apiVersion}, Kind=${kind} (yet)`);
  }
}

const DISCOVERY_RETRY_MS = 2000;

/** Discovery with failing groups reported by name, so a resync can keep them as they were. */
async function discover(apis: Apis, log: Logger): Promise<{ resources: ApiResource[]; failedGroups: Set<string> }> {
  const failedGroups = new Set<string>();
  const resources = await discoverResources(apis, (groupVersion, err, group) => {
    failedGroups.add(group);
    log.warn('discovery failed for a group, not collecting it', { groupVersion, err: String(err) });
  });
  return { resources, failedGroups };
}

export async function start(ctx: ControllerDeps<GarbageCollectorConfig>): Promise<Stop> {
  const log = loggerFor(ctx, name);
  const apis = apisFor(ctx);
  const syncPeriodMs = (ctx.config?.discoverySyncPeriodSeconds ?? 30) * 1000;
  let stopped = false;
  let stopWorkers: Stop | undefined;
  let stopResync: (() => Promise<void>) | undefined;
  // discovery needs the apiserver; keep trying in the background rather than fail the manager
  const starting = (async () => {
    while (!stopped) {
      try {
        // an aggregated API that is down does not keep the collector from the rest
        const { resources } = await discover(apis, log);
        if (stopped) return;
        const gc = new GarbageCollector(apis.objects, resources, log);
        const informers = new InformerSet(ctx, log);
        const monitors = new ResourceMonitors(
          informers,
          (r) => () => apis.objects.list(apiVersionOf(r), r.kind),
          (informer, r, live) => gc.watch(informer, r, live),
        );
        monitors.sync(resources);
        log.info('watching resources', { count: monitors.size() });
        stopWorkers = runController({
          ...runnerDeps(ctx, informers),
          name,
          log,
          queue: gc.queue,
          workers: ctx.config?.concurrentGcSyncs ?? 20,
          reconcile: (uid) => gc.process(uid),
          isRoutine: (e) => e instanceof UnknownKindError,
          // objects already orphaned or being deleted before we started
          beforeWorkers: () => {
            for (const uid of gc.graph.uids()) gc.queue.add(uid);
          },
        });
        // kube's GarbageCollector.Sync: re-read discovery, start and stop monitors to match
        const resync = async () => {
          try {
            const { resources: fresh, failedGroups } = await discover(apis, log);
            if (stopped) return;
            const current = keepFailedGroups(gc.served(), fresh, failedGroups);
            gc.setServed(current);
            const { added, removed } = monitors.sync(current);
            gc.requeueDependentsOfKinds(added);
            if (added.length || removed.length)
              log.info('discovery changed, monitors synced', {
                added: added.map(resourceName),
                removed: removed.map(resourceName),
                count: monitors.size(),
              });
          } catch (e) {
            // the core group failed: keep everything as it is until the next try
            log.warn('discovery sync failed, keeping the monitors as they are', { err: errorText(e) });
          }
        };
        stopResync = everyPeriod(resync, syncPeriodMs);
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
    await stopResync?.();
    await stopWorkers?.();
  };
}

const resourceName = (r: ApiResource): string => (r.group ? `${r.resource}.${r.group}` : r.resource);

export class GarbageCollector {
  readonly graph = new OwnerGraph();
  readonly queue = new WorkQueue<string>();
  private readonly objects: KubernetesObjectApi;
  /** what discovery last said is served: resolves references' kinds */
  private resources: readonly ApiResource[];
  private readonly log: Logger;

  constructor(objects: KubernetesObjectApi, resources: readonly ApiResource[], log: Logger) {
    this.objects = objects;
    this.resources = resources;
    this.log = log;
  }

  served(): readonly ApiResource[] {
    return this.resources;
  }
  setServed(resources: readonly ApiResource[]): void {
    this.resources = resources;
  }

  /**
   * Dependents of owners whose kind just became known: they were retrying (UnknownKindError)
   * with a growing back-off; they are looked at again now.
   */
  requeueDependentsOfKinds(resources: readonly ApiResource[]): void {
    if (resources.length === 0) return;
    for (const uid of this.graph.uids()) {
      const node = this.graph.get(uid)!;
      if (node.virtual && resourceForKind(resources, node.identity.apiVersion, node.identity.kind)) for (const d of node.dependents) this.queue.add(d);
    }
  }

  /** Feeds one monitor's events into the graph while `live()` (a stopped shared informer may still deliver). */
  watch(informer: Informer<any>, resource: ApiResource, live: () => boolean = () => true): Informer<any> {
    const withType = (o: any): ObservedObject => ({ ...o, apiVersion: apiVersionOf(resource), kind: resource.kind });
    const observed = (o: any) => {
      if (!live()) return;
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
        if (!live()) return;
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
    if (!spec) throw new UnknownKindError(id.apiVersion, id.kind);
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
