// Namespace controller: empties a namespace that is being deleted (every namespaced
// resource the API serves, found through discovery), waits until nothing is left, then
// removes the `kubernetes` finalizer through /finalize so the apiserver deletes it.
import { WorkQueue } from '@skiff/common';
import type { Informer, Logger } from '@skiff/common';
import { InformerSet, loggerFor, restClientFor, runQueueController } from '../garbagecollector/context.ts';
import type { ControllerDeps, Stop } from '../garbagecollector/context.ts';
import { discoverResources, hasVerbs } from '../garbagecollector/discovery.ts';
import type { ApiResource } from '../garbagecollector/discovery.ts';
import { ApiStatusError, isConflict, isNotFound, resourcePath } from '../garbagecollector/rest.ts';
import type { RestClient } from '../garbagecollector/rest.ts';

export interface NamespaceConfig {
  /** kube-controller-manager --concurrent-namespace-syncs */
  concurrentNamespaceSyncs: number;
  /** how long to wait before looking again at a namespace whose content is still going */
  namespaceRecheckMs: number;
}

export const name = 'namespace';
export const KUBERNETES_FINALIZER = 'kubernetes';
const DISCOVERY_TTL_MS = 30_000;

type Namespace = { metadata: { name?: string; deletionTimestamp?: any; resourceVersion?: string; [k: string]: any }; spec?: { finalizers?: string[] }; status?: any; [k: string]: any };

export async function start(ctx: ControllerDeps<NamespaceConfig>): Promise<Stop> {
  const log = loggerFor(ctx, name);
  const rest = restClientFor(ctx);
  const informers = new InformerSet(ctx, log);
  const namespaces = informers.on<Namespace>('/api/v1/namespaces');
  const queue = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: 10_000 });
  const enqueue = (ns: Namespace) => { if (ns.metadata.deletionTimestamp) queue.add(ns.metadata.name!); };
  namespaces.on({ add: enqueue, update: enqueue });
  const deleter = new NamespaceContentDeleter(rest, log);
  const recheckMs = ctx.config?.namespaceRecheckMs ?? 1000;
  return runQueueController(ctx, {
    name, log, queue, informers, workers: ctx.config?.concurrentNamespaceSyncs ?? 5,
    reconcile: async (nsName) => {
      const left = await syncNamespace(rest, deleter, namespaces, nsName);
      return left > 0 ? { requeueAfterMs: recheckMs } : undefined;
    },
  });
}

/** Returns how many objects are still in the namespace (0 once it is finalized). */
export async function syncNamespace(rest: RestClient, deleter: NamespaceContentDeleter, namespaces: Informer<Namespace>, nsName: string): Promise<number> {
  const cached = namespaces.get(nsName);
  if (!cached?.metadata.deletionTimestamp) return 0;
  // the cache may be behind a previous /finalize; the live object decides
  const ns = await rest.getIfExists<Namespace>(resourcePath({ group: '', version: 'v1', resource: 'namespaces', name: nsName }));
  if (!ns?.metadata.deletionTimestamp || !(ns.spec?.finalizers ?? []).includes(KUBERNETES_FINALIZER)) return 0;
  const left = await deleter.deleteAll(nsName);
  if (left > 0) return left;
  const finalized = { ...ns, spec: { ...ns.spec, finalizers: (ns.spec?.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER) } };
  try {
    await rest.update(resourcePath({ group: '', version: 'v1', resource: 'namespaces', name: nsName, subresource: 'finalize' }), finalized);
  } catch (e) {
    if (isNotFound(e)) return 0;
    throw e; // a conflict retries with the fresh object
  }
  return 0;
}

export class NamespaceContentDeleter {
  private readonly rest: RestClient;
  private readonly log: Logger;
  private resources?: { at: number; list: ApiResource[] };

  constructor(rest: RestClient, log: Logger) {
    this.rest = rest;
    this.log = log;
  }

  /** Asks for the deletion of everything in the namespace; returns how many objects remain. */
  async deleteAll(namespace: string): Promise<number> {
    let remaining = 0;
    for (const r of await this.namespacedResources()) {
      const collection = resourcePath({ ...r, namespace });
      if (hasVerbs(r, 'deletecollection')) {
        try {
          await this.rest.delete(collection, { propagationPolicy: 'Background' });
        } catch (e) {
          if (!(e instanceof ApiStatusError && (e.code === 405 || e.code === 404))) throw e;
        }
      }
      const left = await this.rest.get<{ items?: any[] }>(collection);
      for (const item of left.items ?? []) {
        if (item.metadata?.deletionTimestamp) continue;
        await this.rest.delete(`${collection}/${encodeURIComponent(item.metadata.name)}`, { propagationPolicy: 'Background', preconditions: { uid: item.metadata.uid } })
          .catch((e) => { if (!isNotFound(e) && !isConflict(e)) throw e; });
      }
      if ((left.items ?? []).length > 0) this.log.debug('namespace content remaining', { namespace, resource: r.resource, count: left.items!.length });
      remaining += (left.items ?? []).length;
    }
    return remaining;
  }

  private async namespacedResources(): Promise<ApiResource[]> {
    if (!this.resources || Date.now() - this.resources.at > DISCOVERY_TTL_MS) {
      const all = await discoverResources(this.rest);
      // events.k8s.io and core events share storage: deleting one empties both, listing either counts them
      this.resources = { at: Date.now(), list: all.filter((r) => r.namespaced && hasVerbs(r, 'list', 'delete') && !(r.group === 'events.k8s.io')) };
    }
    return this.resources.list;
  }
}
