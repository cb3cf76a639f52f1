// ObjectMeta validation as apimachinery's ValidateObjectMeta (api/validation/objectmeta.go) and
// metav1 validation (apis/meta/v1/validation) do it, with the core API's finalizer-name rule on
// top, worded as Kubernetes words it: every built-in resource goes through here.
import { isDeepStrictEqual } from 'node:util';
import { field, type FieldError } from './field-errors.ts';
import { checkDns1123Label, checkLabelValue, checkQualifiedName, type NameValidator } from './names.ts';
import type { LabelSelectorObject } from './label-selector.ts';

/** The ObjectMeta fields validated here; resources may carry more. */
export interface ObjectMetaLike {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  creationTimestamp?: unknown;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReferenceLike[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntryLike[];
}

export interface OwnerReferenceLike {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntryLike {
  manager?: string;
  operation?: string;
  fieldsType?: string;
  subresource?: string;
}

export interface MetaRules {
  namespaced: boolean;
  validateName: NameValidator;
}

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
const FIELD_MANAGER_MAX_LENGTH = 128;
const SUBRESOURCE_NAME_MAX_LENGTH = 256;

/** Finalizer names Kubernetes itself uses without a domain prefix (core helper.IsStandardFinalizerName). */
const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);
/** apimachinery's BannedOwners. */
const bannedOwners = new Set(['v1/Event']);

export function validateLabels(labels: unknown, path: string): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== 'object' || Array.isArray(labels)) return [field.invalid(path, labels, 'must be a map of string to string')];
  const out: FieldError[] = [];
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    for (const msg of checkQualifiedName(k)) out.push(field.invalid(path, k, msg));
    if (typeof v !== 'string') {
      out.push(field.invalid(path, v, 'label values must be strings'));
      continue;
    }
    for (const msg of checkLabelValue(v)) out.push(field.invalid(path, v, msg));
  }
  return out;
}

/** Keys as qualified names (case-insensitively), and at most 256 KiB of keys and values in total (UTF-8 bytes). */
export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  if (annotations === undefined || annotations === null) return [];
  if (typeof annotations !== 'object' || Array.isArray(annotations)) return [field.invalid(path, annotations, 'must be a map of string to string')];
  const out: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations as Record<string, unknown>)) {
    for (const msg of checkQualifiedName(k.toLowerCase())) out.push(field.invalid(path, k, msg));
    if (typeof v !== 'string') {
      out.push(field.invalid(path, v, 'annotation values must be strings'));
      continue;
    }
    total += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) out.push(field.tooLong(path, '', TOTAL_ANNOTATION_SIZE_LIMIT));
  return out;
}

/** metav1validation.ValidateLabelSelector. */
export function validateLabelSelector(sel: LabelSelectorObject | undefined | null, path: string): FieldError[] {
  if (!sel) return [];
  const out = validateLabels(sel.matchLabels, `${path}.matchLabels`);
  (sel.matchExpressions ?? []).forEach((req, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    if (req.operator === 'In' || req.operator === 'NotIn') {
      if (!req.values || req.values.length === 0) out.push(field.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (req.operator === 'Exists' || req.operator === 'DoesNotExist') {
      if (req.values && req.values.length > 0) out.push(field.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      out.push(field.invalid(`${p}.operator`, req.operator, 'not a valid selector operator'));
    }
    for (const msg of checkQualifiedName(req.key ?? '')) out.push(field.invalid(`${p}.key`, req.key ?? '', msg));
    (req.values ?? []).forEach((v, j) => {
      for (const msg of checkLabelValue(v)) out.push(field.invalid(`${p}.values[${j}]`, v, msg));
    });
  });
  return out;
}

/** apimachinery's ValidateOwnerReferences: errors carry the list's path, not an index. */
export function validateOwnerReferences(refs: readonly OwnerReferenceLike[] | undefined, path: string): FieldError[] {
  if (!refs) return [];
  const out: FieldError[] = [];
  let firstController = '';
  for (const ref of refs) {
    const version = (ref.apiVersion ?? '').split('/').pop() ?? '';
    if (!version) out.push(field.invalid(`${path}.apiVersion`, ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) out.push(field.invalid(`${path}.kind`, ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) out.push(field.invalid(`${path}.name`, ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) out.push(field.invalid(`${path}.uid`, ref.uid ?? '', 'uid must not be empty'));
    if (bannedOwners.has(`${ref.apiVersion}/${ref.kind}`)) {
      out.push(field.invalid(path, ref, `/${ref.apiVersion}, Kind=${ref.kind} is disallowed from being an owner`));
    }
    if (ref.controller) {
      const name = `${ref.kind}/${ref.name}`;
      if (firstController) {
        out.push(
          field.invalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${name}`),
        );
      } else firstController = name;
    }
  }
  return out;
}

/**
 * apimachinery's ValidateFinalizers (qualified names, at the list's path), then the core rule
 * that an unprefixed name must be a standard one (at the item's path).
 */
export function validateFinalizers(finalizers: readonly unknown[] | undefined, path: string, coreRule = true): FieldError[] {
  if (!finalizers) return [];
  const out: FieldError[] = [];
  for (const f of finalizers) {
    if (typeof f !== 'string') out.push(field.invalid(path, f, 'must be a string'));
    else for (const msg of checkQualifiedName(f)) out.push(field.invalid(path, f, msg));
  }
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    out.push(field.invalid(path, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  finalizers.forEach((f, i) => {
    if (coreRule && typeof f === 'string' && !f.includes('/') && !standardFinalizers.has(f)) {
      out.push(field.invalid(`${path}[${i}]`, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return out;
}

/** metav1validation.ValidateManagedFields. */
export function validateManagedFields(entries: readonly ManagedFieldsEntryLike[] | undefined, path: string): FieldError[] {
  if (!entries) return [];
  const out: FieldError[] = [];
  entries.forEach((e, i) => {
    const p = `${path}[${i}]`;
    if (e.operation !== 'Apply' && e.operation !== 'Update') out.push(field.invalid(`${p}.operation`, e.operation ?? '', 'must be `Apply` or `Update`'));
    if (e.fieldsType && e.fieldsType !== 'FieldsV1') out.push(field.invalid(`${p}.fieldsType`, e.fieldsType, 'must be `FieldsV1`'));
    const manager = e.manager ?? '';
    if (manager.length > FIELD_MANAGER_MAX_LENGTH) out.push(field.tooLong(`${p}.manager`, manager, FIELD_MANAGER_MAX_LENGTH));
    let at = 0;
    for (const ch of manager) {
      if (/[\p{C}\p{Zl}\p{Zp}]/u.test(ch) || (ch !== ' ' && /\p{Zs}/u.test(ch))) {
        const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
        out.push(field.invalid(`${p}.manager`, manager, `invalid character U+${code} (at position ${at})`));
      }
      at += Buffer.byteLength(ch);
    }
    if ((e.subresource ?? '').length > SUBRESOURCE_NAME_MAX_LENGTH) {
      out.push(field.tooLong(`${p}.subresource`, e.subresource, SUBRESOURCE_NAME_MAX_LENGTH));
    }
  });
  return out;
}

/** name, generateName and namespace: the parts whose rules differ per resource. */
export function validateObjectMetaNames(meta: ObjectMetaLike | undefined, rules: MetaRules, path = 'metadata'): FieldError[] {
  if (!meta || typeof meta !== 'object') return [field.required(path)];
  const out: FieldError[] = [];
  if (meta.generateName) {
    for (const msg of rules.validateName(meta.generateName, true)) out.push(field.invalid(`${path}.generateName`, meta.generateName, msg));
  }
  if (!meta.name) {
    if (!meta.generateName) out.push(field.required(`${path}.name`, 'name or generateName is required'));
  } else {
    for (const msg of rules.validateName(meta.name, false)) out.push(field.invalid(`${path}.name`, meta.name, msg));
  }
  if (rules.namespaced) {
    if (!meta.namespace) out.push(field.required(`${path}.namespace`));
    else for (const msg of checkDns1123Label(meta.namespace)) out.push(field.invalid(`${path}.namespace`, meta.namespace, msg));
  } else if (meta.namespace) {
    out.push(field.forbidden(`${path}.namespace`, 'not allowed on this type'));
  }
  return out;
}

/**
 * The parts every kind shares: generation, labels, annotations, owner references, finalizers,
 * managed fields. `coreFinalizerRule` false for the kinds apiextensions-apiserver serves (CRDs,
 * custom resources), which only need qualified finalizer names
 * (customresourcecleanup.apiextensions.k8s.io).
 */
export function validateObjectMetaFields(meta: ObjectMetaLike | undefined, path = 'metadata', coreFinalizerRule = true): FieldError[] {
  if (!meta || typeof meta !== 'object') return [];
  const out: FieldError[] = [];
  if (typeof meta.generation === 'number' && meta.generation < 0) {
    out.push(field.invalid(`${path}.generation`, meta.generation, 'must be greater than or equal to 0'));
  }
  out.push(...validateLabels(meta.labels, `${path}.labels`));
  out.push(...validateAnnotations(meta.annotations, `${path}.annotations`));
  out.push(...validateOwnerReferences(meta.ownerReferences, `${path}.ownerReferences`));
  out.push(...validateFinalizers(meta.finalizers, `${path}.finalizers`, coreFinalizerRule));
  out.push(...validateManagedFields(meta.managedFields, `${path}.managedFields`));
  return out;
}

/** All of ObjectMeta on create (ValidateObjectMeta; name generation has already happened). */
export function validateObjectMeta(meta: ObjectMetaLike | undefined, rules: MetaRules, path = 'metadata'): FieldError[] {
  if (!meta || typeof meta !== 'object') return [field.required(path)];
  return [...validateObjectMetaNames(meta, rules, path), ...validateObjectMetaFields(meta, path)];
}

/** Fields no update may change. The store owns uid/creationTimestamp, but a client may send others. */
export function validateObjectMetaUpdate(meta: ObjectMetaLike, old: ObjectMetaLike, path = 'metadata'): FieldError[] {
  const out: FieldError[] = [];
  for (const name of ['name', 'namespace', 'uid', 'creationTimestamp'] as const) {
    const now = meta[name];
    if (now !== undefined && now !== '' && !isDeepStrictEqual(now, old[name])) {
      out.push(field.invalid(`${path}.${name}`, now, 'field is immutable'));
    }
  }
  return out;
}

/** ValidateImmutableField: `spec.selector: Invalid value: ...: field is immutable`. */
export function validateImmutable(now: unknown, before: unknown, path: string): FieldError[] {
  return isDeepStrictEqual(now, before) ? [] : [field.invalid(path, now, 'field is immutable')];
}
