// The one generic store, as Kubernetes' registry has it: every resource is served by a Store
// built from its ResourceDef. Metadata rules (uid, generation, finalizers, graceful deletion)
// live here; what differs per resource lives in the ResourceDef. This is the store stage of the
// request path (see apiserver/README.md): an API request arrives decoded, defaulted and (for a
// create) through mutating admission; an update brings its mutating admission as a callback
// (WriteOptions.mutatingAdmission) that runs on each attempt. Writes the apiserver makes itself
// (bootstrap, system namespaces) arrive undefaulted, and the store defaults them.
import { randomUUID } from 'node:crypto';
import { ApiError, errors } from '../errors.ts';
import type { RequestAdmission } from '../admission/chain.ts';
import { admitMutating, type MutatingAdmission } from '../pipeline/mutating-admission.ts';
import { admitValidating } from '../pipeline/validating-admission.ts';
import { validateObject } from '../pipeline/validation.ts';
import type { Storage, WatchEvent, Watcher, WatchTrigger } from '../storage/interface.ts';
import { apiVersionOf, type KObject, type RequestContext, type ResourceDef } from './types.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';

export interface UserInfo {
  name: string;
  groups: string[];
  /** user.Info's extra (scopes, a front proxy's X-Remote-Extra-*), forwarded to aggregated servers */
  extra?: Record<string, string[]>;
}

export interface WriteOptions {
  user: UserInfo;
  dryRun?: boolean;
  fieldManager?: string;
  subresource?: string;
  /** what the managed-fields tracker records as the operation */
  operation?: 'Update' | 'Apply';
  /** the request's admission chain; the store runs its validating phase after validation */
  admission?: RequestAdmission;
  /** the request's mutating admission for updates, run on each attempt before the strategy's preparation */
  mutatingAdmission?: MutatingAdmission;
  /** the request's decode stage applied the kind's defaults (API requests); otherwise the store does */
  defaulted?: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListOutput {
  items: KObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** Records field ownership after writes; provided by the patch module (server-side apply). */
export interface ManagedFieldsTracker {
  update(args: { old: KObject | undefined; updated: KObject; manager: string; apiVersion: string; subresource?: string; def: ResourceDef }): KObject;
}

export interface StoreServices {
  storage: Storage;
  managedFields?: ManagedFieldsTracker;
  context: (opts: { user: UserInfo; dryRun: boolean }) => RequestContext;
  /** the apiserver's settings the resources read (e.g. eventTtlSeconds) */
  config?: () => Record<string, any>;
}

const nameChars = 'bcdfghjklmnpqrstvwxz2456789';
function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += nameChars[Math.floor(Math.random() * nameChars.length)];
  return s;
}

// objects here are plain JSON; a JSON round trip copies them faster than structuredClone
const clone = <T>(o: T): T => (o === undefined ? o : JSON.parse(JSON.stringify(o)));
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export class Store {
  readonly def: ResourceDef;
  readonly apiVersion: string;
  private readonly services: StoreServices;
  private readonly storageResource: string;

  constructor(def: ResourceDef, services: StoreServices) {
    this.def = def;
    this.services = services;
    this.apiVersion = apiVersionOf(def);
    this.storageResource = def.storageResource ?? def.resource;
  }

  private get storage(): Storage {
    return this.services.storage;
  }
  /** etcd expires these objects on its own (Events) */
  private get ttlSeconds(): number | undefined {
    return this.def.ttlSeconds?.(this.services.config?.() ?? {});
  }

  key(namespace: string | undefined, name: string): string {
    return this.def.namespaced ? `/registry/${this.storageResource}/${namespace}/${name}` : `/registry/${this.storageResource}/${name}`;
  }

  prefix(namespace: string | undefined): string {
    return this.def.namespaced && namespace ? `/registry/${this.storageResource}/${namespace}/` : `/registry/${this.storageResource}/`;
  }

  /** What clients see: the served apiVersion/kind, converted from the stored form when they differ. */
  output(stored: KObject): KObject {
    const o = this.def.fromStorage ? this.def.fromStorage(clone(stored)) : stored;
    o.apiVersion = this.apiVersion;
    o.kind = this.def.kind;
    return o;
  }

  private input(obj: KObject): KObject {
    const o = this.def.toStorage ? this.def.toStorage(obj) : obj;
    return o;
  }

  notFound(name: string): ApiError {
    return errors.notFound(this.def.group, this.def.resource, name);
  }

  async get(namespace: string | undefined, name: string): Promise<KObject> {
    const obj = await this.storage.get(this.key(namespace, name));
    if (!obj) throw this.notFound(name);
    return this.output(obj);
  }

  // ---------------- list & watch ----------------

  selectableFields(obj: KObject): Record<string, string> {
    const f: Record<string, string> = { 'metadata.name': obj.metadata?.name ?? '' };
    if (this.def.namespaced) f['metadata.namespace'] = obj.metadata?.namespace ?? '';
    return { ...f, ...(this.def.selectableFields?.(obj) ?? {}) };
  }

  /** The trigger value of a stored object (def.watchTriggerField), one function for every watcher of this store. */
  private readonly triggerOf = (stored: KObject): string => {
    const o = this.def.fromStorage ? this.def.fromStorage(clone(stored)) : stored;
    return this.selectableFields(o)[this.def.watchTriggerField!] ?? '';
  };

  /** The watch-cache trigger of a field selector: an equality on the resource's trigger field. */
  private watchTrigger(fieldSelector: string | undefined): WatchTrigger | undefined {
    const field = this.def.watchTriggerField;
    if (!field || !fieldSelector) return undefined;
    const r = parseFieldSelector(fieldSelector).find((f) => f.field === field && f.op === '=');
    return r ? { value: r.value, of: this.triggerOf } : undefined;
  }

  /** A predicate over stored objects; throws 400 for a selector the resource cannot filter on. */
  predicate(q: { labelSelector?: string; fieldSelector?: string }): ((o: KObject) => boolean) | undefined {
    const labels = q.labelSelector ? parseLabelSelector(q.labelSelector) : [];
    const fields = q.fieldSelector ? parseFieldSelector(q.fieldSelector) : [];
    if (!labels.length && !fields.length) return undefined;
    if (fields.length) {
      const known = new Set(Object.keys(this.selectableFields(this.sampleForFields())));
      for (const f of fields) {
        if (!known.has(f.field)) {
          throw errors.badRequest(`"${f.field}" is not a known field selector: only "${[...known].join('", "')}"`);
        }
      }
    }
    return (stored: KObject) => {
      const o = this.def.fromStorage ? this.def.fromStorage(clone(stored)) : stored;
      return matchesLabels(labels, o.metadata?.labels) && matchesFields(fields, this.selectableFields(o));
    };
  }

  private sampleForFields(): KObject {
    // selectableFields implementations read nested fields defensively; an empty object lists the keys
    return { metadata: {}, spec: {}, status: {} } as KObject;
  }

  async list(namespace: string | undefined, q: ListQuery): Promise<ListOutput> {
    const pred = this.predicate(q);
    const res = await this.storage.list(this.prefix(namespace), {
      limit: q.limit && q.limit > 0 ? q.limit : undefined,
      continue: q.continue || undefined,
      resourceVersion: q.resourceVersion,
      resourceVersionMatch: (q.resourceVersionMatch as any) || undefined,
      predicate: pred,
    });
    return {
      items: res.items.map((o) => this.output(o)),
      resourceVersion: String(res.resourceVersion),
      continue: res.continue,
      remainingItemCount: res.remainingItemCount,
    };
  }

  /**
   * Watch with selector semantics: an object that stops matching arrives as DELETED, one that
   * starts matching as ADDED.
   */
  async watch(
    namespace: string | undefined,
    q: ListQuery & { allowWatchBookmarks?: boolean; sendInitialEvents?: boolean },
    onEvent: (ev: { type: string; object: KObject }) => void,
  ): Promise<Watcher> {
    const pred = this.predicate(q);
    return this.storage.watch(
      this.prefix(namespace),
      {
        resourceVersion: q.resourceVersion,
        allowBookmarks: q.allowWatchBookmarks,
        sendInitialEvents: q.sendInitialEvents,
        trigger: this.watchTrigger(q.fieldSelector),
      },
      (ev: WatchEvent) => {
        if (ev.type === 'BOOKMARK') {
          onEvent({ type: 'BOOKMARK', object: { apiVersion: this.apiVersion, kind: this.def.kind, metadata: { resourceVersion: String(ev.revision) } } });
          return;
        }
        if (ev.type === 'ERROR') {
          onEvent({ type: 'ERROR', object: ev.object });
          return;
        }
        if (!pred) {
          onEvent({ type: ev.type, object: this.output(ev.object) });
          return;
        }
        const now = pred(ev.object);
        const before = ev.prevObject ? pred(ev.prevObject) : false;
        let type: string | undefined;
        if (ev.type === 'ADDED') type = now ? 'ADDED' : undefined;
        else if (ev.type === 'DELETED') type = (ev.prevObject ? before : now) ? 'DELETED' : undefined;
        else if (now && before) type = 'MODIFIED';
        else if (now && !before) type = 'ADDED';
        else if (!now && before) type = 'DELETED';
        if (type) onEvent({ type, object: this.output(ev.object) });
      },
    );
  }

  // ---------------- create ----------------

  /** `incoming` becomes the store's: callers hand over a freshly decoded object. */
  async create(namespace: string | undefined, incoming: KObject, opts: WriteOptions): Promise<KObject> {
    const obj = this.input(incoming);
    obj.metadata ??= {};
    const meta = obj.metadata;
    if (this.def.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace ?? meta.namespace;
      if (!meta.namespace) throw errors.badRequest('the server could not find the requested resource: a namespace is required');
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    if (!meta.name) {
      throw errors.invalid(this.def.group, this.def.kind, '', [
        { type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' },
      ]);
    }

    meta.uid = randomUUID();
    meta.creationTimestamp = now();
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    if ('spec' in obj) meta.generation = 1;
    else delete meta.generation;

    const ctx = this.services.context({ user: opts.user, dryRun: !!opts.dryRun });
    if (!opts.defaulted) this.def.defaults?.(obj);
    validateObject(this.def, obj, undefined);
    await this.def.prepareForCreate?.(obj, ctx);
    try {
      await admitValidating(opts.admission, 'CREATE', obj, undefined);
    } catch (e) {
      await this.def.afterDelete?.(obj, ctx); // give back what prepareForCreate allocated
      throw e;
    }
    let toStore = this.trackFields(undefined, obj, opts);
    if (opts.dryRun) {
      await this.def.afterDelete?.(toStore, ctx); // give back what prepareForCreate allocated
      return this.output(toStore);
    }
    try {
      toStore = await this.storage.create(this.key(meta.namespace, meta.name), toStore, { ttlSeconds: this.ttlSeconds });
    } catch (e) {
      await this.def.afterDelete?.(obj, ctx);
      if (e instanceof ApiError && e.reason === 'AlreadyExists') throw errors.alreadyExists(this.def.group, this.def.resource, meta.name);
      throw e;
    }
    return this.output(toStore);
  }

  private trackFields(old: KObject | undefined, updated: KObject, opts: WriteOptions): KObject {
    const mf = this.services.managedFields;
    if (!mf || !opts.fieldManager || opts.operation === 'Apply') return updated;
    try {
      return mf.update({ old, updated, manager: opts.fieldManager, apiVersion: this.apiVersion, subresource: opts.subresource, def: this.def });
    } catch (e) {
      if (e instanceof ApiError) throw e;
      return updated; // field tracking must never lose a write
    }
  }

  // ---------------- update ----------------

  /**
   * Computes the object to store from what is stored now and what the client sent (PUT body,
   * or the result of a patch). Pure apart from allocations in prepareForUpdate.
   */
  private async computeUpdate(cur: KObject, incoming: KObject, opts: WriteOptions): Promise<KObject> {
    const obj = this.input(clone(incoming));
    obj.metadata ??= {};
    const old = cur;
    const m = obj.metadata;
    if (m.name && m.name !== old.metadata.name) {
      throw errors.badRequest(`the name of the object (${m.name}) does not match the name on the URL (${old.metadata.name})`);
    }
    if (this.def.namespaced && m.namespace && m.namespace !== old.metadata.namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (m.uid && m.uid !== old.metadata.uid) {
      throw errors.conflict(
        this.def.group,
        this.def.resource,
        old.metadata.name!,
        `Precondition failed: UID in precondition: ${m.uid}, UID in object meta: ${old.metadata.uid}`,
      );
    }
    // fields the client cannot change
    m.name = old.metadata.name;
    if (this.def.namespaced) m.namespace = old.metadata.namespace;
    else delete m.namespace;
    m.uid = old.metadata.uid;
    m.creationTimestamp = old.metadata.creationTimestamp;
    if (old.metadata.deletionTimestamp) {
      m.deletionTimestamp = old.metadata.deletionTimestamp;
      m.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    } else {
      delete m.deletionTimestamp;
      delete m.deletionGracePeriodSeconds;
    }
    if (m.managedFields === undefined && old.metadata.managedFields) m.managedFields = old.metadata.managedFields;
    delete m.selfLink;

    await opts.mutatingAdmission?.(obj, old);
    let next: KObject = obj;
    const ctx = this.services.context({ user: opts.user, dryRun: !!opts.dryRun });
    if (opts.subresource === 'status') {
      next = this.def.prepareForStatusUpdate ? this.def.prepareForStatusUpdate(obj, old) : defaultStatusUpdate(obj, old);
    } else if (opts.subresource === 'finalize' && this.def.prepareForFinalize) {
      next = this.def.prepareForFinalize(obj, old);
    } else {
      if (this.def.prepareForUpdate) await this.def.prepareForUpdate(obj, old, ctx);
      else if (this.def.subresources?.includes('status') && 'status' in old) obj.status = old.status;
    }
    if (!opts.defaulted) this.def.defaults?.(next);
    validateObject(this.def, next, old);
    await admitValidating(opts.admission, 'UPDATE', next, old);

    const specChanged = this.def.specChanged ? this.def.specChanged(next, old) : defaultSpecChanged(next, old);
    if ('spec' in next || old.metadata.generation) {
      next.metadata.generation = (old.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    }
    return this.trackFields(old, next, opts);
  }

  /**
   * PUT. With metadata.resourceVersion set, a stale one is a 409 Conflict; without it the
   * update is unconditional (as Kubernetes allows for the built-in types).
   */
  async update(namespace: string | undefined, name: string, incoming: KObject, opts: WriteOptions): Promise<{ object: KObject; created: boolean }> {
    const key = this.key(namespace, name);
    const expected = incoming.metadata?.resourceVersion || undefined;
    if (opts.dryRun) {
      const cur = await this.storage.get(key);
      if (!cur) {
        if (this.def.allowCreateOnUpdate && !opts.subresource)
          return { object: await this.createOnUpdate(namespace, { ...incoming, metadata: { ...incoming.metadata, name } }, opts), created: true };
        throw this.notFound(name);
      }
      if (expected && expected !== cur.metadata.resourceVersion) throw this.conflict(name);
      const next = await this.computeUpdate(cur, incoming, opts);
      return { object: this.output(next), created: false };
    }
    let stored: KObject;
    try {
      stored = await this.storage.guaranteedUpdate(
        key,
        async (cur) => {
          if (!cur) throw this.notFound(name);
          return this.computeUpdate(cur, incoming, opts);
        },
        { expectedResourceVersion: expected, ttlSeconds: this.ttlSeconds },
      );
    } catch (e) {
      if (e instanceof ApiError && e.code === 404 && this.def.allowCreateOnUpdate && !opts.subresource) {
        const created = await this.createOnUpdate(namespace, { ...incoming, metadata: { ...incoming.metadata, name, resourceVersion: undefined } }, opts);
        return { object: created, created: true };
      }
      throw this.rewriteConflict(e, name);
    }
    return { object: this.output(await this.finishDeletionIfDone(stored)), created: false };
  }

  /** A PUT of a missing object of a kind that allows it: admitted as a CREATE, then created. */
  private async createOnUpdate(namespace: string | undefined, obj: KObject, opts: WriteOptions): Promise<KObject> {
    const fresh = clone(obj);
    await opts.mutatingAdmission?.(fresh, undefined);
    return this.create(namespace, fresh, opts);
  }

  /** Read-modify-write used by PATCH and the subresources: `mutate` gets the current client view. */
  async modify(
    namespace: string | undefined,
    name: string,
    mutate: (current: KObject) => Promise<KObject> | KObject,
    opts: WriteOptions & { expectedResourceVersion?: string },
  ): Promise<KObject> {
    const key = this.key(namespace, name);
    if (opts.dryRun) {
      const cur = await this.storage.get(key);
      if (!cur) throw this.notFound(name);
      const wanted = await mutate(this.output(clone(cur)));
      this.checkPatchedPreconditions(wanted, cur, name);
      return this.output(await this.computeUpdate(cur, wanted, opts));
    }
    let stored: KObject;
    try {
      stored = await this.storage.guaranteedUpdate(
        key,
        async (cur) => {
          if (!cur) throw this.notFound(name);
          const wanted = await mutate(this.output(clone(cur)));
          this.checkPatchedPreconditions(wanted, cur, name);
          return this.computeUpdate(cur, wanted, opts);
        },
        { expectedResourceVersion: opts.expectedResourceVersion, ttlSeconds: this.ttlSeconds },
      );
    } catch (e) {
      throw this.rewriteConflict(e, name);
    }
    return this.output(await this.finishDeletionIfDone(stored));
  }

  /** A patch that names a resourceVersion makes it a precondition, as apimachinery does. */
  private checkPatchedPreconditions(wanted: KObject, cur: KObject, name: string): void {
    const rv = wanted.metadata?.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) throw this.conflict(name);
  }

  private conflict(name: string): ApiError {
    return errors.conflict(
      this.def.group,
      this.def.resource,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  }

  private rewriteConflict(e: unknown, name: string): unknown {
    // storage's optimistic-concurrency conflicts get this resource's qualified name; conflicts
    // with causes (server-side apply's field-manager conflicts) and preconditions pass as they are
    if (e instanceof ApiError && e.reason === 'Conflict' && !e.details?.causes?.length && !e.message.includes('Precondition failed'))
      return this.conflict(name);
    return e;
  }

  /** An object whose deletion waited only for finalizers goes once the last one is removed. */
  private async finishDeletionIfDone(stored: KObject): Promise<KObject> {
    const m = stored.metadata;
    if (!m.deletionTimestamp || (m.finalizers?.length ?? 0) > 0) return stored;
    if (this.def.deletionBlocked?.(stored)) return stored;
    if (this.def.gracefulDeletion && (m.deletionGracePeriodSeconds ?? 0) > 0) return stored;
    try {
      const gone = await this.storage.delete(this.key(m.namespace, m.name!), { expectedResourceVersion: m.resourceVersion });
      await this.def.afterDelete?.(gone, this.services.context({ user: { name: 'system:apiserver', groups: [] }, dryRun: false }));
      return gone;
    } catch (e) {
      if (e instanceof ApiError && (e.code === 404 || e.code === 409)) return stored;
      throw e;
    }
  }

  // ---------------- delete ----------------

  async delete(namespace: string | undefined, name: string, opts: DeleteOptions, write: WriteOptions): Promise<{ object: KObject; finished: boolean }> {
    const key = this.key(namespace, name);
    const cur = await this.storage.get(key);
    if (!cur) throw this.notFound(name);
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== cur.metadata.uid) {
      throw errors.conflict(
        this.def.group,
        this.def.resource,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`,
      );
    }
    if (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
      throw errors.conflict(
        this.def.group,
        this.def.resource,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`,
      );
    }
    await admitMutating(write.admission, 'DELETE', undefined, cur);
    await admitValidating(write.admission, 'DELETE', undefined, cur);
    const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : undefined);
    const grace = this.def.gracefulDeletion?.(cur, opts.gracePeriodSeconds);
    const addFinalizer = policy === 'Orphan' ? 'orphan' : policy === 'Foreground' ? 'foregroundDeletion' : undefined;
    const finalizers = [...(cur.metadata.finalizers ?? [])];
    if (addFinalizer && !finalizers.includes(addFinalizer)) finalizers.push(addFinalizer);
    // Background (or no policy) over an explicit orphan/foreground asks to drop those.
    if (policy === 'Background') {
      for (const f of ['orphan', 'foregroundDeletion']) {
        const i = finalizers.indexOf(f);
        if (i >= 0 && !cur.metadata.deletionTimestamp) finalizers.splice(i, 1);
      }
    }
    const blocked = this.def.deletionBlocked?.(cur) ?? false;
    const graceful = grace !== undefined && grace > 0;
    if (finalizers.length > 0 || graceful || blocked) {
      const ctx = { user: write.user, dryRun: !!opts.dryRun?.length };
      const mutate = (o: KObject): KObject => {
        const m = o.metadata;
        const alreadyDeleting = !!m.deletionTimestamp;
        const effectiveGrace = graceful ? grace! : 0;
        if (!alreadyDeleting) {
          m.deletionTimestamp = new Date(Date.now() + effectiveGrace * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
          m.deletionGracePeriodSeconds = effectiveGrace;
        } else if (effectiveGrace < (m.deletionGracePeriodSeconds ?? 0)) {
          // a shorter grace period may replace a longer one, never the reverse
          m.deletionTimestamp = new Date(Date.now() + effectiveGrace * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
          m.deletionGracePeriodSeconds = effectiveGrace;
        }
        m.finalizers = finalizers.length ? finalizers : undefined;
        if (!m.finalizers) delete m.finalizers;
        this.def.prepareForDelete?.(o);
        return o;
      };
      const stillWaits = finalizers.length > 0 || blocked || (graceful && grace! > 0);
      if (ctx.dryRun) return { object: this.output(mutate(clone(cur))), finished: false };
      let stored: KObject;
      try {
        stored = await this.storage.guaranteedUpdate(
          key,
          (c) => {
            if (!c) throw this.notFound(name);
            return mutate(clone(c));
          },
          {},
        );
      } catch (e) {
        throw this.rewriteConflict(e, name);
      }
      if (!stillWaits) return { object: this.output(await this.finishDeletionIfDone(stored)), finished: true };
      return { object: this.output(stored), finished: false };
    }
    if (opts.dryRun?.length) return { object: this.output(cur), finished: true };
    let gone: KObject;
    try {
      gone = await this.storage.delete(key, { expectedResourceVersion: cur.metadata.resourceVersion });
    } catch (e) {
      if (e instanceof ApiError && e.code === 409) return this.delete(namespace, name, opts, write); // changed under us: decide again
      throw e;
    }
    await this.def.afterDelete?.(gone, this.services.context({ user: write.user, dryRun: false }));
    return { object: this.output(gone), finished: true };
  }
}

function defaultSpecChanged(next: KObject, old: KObject): boolean {
  const strip = (o: KObject) => {
    const { metadata, status, apiVersion, kind, ...rest } = o;
    return rest;
  };
  return JSON.stringify(strip(next)) !== JSON.stringify(strip(old));
}

/** Through /status only status (and, as Kubernetes allows, nothing of spec) changes. */
function defaultStatusUpdate(obj: KObject, old: KObject): KObject {
  const next = clone(old);
  next.status = obj.status;
  next.metadata = { ...old.metadata, resourceVersion: obj.metadata.resourceVersion, managedFields: obj.metadata.managedFields ?? old.metadata.managedFields };
  return next;
}
