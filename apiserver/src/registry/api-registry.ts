// Every served resource, found by group/version/resource, each with its Store.
import type { Storage } from '../storage/interface.ts';
import { Store, type ManagedFieldsTracker, type UserInfo } from './store.ts';
import type { RegistryServices, RequestContext, ResourceDef } from './types.ts';

export class ApiRegistry {
  readonly defs: ResourceDef[];
  private readonly byGvr = new Map<string, Store>();
  private readonly byGroupKind = new Map<string, Store>();
  readonly services: RegistryServices;

  constructor(defs: ResourceDef[], storage: Storage, services: RegistryServices, managedFields?: ManagedFieldsTracker) {
    this.defs = defs;
    this.services = services;
    const context = (o: { user: UserInfo; dryRun: boolean }): RequestContext => ({ user: o.user, dryRun: o.dryRun, services: this.services });
    for (const def of defs) {
      const store = new Store(def, {
        storage,
        managedFields,
        context,
        config: () => this.services.config ?? {},
      });
      this.byGvr.set(`${def.group}/${def.version}/${def.resource}`, store);
      if (!this.byGroupKind.has(`${def.group}/${def.kind}`)) this.byGroupKind.set(`${def.group}/${def.kind}`, store);
    }
  }

  store(group: string, version: string, resource: string): Store | undefined {
    return this.byGvr.get(`${group}/${version}/${resource}`);
  }

  storeForKind(group: string, kind: string): Store | undefined {
    return this.byGroupKind.get(`${group}/${kind}`);
  }

  groupVersions(): { group: string; version: string }[] {
    const seen = new Map<string, { group: string; version: string }>();
    for (const d of this.defs) seen.set(`${d.group}/${d.version}`, { group: d.group, version: d.version });
    return [...seen.values()];
  }
}
