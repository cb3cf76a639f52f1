// Server-side apply and the field ownership every other write records, after
// structured-merge-diff's Updater and kube-apiserver's fieldmanager chain (stripMeta,
// skipNonApplied "before-first-apply", lastApplied sync and conflict allowance for
// `kubectl`, capped Update managers).
import { errors, field } from '../errors.ts';
import { FieldSet, type FieldPath } from './fieldpath.ts';
import { clone, deepEqual, isObject, type JsonObject } from './json-util.ts';
import {
  capUpdateManagers,
  conflictError,
  decodeManagedFields,
  encodeManagedFields,
  isResetManagedFields,
  managerIdentity,
  type Conflict,
  type ManagerEntry,
} from './managed-fields.ts';
import type { PatchMeta } from './meta.ts';
import { compare, fieldSetOf, mergeApplied, removeFields, type Comparison, type WalkContext } from './typed-value.ts';
import { checkJsonDepth } from '../server/limits.ts';

export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';
const beforeFirstApplyManager = 'before-first-apply';

export interface ServerSideApplyArgs {
  current: object | undefined;
  applied: object;
  manager: string;
  force: boolean;
  apiVersion: string;
  /** expected kind; defaults to the current object's */
  kind?: string;
  meta: PatchMeta;
  subresource?: string;
  now: string;
}

export interface UpdateManagedFieldsArgs {
  old: object | undefined;
  updated: object;
  manager: string;
  apiVersion: string;
  operation: 'Update';
  meta: PatchMeta;
  subresource?: string;
  now: string;
}

/** Metadata the server owns is never anybody's field (stripMeta). */
const systemMeta = new Set(['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']);

/** The fields the field manager does not track for this endpoint (stripMeta and reset fields). */
function tracked(subresource: string | undefined): (p: FieldPath) => boolean {
  return (p) => {
    if (p[0] === 'f:apiVersion' || p[0] === 'f:kind') return false;
    if (p[0] === 'f:metadata' && (p.length === 1 || systemMeta.has(p[1].slice(2)))) return false;
    if (subresource === 'status') return p[0] === 'f:status' || p[0] === 'f:metadata';
    if (!subresource) return p[0] !== 'f:status';
    return true;
  };
}

function filterComparison(c: Comparison, keep: (p: FieldPath) => boolean): Comparison {
  return { added: c.added.filter(keep), modified: c.modified.filter(keep), removed: c.removed.filter(keep) };
}

/** A shallow view without metadata.managedFields: callers only read it, so nothing is copied deep. */
function withoutManagedFields(obj: object | undefined): JsonObject {
  const o = { ...((obj ?? {}) as JsonObject) };
  if (isObject(o.metadata)) {
    const { managedFields: _, ...meta } = o.metadata;
    o.metadata = meta;
  }
  return o;
}

function gvkString(apiVersion: unknown, kind: unknown): string {
  const av = String(apiVersion ?? '');
  return `${av.includes('/') ? av : `/${av}`}, Kind=${String(kind ?? '')}`;
}

/**
 * Takes ownership for the other managers' fields that `next` changes; without force any
 * such field is a conflict. Fields that disappear are nobody's any more.
 */
function settleOwnership(managers: ManagerEntry[], skip: string, cmp: Comparison, force: boolean): { managers: ManagerEntry[]; conflicts: Conflict[] } {
  const changed = cmp.modified.union(cmp.added);
  const conflicts: Conflict[] = [];
  for (const m of managers) {
    if (managerIdentity(m) === skip) continue;
    const c = m.fields.intersection(changed);
    if (!c.isEmpty()) conflicts.push({ entry: m, paths: c.paths() });
  }
  if (conflicts.length && !force) return { managers, conflicts };
  const out = managers
    .map((m) => {
      if (managerIdentity(m) === skip) return m;
      return { ...m, fields: m.fields.difference(changed).difference(cmp.removed) };
    })
    .filter((m) => !m.fields.isEmpty() || managerIdentity(m) === skip);
  return { managers: out, conflicts };
}

/** Fields the manager applied before and no longer applies go, unless someone else holds them. */
function prune(merged: JsonObject, lastSet: FieldSet | undefined, newSet: FieldSet, others: ManagerEntry[], ctx: WalkContext): JsonObject {
  if (!lastSet || lastSet.isEmpty()) return merged;
  let othersOwn = new FieldSet();
  for (const m of others) othersOwn = othersOwn.union(m.fields);
  const owned = othersOwn.union(newSet);
  const isItem = (p: FieldPath) => p[p.length - 1][0] === 'k' || p[p.length - 1][0] === 'v';
  const toRemove = lastSet.difference(newSet).filter((p) => !othersOwn.has(p) && (isItem(p) || !owned.hasDescendantOf(p)));
  return toRemove.isEmpty() ? merged : removeFields(merged, toRemove, ctx);
}

/**
 * The fields of the last-applied annotation that the live object still holds with the same
 * value: kubectl's first server-side apply may take those over from client-side apply. A field
 * changed since (by a scale, a label, the server's normalising) is left out on its own, as the
 * apiserver's lastAppliedManager does; it does not cost the others their allowance.
 */
function fieldsFromLastApplied(live: JsonObject, ctx: WalkContext, keep: (p: FieldPath) => boolean): FieldSet | undefined {
  const raw = (live.metadata as JsonObject | undefined)?.annotations as Record<string, unknown> | undefined;
  const text = raw?.[lastAppliedAnnotation];
  if (typeof text !== 'string' || !text) return undefined;
  let last: unknown;
  try {
    checkJsonDepth(text); // the annotation is the client's text: no deeper than a body may be
    last = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(last)) return undefined;
  const set = fieldSetOf(last, { ...ctx, strict: false }).filter(keep);
  const diff = compare(last, live, ctx);
  return set.difference(diff.modified).difference(diff.added).difference(diff.removed);
}

export function serverSideApply(args: ServerSideApplyArgs): object {
  const applied = args.applied as JsonObject;
  if (!isObject(applied)) throw errors.badRequest('error decoding YAML: the applied configuration must be an object');
  if (!args.manager) {
    throw errors.invalid('meta.k8s.io', 'PatchOptions', '', [field.required('fieldManager', 'is required for apply patch')]);
  }
  const current = args.current as JsonObject | undefined;
  const expectedKind = args.kind ?? current?.kind;
  if (applied.apiVersion !== args.apiVersion || (expectedKind !== undefined && applied.kind !== expectedKind)) {
    throw errors.badRequest(`invalid object type: ${gvkString(applied.apiVersion, applied.kind)}`);
  }
  if (isObject(applied.metadata) && applied.metadata.managedFields !== undefined) {
    throw errors.badRequest('metadata.managedFields must be nil');
  }
  const keep = tracked(args.subresource);
  const liveCtx: WalkContext = { meta: args.meta, strict: false };
  const live = withoutManagedFields(current);

  let managers: ManagerEntry[];
  try {
    managers = decodeManagedFields((current?.metadata as JsonObject | undefined)?.managedFields);
  } catch {
    managers = [];
  }
  if (current && managers.length === 0) {
    // objects written before anyone applied: their fields belong to a stand-in updater
    const owned = compare({}, live, liveCtx).added.filter(keep);
    if (!owned.isEmpty()) managers = [{ manager: beforeFirstApplyManager, operation: 'Update', apiVersion: args.apiVersion, time: args.now, fields: owned }];
  }

  const applier: ManagerEntry = {
    manager: args.manager,
    operation: 'Apply',
    apiVersion: args.apiVersion,
    subresource: args.subresource,
    fields: new FieldSet(),
  };
  const id = managerIdentity(applier);
  const previous = managers.find((m) => managerIdentity(m) === id);
  const newSet = fieldSetOf(applied, { meta: args.meta, strict: true }).filter(keep);
  const others = managers.filter((m) => managerIdentity(m) !== id);

  const merged = mergeApplied(live, applied, { meta: args.meta, strict: true });
  const result = prune(merged, previous?.fields, newSet, others, liveCtx);
  const cmp = filterComparison(compare(live, result, liveCtx), keep);
  let settled = settleOwnership(others, id, cmp, args.force);
  if (settled.conflicts.length && !args.force) {
    let remaining = settled.conflicts;
    const allowed = args.manager === 'kubectl' ? fieldsFromLastApplied(live, liveCtx, keep) : undefined;
    if (allowed) {
      remaining = remaining.map((c) => ({ entry: c.entry, paths: c.paths.filter((p) => !allowed.has(p)) })).filter((c) => c.paths.length > 0);
    }
    if (remaining.length) throw conflictError(remaining);
    settled = settleOwnership(others, id, cmp, true);
  }

  const changed = !deepEqual(live, result);
  applier.fields = newSet;
  applier.time = changed || !previous || !previous.fields.equals(newSet) ? args.now : (previous.time ?? args.now);
  const finalManagers = capUpdateManagers([...settled.managers, applier]);

  if (args.manager === 'kubectl') syncLastApplied(live, result, applied);
  const meta = (isObject(result.metadata) ? result.metadata : (result.metadata = {})) as JsonObject;
  const encoded = encodeManagedFields(finalManagers);
  if (encoded.length) meta.managedFields = encoded;
  else delete meta.managedFields;
  return result;
}

/** kubectl's client-side apply annotation follows what kubectl server-side applies. */
function syncLastApplied(live: JsonObject, result: JsonObject, applied: JsonObject): void {
  const liveAnn = (live.metadata as JsonObject | undefined)?.annotations as Record<string, unknown> | undefined;
  if (!liveAnn || !(lastAppliedAnnotation in liveAnn)) return;
  const copy = clone(applied);
  const meta = copy.metadata as JsonObject | undefined;
  if (isObject(meta) && isObject(meta.annotations)) {
    delete meta.annotations[lastAppliedAnnotation];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  const resultMeta = (result.metadata ??= {}) as JsonObject;
  const ann = (resultMeta.annotations ??= {}) as Record<string, unknown>;
  ann[lastAppliedAnnotation] = JSON.stringify(copy);
}

/**
 * Records who owns what after a create, update or non-apply patch: the manager takes the
 * fields it changed from everybody, and removed fields are nobody's.
 */
/** Records ownership on `args.updated` itself (the caller hands over an object it owns) and returns it. */
export function updateManagedFields(args: UpdateManagedFieldsArgs): object {
  const updated = args.updated as JsonObject;
  const old = args.old as JsonObject | undefined;
  const incoming = (updated.metadata as JsonObject | undefined)?.managedFields;
  const decodeOrEmpty = (v: unknown): ManagerEntry[] => {
    try {
      return decodeManagedFields(v);
    } catch {
      return [];
    }
  };

  let managers: ManagerEntry[];
  if (args.subresource) {
    managers = decodeOrEmpty((old?.metadata as JsonObject | undefined)?.managedFields);
  } else if (isResetManagedFields(incoming)) {
    managers = [];
  } else {
    let fromClient: ManagerEntry[] = [];
    try {
      fromClient = decodeManagedFields(incoming);
    } catch {
      fromClient = [];
    }
    managers = fromClient.length ? fromClient : decodeOrEmpty((old?.metadata as JsonObject | undefined)?.managedFields);
  }

  const ctx: WalkContext = { meta: args.meta, strict: false };
  const cmp = filterComparison(compare(withoutManagedFields(old), withoutManagedFields(updated), ctx), tracked(args.subresource));
  const self = '\u0000current-operation';
  managers = settleOwnership(managers, self, cmp, true).managers;

  const own = cmp.modified.union(cmp.added);
  if (!own.isEmpty()) {
    const entry: ManagerEntry = {
      manager: args.manager,
      operation: 'Update',
      apiVersion: args.apiVersion,
      subresource: args.subresource,
      fields: own,
      time: args.now,
    };
    const id = managerIdentity(entry);
    const previous = managers.find((m) => managerIdentity(m) === id);
    if (previous) entry.fields = previous.fields.union(own);
    managers = [...managers.filter((m) => m !== previous), entry];
  }
  managers = capUpdateManagers(managers.filter((m) => !m.fields.isEmpty()));

  const meta = (isObject(updated.metadata) ? updated.metadata : (updated.metadata = {})) as JsonObject;
  const encoded = encodeManagedFields(managers);
  if (encoded.length) meta.managedFields = encoded;
  else delete meta.managedFields;
  return updated;
}
