// Namespace controller: empties a namespace that is being deleted (every namespaced
// resource the API serves, found through discovery), waits until nothing is left, then
// removes the `kubernetes` finalizer through /finalize so the apiserver deletes it.
import type { CoreV1Api, V1DeleteOptions } from '@kubernetes/client-node';
import { WorkQueue, runController } from '@skiff/common';
import type { Informer, Logger } from '@skiff/common';
import { apisFor, InformerSet, loggerFor, runnerDeps } from '../garbagecollector/context.ts';
import type { Apis, ControllerDeps, Stop } from '../garbagecollector/context.ts';
import { apiVersionOf, discoverResources, hasVerbs } from '../garbagecollector/discovery.ts';
import type { ApiResource } from '../garbagecollector/discovery.ts';
import { isConflict, isNotFound, statusCodeOf } from '../../lib/api-errors.ts';

export interface NamespaceConfig {
  /** kube-controller-manager --concurrent-namespace-syncs */
  concurrentNamespaceSyncs: number;
  /** how long to wait before looking again at a namespace whose content is still going */
  namespaceRecheckMs: number;
}

export const name = 'namespace';
export const KUBERNETES_FINALIZER = 'kubernetes';
const DISCOVERY_TTL_MS = 30_000;

type Namespace = {
  metadata: { name?: string; deletionTimestamp?: any; resourceVersion?: string; [k: string]: any };
  spec?: { finalizers?: string[] };
  status?: any;
  [k: string]: any;
};

export async function start(ctx: ControllerDeps<NamespaceConfig>): Promise<Stop> {
  const log = loggerFor(ctx, name);
  const apis = apisFor(ctx);
  const informers = new InformerSet(ctx, log);
  const namespaces = informers.on<Namespace>('/api/v1/namespaces', () => apis.core.listNamespace());
  const queue = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: 10_000 });
  const enqueue = (ns: Namespace) => {
    if (ns.metadata.deletionTimestamp) queue.add(ns.metadata.name!);
  };
  namespaces.on({ add: enqueue, update: enqueue });
  const deleter = new NamespaceContentDeleter(apis, log);
  const recheckMs = ctx.config?.namespaceRecheckMs ?? 1000;
  return runController({
    ...runnerDeps(ctx, informers),
    name,
    log,
    queue,
    workers: ctx.config?.concurrentNamespaceSyncs ?? 5,
    reconcile: async (nsName) => {
      const left = await syncNamespace(apis.core, deleter, namespaces, nsName);
      return left > 0 ? { requeueAfterMs: recheckMs } : undefined;
    },
  });
}

/** Returns how many objects are still in the namespace (0 once it is finalized). */
export async function syncNamespace(core: CoreV1Api, deleter: NamespaceContentDeleter, namespaces: Informer<Namespace>, nsName: string): Promise<number> {
  const cached = namespaces.get(nsName);
  if (!cached?.metadata.deletionTimestamp) return 0;
  // the cache may be behind a previous /finalize; the live object decides
  const ns = await core.readNamespace({ name: nsName }).catch((e) => {
    if (isNotFound(e)) return undefined;
    throw e;
  });
  if (!ns?.metadata?.deletionTimestamp || !(ns.spec?.finalizers ?? []).includes(KUBERNETES_FINALIZER)) {
    deleter.forget(nsName);
    return 0;
  }
  const left = await deleter.deleteAll(nsName);
  if (left > 0) return left;
  const finalized = { ...ns, spec: { ...ns.spec, finalizers: (ns.spec?.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER) } };
  try {
    await core.replaceNamespaceFinalize({ name: nsName, body: finalized });
  } catch (e) {
    if (isNotFound(e)) return 0;
    throw e; // a conflict retries with the fresh object
  }
  return 0;
}

const resourceKey = (r: ApiResource): string => `${r.group}/${r.resource}`;

/** DeleteOptions as kubectl sends them (kind and apiVersion included). */
const deleteOptions = (o: V1DeleteOptions): V1DeleteOptions => ({ apiVersion: 'v1', kind: 'DeleteOptions', ...o });

type CollectionDelete = (core: CoreV1Api, p: { namespace: string; body: V1DeleteOptions }) => Promise<unknown>;

/**
 * deletecollection of the core group's namespaced resources: client-node has it per kind
 * only (CustomObjectsApi covers named groups, not /api/v1).
 */
const coreCollectionDeletes: Record<string, CollectionDelete> = {
  configmaps: (c, p) => c.deleteCollectionNamespacedConfigMap(p),
  endpoints: (c, p) => c.deleteCollectionNamespacedEndpoints(p),
  events: (c, p) => c.deleteCollectionNamespacedEvent(p),
  limitranges: (c, p) => c.deleteCollectionNamespacedLimitRange(p),
  persistentvolumeclaims: (c, p) => c.deleteCollectionNamespacedPersistentVolumeClaim(p),
  pods: (c, p) => c.deleteCollectionNamespacedPod(p),
  podtemplates: (c, p) => c.deleteCollectionNamespacedPodTemplate(p),
  replicationcontrollers: (c, p) => c.deleteCollectionNamespacedReplicationController(p),
  resourcequotas: (c, p) => c.deleteCollectionNamespacedResourceQuota(p),
  secrets: (c, p) => c.deleteCollectionNamespacedSecret(p),
  serviceaccounts: (c, p) => c.deleteCollectionNamespacedServiceAccount(p),
  services: (c, p) => c.deleteCollectionNamespacedService(p),
};

export class NamespaceContentDeleter {
  private readonly apis: Apis;
  private readonly log: Logger;
  private resources?: { at: number; list: ApiResource[] };
  /**
   * Per namespace, the resources that still held objects after its last pass. A namespace
   * whose pods take their grace period to go is looked at every second; asking all forty-odd
   * resources each time (a deletecollection and a list each) made namespace deletion one of
   * the apiserver's heaviest loads. Later passes ask only these, and one full pass confirms
   * the namespace is empty before it is finalized.
   */
  private readonly pending = new Map<string, Set<string>>();

  constructor(apis: Apis, log: Logger) {
    this.apis = apis;
    this.log = log;
  }

  /**
   * Asks for the deletion of everything in the namespace; returns how many objects remain.
   * Throws, after deleting what it could, when a group's discovery failed (an aggregated API
   * that is down): it may hold objects of the namespace, so the namespace is not finalized yet.
   */
  async deleteAll(namespace: string): Promise<number> {
    const known = this.pending.get(namespace);
    if (known) {
      const left = await this.pass(namespace, (r) => known.has(resourceKey(r)));
      if (left > 0) return left;
    }
    return this.pass(namespace, () => true);
  }

  /** The namespace is gone or no longer being deleted. */
  forget(namespace: string): void {
    this.pending.delete(namespace);
  }

  private async pass(namespace: string, wanted: (r: ApiResource) => boolean): Promise<number> {
    let remaining = 0;
    const holding = new Set<string>();
    const failed: string[] = [];
    const resources = (await this.namespacedResources(failed)).filter(wanted);
    for (const r of resources) {
      if (hasVerbs(r, 'deletecollection')) {
        try {
          await this.deleteCollection(r, namespace);
        } catch (e) {
          const code = statusCodeOf(e);
          if (code !== 405 && code !== 404) throw e;
        }
      }
      const apiVersion = apiVersionOf(r);
      const left = await this.apis.objects.list(apiVersion, r.kind, namespace);
      for (const item of left.items ?? []) {
        if (item.metadata?.deletionTimestamp) continue;
        await this.apis.objects
          .delete(
            { apiVersion, kind: r.kind, metadata: { name: item.metadata!.name!, namespace } },
            undefined,
            undefined,
            undefined,
            undefined,
            undefined,
            deleteOptions({ propagationPolicy: 'Background', preconditions: { uid: item.metadata!.uid! } }),
          )
          .catch((e) => {
            if (!isNotFound(e) && !isConflict(e)) throw e;
          });
      }
      if ((left.items ?? []).length > 0) this.log.debug('namespace content remaining', { namespace, resource: r.resource, count: left.items!.length });
      remaining += (left.items ?? []).length;
      if ((left.items ?? []).length > 0) holding.add(resourceKey(r));
    }
    if (holding.size > 0) this.pending.set(namespace, holding);
    else this.pending.delete(namespace);
    if (failed.length) throw new Error(`Discovery failed for some groups, ${failed.length} failing: ${failed.join(', ')}`);
    return remaining;
  }

  /** One deletecollection; a core resource client-node has no call for is left to the per-item deletes. */
  private async deleteCollection(r: ApiResource, namespace: string): Promise<void> {
    const body = deleteOptions({ propagationPolicy: 'Background' });
    if (r.group) {
      await this.apis.customObjects.deleteCollectionNamespacedCustomObject({ group: r.group, version: r.version, namespace, plural: r.resource, body });
      return;
    }
    await coreCollectionDeletes[r.resource]?.(this.apis.core, { namespace, body });
  }

  /** `failed` receives the group versions whose discovery failed; a partial answer is not kept. */
  private async namespacedResources(failed: string[]): Promise<ApiResource[]> {
    if (!this.resources || Date.now() - this.resources.at > DISCOVERY_TTL_MS) {
      const all = await discoverResources(this.apis, (groupVersion) => failed.push(groupVersion));
      // events.k8s.io and core events share storage: deleting one empties both, listing either counts them
      const list = all.filter((r) => r.namespaced && hasVerbs(r, 'list', 'delete') && !(r.group === 'events.k8s.io'));
      if (failed.length) return list;
      this.resources = { at: Date.now(), list };
    }
    return this.resources.list;
  }
}
