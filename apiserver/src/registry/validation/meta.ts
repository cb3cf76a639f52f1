// ObjectMeta validation (apimachinery/pkg/api/validation/objectmeta.go), shared by every resource.
import { isDeepStrictEqual } from 'node:util';
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { ObjectMeta } from '../types.ts';
import { checkDns1123Label, checkQualifiedName } from './names.ts';
import type { NameValidator } from './names.ts';
import { validateAnnotations, validateLabels } from './labels.ts';

export interface MetaRules {
  namespaced: boolean;
  validateName: NameValidator;
}

/** Finalizer names Kubernetes itself uses without a domain prefix. */
const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** Name, generateName and namespace: the parts of ObjectMeta whose rules differ per resource. */
export function validateObjectMetaNames(meta: ObjectMeta | undefined, rules: MetaRules, path = 'metadata'): FieldError[] {
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

/** All of ObjectMeta (apimachinery's ValidateObjectMeta). */
export function validateObjectMeta(meta: ObjectMeta | undefined, rules: MetaRules, path = 'metadata'): FieldError[] {
  if (!meta || typeof meta !== 'object') return [field.required(path)];
  const out = validateObjectMetaNames(meta, rules, path);
  if (meta.generation !== undefined && meta.generation < 0) {
    out.push(field.invalid(`${path}.generation`, meta.generation, 'must be greater than or equal to 0'));
  }
  out.push(...validateLabels(meta.labels, `${path}.labels`));
  out.push(...validateAnnotations(meta.annotations, `${path}.annotations`));
  out.push(...validateOwnerReferences(meta.ownerReferences, `${path}.ownerReferences`));
  out.push(...validateFinalizers(meta.finalizers, `${path}.finalizers`));
  return out;
}

export function validateOwnerReferences(refs: ObjectMeta['ownerReferences'], path: string): FieldError[] {
  if (!refs) return [];
  const out: FieldError[] = [];
  const controllers: string[] = [];
  for (const ref of refs) {
    if (!ref.apiVersion) out.push(field.invalid(`${path}.apiVersion`, ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) out.push(field.invalid(`${path}.kind`, ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) out.push(field.invalid(`${path}.name`, ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) out.push(field.invalid(`${path}.uid`, ref.uid ?? '', 'uid must not be empty'));
    if (ref.controller) controllers.push(`${ref.kind}/${ref.name}`);
  }
  if (controllers.length > 1) {
    out.push(field.invalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${controllers.join(' and ')}`));
  }
  return out;
}

export function validateFinalizers(finalizers: string[] | undefined, path: string): FieldError[] {
  if (!finalizers) return [];
  const out: FieldError[] = [];
  finalizers.forEach((f, i) => {
    const p = `${path}[${i}]`;
    const problems = checkQualifiedName(f);
    for (const msg of problems) out.push(field.invalid(p, f, msg));
    if (problems.length === 0 && !f.includes('/') && !standardFinalizers.has(f)) {
      out.push(field.invalid(p, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    out.push(field.invalid(path, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return out;
}

/** Fields no update may change. The store owns uid/creationTimestamp, but a client may send others. */
export function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta, path = 'metadata'): FieldError[] {
  const out: FieldError[] = [];
  const immutable = (name: keyof ObjectMeta) => {
    const now = meta[name];
    const before = old[name];
    if (now !== undefined && now !== '' && !isDeepStrictEqual(now, before)) {
      out.push(field.invalid(`${path}.${String(name)}`, now, 'field is immutable'));
    }
  };
  immutable('name');
  immutable('namespace');
  immutable('uid');
  immutable('creationTimestamp');
  return out;
}

/** The immutable-field check every strategy uses: `spec.selector: Invalid value: ...: field is immutable`. */
export function validateImmutable(now: unknown, before: unknown, path: string): FieldError[] {
  return isDeepStrictEqual(now, before) ? [] : [field.invalid(path, now, 'field is immutable')];
}
