// kube's crdRegistrationController: every group/version a CRD serves gets a Local APIService
// (group priority 1000, version priority 100, labelled kube-aggregator.kubernetes.io/automanaged=true,
// kept in step continuously), removed once no CRD serves that group/version any more. It watches
// the CRDs through the store, as the CRD controller does.
import { createLogger, type Logger } from '@skiff/common/log';
import { runController, type StopController } from '@skiff/common/controller/runner';
import { WorkQueue } from '@skiff/common/workqueue';
import { ApiError } from '../errors.ts';
import type { ApiRegistry } from '../registry/api-registry.ts';
import { apiServiceName } from '../registry/resources/apiservices.ts';
import type { Store, UserInfo } from '../registry/store.ts';
import type { KObject } from '../registry/types.ts';
import { WatchedObjects } from '../registry/watched-objects.ts';
import { AUTOMANAGED_LABEL, localApiService } from './local-apiservices.ts';

const system: UserInfo = { name: 'system:apiserver', groups: ['system:masters'] };
/** CRDs sort below every built-in group; within a group, by kube-like version name */
const CRD_PRIORITY: [number, number] = [1000, 100];

interface GroupVersion {
  group: string;
  version: string;
}

/** The group/versions a CRD names, served or not (a version turned off must be looked at too). */
function groupVersionsOf(crd: KObject): GroupVersion[] {
  const group = crd.spec?.group as string | undefined;
  if (!group) return [];
  return ((crd.spec.versions ?? []) as { name: string }[]).map((v) => ({ group, version: v.name }));
}

const serves = (crd: KObject, gv: GroupVersion): boolean =>
  crd.spec?.group === gv.group && ((crd.spec.versions ?? []) as { name: string; served?: boolean }[]).some((v) => v.name === gv.version && v.served);

export class CrdApiServiceRegistration {
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: 10_000 });
  private readonly registry: ApiRegistry;
  private readonly log: Logger;
  /** CRD name → the group/versions it named when last seen, so a version dropped from it is rechecked */
  private readonly named = new Map<string, GroupVersion[]>();
  private crds?: WatchedObjects;
  private stopWorkers?: StopController;
  private listed!: Promise<void>;

  constructor(registry: ApiRegistry, log?: Logger) {
    this.registry = registry;
    this.log = log ?? createLogger('crd-apiservices');
  }

  private store(group: string, resource: string): Store {
    return this.registry.store(group, 'v1', resource)!;
  }

  start(): void {
    this.listed = this.listAndWatch();
    this.stopWorkers = runController({
      name: 'crd-apiservices',
      log: this.log,
      queue: this.queue,
      workers: 1,
      reconcile: (key) => this.reconcile(key),
      caches: [{ waitForSync: () => this.listed }],
      isRoutine: (e) => e instanceof ApiError && e.code === 409,
    });
  }

  async stop(): Promise<void> {
    this.crds?.stop();
    await this.stopWorkers?.();
  }

  private saw(crd: KObject, deleted: boolean): void {
    const name = crd.metadata.name!;
    const now = groupVersionsOf(crd);
    for (const gv of [...(this.named.get(name) ?? []), ...now]) this.queue.add(`${gv.group}/${gv.version}`);
    if (deleted) this.named.delete(name);
    else this.named.set(name, now);
  }

  private async listAndWatch(): Promise<void> {
    this.crds = new WatchedObjects(this.store('apiextensions.k8s.io', 'customresourcedefinitions'), (type, crd) => this.saw(crd, type === 'DELETED'), this.log);
    await this.crds.start();
    // automanaged ones left from CRDs deleted while we were down
    const apiServices = await this.store('apiregistration.k8s.io', 'apiservices').list(undefined, {});
    for (const a of apiServices.items) if (a.metadata.labels?.[AUTOMANAGED_LABEL] === 'true') this.queue.add(`${a.spec?.group}/${a.spec?.version}`);
  }

  private async reconcile(key: string): Promise<void> {
    const slash = key.lastIndexOf('/');
    const gv = { group: key.slice(0, slash), version: key.slice(slash + 1) };
    const name = apiServiceName(gv.group, gv.version);
    const apiServices = this.store('apiregistration.k8s.io', 'apiservices');
    const crds = (await this.store('apiextensions.k8s.io', 'customresourcedefinitions').list(undefined, {})).items;
    let current: KObject | undefined;
    try {
      current = await apiServices.get(undefined, name);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
    if (!crds.some((crd) => serves(crd, gv))) {
      // only what we made goes: a user's APIService (or a built-in group's) is not ours to remove
      if (!current) return;
      if (current.metadata.labels?.[AUTOMANAGED_LABEL] !== 'true') return;
      await apiServices.delete(undefined, name, { preconditions: { uid: current.metadata.uid } }, { user: system }).catch((e: unknown) => {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      });
      this.log.info('removed the APIService of a group/version no CRD serves', { apiService: name });
      return;
    }
    const wanted = localApiService(gv.group, gv.version, { automanaged: 'true', priority: CRD_PRIORITY });
    if (!current) {
      await apiServices.create(undefined, wanted, { user: system, fieldManager: 'kube-apiserver' }).catch((e: unknown) => {
        if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
        this.queue.add(key); // made meanwhile: look again
      });
      this.log.info('registered the APIService of a CRD group/version', { apiService: name });
      return;
    }
    // an APIService someone else made for it (one with a service, or not automanaged) stays theirs
    if (current.spec?.service || !current.metadata.labels?.[AUTOMANAGED_LABEL]) return;
    if (JSON.stringify(current.spec) === JSON.stringify(wanted.spec) && current.metadata.labels[AUTOMANAGED_LABEL] === 'true') return;
    await apiServices.update(
      undefined,
      name,
      { ...current, metadata: { ...current.metadata, labels: { ...current.metadata.labels, ...wanted.metadata.labels } }, spec: wanted.spec },
      { user: system, fieldManager: 'kube-apiserver' },
    );
  }
}
