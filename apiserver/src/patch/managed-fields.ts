// metadata.managedFields entries: decoding, encoding, identity and the cap on Update
// entries, as kube-apiserver's fieldmanager keeps them.
import { ApiError } from '../errors.ts';
import { fromFieldsV1, pathString, toFieldsV1, type FieldPath, FieldSet } from './fieldpath.ts';
import { isObject } from './json-util.ts';

export type Operation = 'Apply' | 'Update';

export interface ManagerEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  time?: string;
  subresource?: string;
  fields: FieldSet;
}

/** Update entries beyond this many are merged, oldest first, into one bucket. */
export const maxUpdateManagers = 10;
export const ancientChangesManager = 'ancient-changes';

/**
 * Entries of one identity are one entry. Appliers keep their identity across API versions;
 * updaters do not (kube-apiserver's BuildManagerIdentifier).
 */
export function managerIdentity(e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify({
    manager: e.manager,
    operation: e.operation,
    apiVersion: e.operation === 'Apply' ? undefined : e.apiVersion,
    subresource: e.subresource || undefined,
  });
}

/** `"kubectl-client-side-apply" using apps/v1`, as conflict messages name a manager. */
export function describeManager(e: ManagerEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}

/** Decodes stored or client-sent entries; throws a 400 ApiError on malformed ones. */
export function decodeManagedFields(list: unknown): ManagerEntry[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new ApiError(400, 'BadRequest', 'metadata.managedFields must be a list');
  const seen = new Set<string>();
  return list.map((raw, i) => {
    if (!isObject(raw)) throw new ApiError(400, 'BadRequest', `managedFields[${i}]: must be an object`);
    const operation = raw.operation;
    if (operation !== 'Apply' && operation !== 'Update') {
      throw new ApiError(400, 'BadRequest', `managedFields[${i}]: unknown operation ${JSON.stringify(operation)}`);
    }
    if (raw.fieldsType !== undefined && raw.fieldsType !== 'FieldsV1') {
      throw new ApiError(400, 'BadRequest', `managedFields[${i}]: invalid fieldsType ${JSON.stringify(raw.fieldsType)}`);
    }
    const entry: ManagerEntry = {
      manager: typeof raw.manager === 'string' ? raw.manager : '',
      operation,
      apiVersion: typeof raw.apiVersion === 'string' ? raw.apiVersion : '',
      time: typeof raw.time === 'string' ? raw.time : undefined,
      subresource: typeof raw.subresource === 'string' && raw.subresource ? raw.subresource : undefined,
      fields: raw.fieldsV1 === undefined ? new FieldSet() : fromFieldsV1(raw.fieldsV1),
    };
    const id = managerIdentity(entry);
    if (seen.has(id)) throw new ApiError(400, 'BadRequest', `managedFields[${i}]: duplicate entry for manager ${id}`);
    seen.add(id);
    return entry;
  });
}

/** Encoded entries, sorted as kube-apiserver sorts them: operation, time, manager, version. */
export function encodeManagedFields(entries: ManagerEntry[]): Record<string, unknown>[] {
  const seconds = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  const sorted = entries
    .filter((e) => !e.fields.isEmpty())
    .sort(
      (p, q) =>
        cmp(p.operation, q.operation) ||
        seconds(p.time) - seconds(q.time) ||
        cmp(p.manager, q.manager) ||
        cmp(p.apiVersion, q.apiVersion) ||
        cmp(p.subresource ?? '', q.subresource ?? ''),
    );
  return sorted.map((e) => {
    const out: Record<string, unknown> = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion };
    if (e.time) out.time = e.time;
    out.fieldsType = 'FieldsV1';
    out.fieldsV1 = toFieldsV1(e.fields);
    if (e.subresource) out.subresource = e.subresource;
    return out;
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A list of `[]` or `[{}]` asks for the managed fields to be cleared (isResetManagedFields). */
export function isResetManagedFields(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  return v.length === 0 || (v.length === 1 && isObject(v[0]) && Object.keys(v[0]).length === 0);
}

/** Keeps at most maxUpdateManagers Update entries by folding the oldest into one bucket. */
export function capUpdateManagers(entries: ManagerEntry[]): ManagerEntry[] {
  const updaters = entries
    .filter((e) => e.operation === 'Update' && e.manager !== ancientChangesManager)
    .sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''));
  let count = entries.filter((e) => e.operation === 'Update').length;
  if (count <= maxUpdateManagers) return entries;
  let out = [...entries];
  for (const old of updaters) {
    if (count <= maxUpdateManagers) break;
    let bucket = out.find((e) => e.manager === ancientChangesManager && e.operation === 'Update' && e.apiVersion === old.apiVersion && !e.subresource);
    out = out.filter((e) => e !== old);
    if (bucket) {
      bucket.fields = bucket.fields.union(old.fields);
      bucket.time = old.time;
      count--;
    } else {
      bucket = { manager: ancientChangesManager, operation: 'Update', apiVersion: old.apiVersion, time: old.time, fields: old.fields };
      out.push(bucket);
    }
  }
  return out;
}

export interface Conflict {
  entry: ManagerEntry;
  paths: FieldPath[];
}

/** 409 in the words of kube-apiserver's fieldmanager NewConflictError. */
export function conflictError(conflicts: Conflict[]): ApiError {
  const flat = conflicts
    .flatMap((c) => c.paths.map((p) => ({ entry: c.entry, path: pathString(p) })))
    .sort((a, b) => cmp(managerIdentity(a.entry), managerIdentity(b.entry)) || cmp(a.path, b.path));
  const causes = flat.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${describeManager(c.entry)}`, field: c.path }));
  let message: string;
  if (flat.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describeManager(flat[0].entry)}: ${flat[0].path}`;
  } else {
    const lines: string[] = [];
    let last = '';
    for (const c of flat) {
      const id = managerIdentity(c.entry);
      if (id !== last) {
        lines.push(`conflicts with ${describeManager(c.entry)}:`);
        last = id;
      }
      lines.push(`- ${c.path}`);
    }
    message = `Apply failed with ${flat.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}
