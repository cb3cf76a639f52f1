// The controllers apiextensions-apiserver runs beside its handlers, in one loop over CRDs:
// - naming: a CRD's names are accepted unless another CRD of the group already serves one of
//   them (NamesAccepted, status.acceptedNames); accepted names make it Established;
// - serving: an Established CRD's versions are put into the ApiRegistry at once (discovery and
//   OpenAPI follow the registry), and taken out when it goes;
// - finalizer: a CRD being deleted first loses every custom resource (Terminating condition),
//   then its customresourcecleanup finalizer, and the store lets it go.
// It watches the CRDs through the store, as the in-process informers of kube-apiserver do.
import { createLogger, type Logger } from '@skiff/common/log';
import { setStatusCondition, type Condition } from '@skiff/common/apimachinery/conditions';
import { runController, type StopController } from '@skiff/common/controller/runner';
import { WorkQueue } from '@skiff/common/workqueue';
import { ApiError } from '../errors.ts';
import type { ApiRegistry } from '../registry/api-registry.ts';
import { customResourceCleanupFinalizer } from '../registry/resources/customresourcedefinitions.ts';
import type { Store, UserInfo } from '../registry/store.ts';
import type { KObject } from '../registry/types.ts';
import { WatchedObjects } from '../registry/watched-objects.ts';
import { customResourceDefs } from './custom-resources.ts';

const system: UserInfo = { name: 'system:apiserver', groups: ['system:masters'] };
const nameFields = ['plural', 'singular', 'kind', 'listKind'] as const;

interface Served {
  group: string;
  resource: string;
  /** what the defs were built from: rebuilt only when it changes */
  signature: string;
}

/**
 * The first name `crd` asks for that another CRD of its group has already accepted, or that a
 * built-in resource of the group serves (the built-in one would win every request).
 */
function nameConflict(crd: KObject, others: KObject[], registry: ApiRegistry): { reason: string; message: string } | undefined {
  const names = crd.spec.names ?? {};
  if (registry.isBuiltin(crd.spec.group, names.plural)) return { reason: 'PluralConflict', message: `"${names.plural}" is already in use` };
  for (const other of others) {
    if (other.metadata.name === crd.metadata.name || other.spec?.group !== crd.spec.group) continue;
    const taken = other.status?.acceptedNames ?? {};
    const takenAll = new Set<string>([...nameFields.map((f) => taken[f]), ...(taken.shortNames ?? [])].filter(Boolean));
    if (takenAll.has(names.plural)) return { reason: 'PluralConflict', message: `"${names.plural}" is already in use` };
    if (takenAll.has(names.singular)) return { reason: 'SingularConflict', message: `"${names.singular}" is already in use` };
    for (const s of names.shortNames ?? []) if (takenAll.has(s)) return { reason: 'ShortNamesConflict', message: `"${s}" is already in use` };
    if (takenAll.has(names.kind)) return { reason: 'KindConflict', message: `"${names.kind}" is already in use` };
    if (takenAll.has(names.listKind)) return { reason: 'ListKindConflict', message: `"${names.listKind}" is already in use` };
  }
  return undefined;
}

const isTrue = (crd: KObject, type: string) =>
  (crd.status?.conditions as Condition[] | undefined)?.some((c) => c.type === type && c.status === 'True') ?? false;

export class CrdController {
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: 10_000 });
  private readonly served = new Map<string, Served>();
  private readonly log: Logger;
  private watched?: WatchedObjects;
  /** true while the first list is read: what is Established then is served before the apiserver is ready */
  private listing = false;
  private stopWorkers?: StopController;
  private listed!: Promise<void>;
  private readonly registry: ApiRegistry;

  constructor(registry: ApiRegistry, log?: Logger) {
    this.registry = registry;
    this.log = log ?? createLogger('crd-controller');
  }

  private get crds(): Store {
    return this.registry.store('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  }

  start(): void {
    this.listed = this.listAndWatch();
    this.stopWorkers = runController({
      name: 'crd',
      log: this.log,
      queue: this.queue,
      workers: 1,
      reconcile: (name) => this.reconcile(name),
      caches: [{ waitForSync: () => this.listed }],
      isRoutine: (e) => e instanceof ApiError && e.code === 409,
    });
  }

  async stop(): Promise<void> {
    this.watched?.stop();
    await this.stopWorkers?.();
  }

  /**
   * Resolves once every CRD stored now is queued (the cache is "synced"), the Established ones
   * already served, so that a restarted apiserver answers for them as soon as it is ready.
   */
  synced(): Promise<void> {
    return this.listed;
  }

  private async listAndWatch(): Promise<void> {
    this.watched = new WatchedObjects(this.crds, (type, crd) => this.saw(type, crd), this.log);
    this.listing = true;
    try {
      await this.watched.start();
    } finally {
      this.listing = false;
    }
  }

  private saw(type: 'ADDED' | 'MODIFIED' | 'DELETED', crd: KObject): void {
    if (this.listing && type !== 'DELETED' && isTrue(crd, 'Established') && !crd.metadata.deletionTimestamp) this.serve(crd, false);
    this.queue.add(crd.metadata.name!);
    // a CRD that goes frees its names for the others of its group
    if (type === 'DELETED') this.requeueGroup(crd.spec?.group, crd.metadata.name!);
  }

  private requeueGroup(group: string | undefined, except: string): void {
    for (const crd of this.watched?.objects.values() ?? []) {
      if (crd.spec?.group === group && crd.metadata.name !== except) this.queue.add(crd.metadata.name!);
    }
  }

  private async reconcile(name: string) {
    let crd: KObject;
    try {
      crd = await this.crds.get(undefined, name);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) {
        this.unserve(name);
        return;
      }
      throw e;
    }
    if (crd.metadata.deletionTimestamp) return this.finalize(crd);
    const all = (await this.crds.list(undefined, {})).items;
    const status = structuredClone(crd.status ?? {});
    const conditions: Condition[] = (status.conditions ??= []);
    const conflict = nameConflict(crd, all, this.registry);
    if (conflict) {
      setStatusCondition(conditions, { type: 'NamesAccepted', status: 'False', ...conflict });
      if (!isTrue(crd, 'Established'))
        setStatusCondition(conditions, { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' });
    } else {
      status.acceptedNames = structuredClone(crd.spec.names);
      setStatusCondition(conditions, { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' });
      setStatusCondition(conditions, { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' });
    }
    if (JSON.stringify(status) !== JSON.stringify(crd.status ?? {})) {
      crd = await this.crds.modify(undefined, name, (cur) => ({ ...cur, status }), {
        user: system,
        subresource: 'status',
        expectedResourceVersion: crd.metadata.resourceVersion,
      });
    }
    if (isTrue(crd, 'Established')) this.serve(crd, false);
    // names this CRD gave up may be what another one of the group waits for
    for (const other of all)
      if (other.spec?.group === crd.spec.group && other.metadata.name !== name && !isTrue(other, 'NamesAccepted')) this.queue.add(other.metadata.name!);
  }

  private serve(crd: KObject, terminating: boolean): void {
    const name = crd.metadata.name!;
    const signature = JSON.stringify([crd.metadata.uid, crd.spec, crd.status?.acceptedNames, terminating]);
    const before = this.served.get(name);
    if (before?.signature === signature) return;
    const defs = customResourceDefs(crd, { terminating });
    const resource = crd.status.acceptedNames.plural as string;
    if (before && before.resource !== resource) this.registry.remove(before);
    this.registry.replace({ group: crd.spec.group, resource }, defs);
    this.served.set(name, { group: crd.spec.group, resource, signature });
    this.log.info('serving custom resources', { crd: name, versions: defs.map((d) => d.version), terminating });
  }

  private unserve(name: string): void {
    const before = this.served.get(name);
    if (!before) return;
    this.registry.remove(before);
    this.served.delete(name);
    this.log.info('stopped serving custom resources', { crd: name });
  }

  /** Deletes every custom resource, then lets the CRD go; comes back while some remain. */
  private async finalize(crd: KObject) {
    const name = crd.metadata.name!;
    if (!crd.metadata.finalizers?.includes(customResourceCleanupFinalizer)) {
      this.unserve(name);
      return;
    }
    if (crd.status?.acceptedNames?.plural) this.serve(crd, true);
    const served = this.served.get(name);
    const store = served && this.registry.defs.find((d) => d.group === served.group && d.resource === served.resource);
    const crStore = store && this.registry.store(store.group, store.version, store.resource);
    let remaining = 0;
    if (crStore) {
      crd = await this.setTerminating(crd, 'InstanceDeletionInProgress', 'CustomResource deletion is in progress');
      const items = (await crStore.list(undefined, {})).items;
      for (const item of items) {
        if (item.metadata.deletionTimestamp) continue;
        try {
          await crStore.delete(item.metadata.namespace, item.metadata.name!, {}, { user: system });
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 404)) throw e;
        }
      }
      remaining = (await crStore.list(undefined, {})).items.length;
    }
    if (remaining > 0) {
      await this.setTerminating(crd, 'InstanceDeletionCheck', `could not confirm zero CustomResources remaining: ${remaining} remaining`);
      return { requeueAfterMs: 1000 };
    }
    this.unserve(name);
    await this.crds.modify(
      undefined,
      name,
      (cur) => {
        cur.metadata.finalizers = (cur.metadata.finalizers ?? []).filter((f: string) => f !== customResourceCleanupFinalizer);
        return cur;
      },
      { user: system },
    );
    return undefined;
  }

  private async setTerminating(crd: KObject, reason: string, message: string): Promise<KObject> {
    const status = structuredClone(crd.status ?? {});
    if (!setStatusCondition((status.conditions ??= []), { type: 'Terminating', status: 'True', reason, message })) return crd;
    return this.crds.modify(undefined, crd.metadata.name!, (cur) => ({ ...cur, status }), { user: system, subresource: 'status' });
  }
}
