// Every served resource, found by group/version/resource, each with its Store. The built-in
// resources are given at start-up; others (custom resources of a CRD) come and go at runtime
// through add/remove, and whoever derives documents from the served set (discovery, OpenAPI)
// listens with onChange.
import type { Storage } from '../storage/interface.ts';
import { Store, type ManagedFieldsTracker, type UserInfo } from './store.ts';
import type { RegistryServices, RequestContext, ResourceDef } from './types.ts';

const gvrKey = (d: Pick<ResourceDef, 'group' | 'version' | 'resource'>) => `${d.group}/${d.version}/${d.resource}`;

export class ApiRegistry {
  private current: ResourceDef[];
  /** the start-up set: never replaced or removed at runtime */
  private readonly builtin: ReadonlySet<ResourceDef>;
  private readonly byGvr = new Map<string, Store>();
  private readonly byGroupKind = new Map<string, Store>();
  private readonly listeners: ((defs: readonly ResourceDef[]) => void)[] = [];
  private readonly storage: Storage;
  private readonly managedFields?: ManagedFieldsTracker;
  readonly services: RegistryServices;

  constructor(defs: ResourceDef[], storage: Storage, services: RegistryServices, managedFields?: ManagedFieldsTracker) {
    this.current = [];
    this.storage = storage;
    this.services = services;
    this.managedFields = managedFields;
    this.builtin = new Set(defs);
    this.place(defs);
  }

  /** Whether a resource of the start-up set is served under this group and name. */
  isBuiltin(group: string, resource: string): boolean {
    return this.current.some((d) => this.builtin.has(d) && d.group === group && d.resource === resource);
  }

  /** The served resources now; a new array after every change. */
  get defs(): readonly ResourceDef[] {
    return this.current;
  }

  private place(defs: readonly ResourceDef[]): void {
    const context = (o: { user: UserInfo; dryRun: boolean }): RequestContext => ({ user: o.user, dryRun: o.dryRun, services: this.services });
    for (const def of defs) {
      const store = new Store(def, { storage: this.storage, managedFields: this.managedFields, context, config: () => this.services.config ?? {} });
      this.byGvr.set(gvrKey(def), store);
      if (!this.byGroupKind.has(`${def.group}/${def.kind}`)) this.byGroupKind.set(`${def.group}/${def.kind}`, store);
    }
    this.current = [...this.current, ...defs];
  }

  /**
   * Serves these resources from now on in place of every version served so far for the
   * group/resource (a CRD's versions change together).
   */
  replace(groupResource: { group: string; resource: string }, defs: readonly ResourceDef[]): void {
    if (this.isBuiltin(groupResource.group, groupResource.resource)) throw new Error(`${groupResource.resource}.${groupResource.group} is a built-in resource`);
    this.drop(groupResource);
    this.place(defs);
    this.changed();
  }

  /** Stops serving every version of a group/resource. */
  remove(groupResource: { group: string; resource: string }): void {
    if (this.drop(groupResource)) this.changed();
  }

  private drop(gr: { group: string; resource: string }): boolean {
    const gone = this.current.filter((d) => !this.builtin.has(d) && d.group === gr.group && d.resource === gr.resource);
    if (!gone.length) return false;
    this.current = this.current.filter((d) => !gone.includes(d));
    for (const d of gone) {
      this.byGvr.delete(gvrKey(d));
      const gk = `${d.group}/${d.kind}`;
      if (this.byGroupKind.get(gk)?.def === d) {
        this.byGroupKind.delete(gk);
        const other = this.current.find((o) => o.group === d.group && o.kind === d.kind);
        if (other) this.byGroupKind.set(gk, this.byGvr.get(gvrKey(other))!);
      }
    }
    return true;
  }

  /** Called with the served set after every change (not for the start-up set). */
  onChange(listener: (defs: readonly ResourceDef[]) => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l(this.current);
  }

  store(group: string, version: string, resource: string): Store | undefined {
    return this.byGvr.get(`${group}/${version}/${resource}`);
  }

  /** The store behind a collection that only POSTs to one of its subresources (core/v1 bindings). */
  subresourceCollection(group: string, version: string, resource: string): { store: Store; subresource: string } | undefined {
    for (const def of this.current) {
      const subresource = def.group === group && def.version === version ? def.subresourceCollections?.[resource] : undefined;
      if (subresource) return { store: this.store(group, version, def.resource)!, subresource };
    }
    return undefined;
  }

  storeForKind(group: string, kind: string): Store | undefined {
    return this.byGroupKind.get(`${group}/${kind}`);
  }

  groupVersions(): { group: string; version: string }[] {
    const seen = new Map<string, { group: string; version: string }>();
    for (const d of this.current) seen.set(`${d.group}/${d.version}`, { group: d.group, version: d.version });
    return [...seen.values()];
  }
}
