// ObjectMeta rules every resource shares (apimachinery's ValidateObjectMeta): labels,
// annotations, finalizers, ownerReferences. Name rules differ per resource and live in
// each ResourceDef's validate().
import type { FieldError } from '../errors.ts';
import { field } from '../errors.ts';
import type { KObject, ResourceDef } from './types.ts';

const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function qualifiedNameErrors(path: string, key: string): FieldError[] {
  const parts = key.split('/');
  let name = key;
  if (parts.length === 2) {
    const [prefix, n] = parts as [string, string];
    name = n;
    if (!prefix) return [field.invalid(path, key, 'prefix part must be non-empty')];
    if (prefix.length > 253 || !dns1123Subdomain.test(prefix)) {
      return [
        field.invalid(
          path,
          key,
          "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        ),
      ];
    }
  } else if (parts.length > 2) {
    return [
      field.invalid(
        path,
        key,
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ),
    ];
  }
  if (!name) return [field.invalid(path, key, 'name part must be non-empty')];
  if (name.length > 63) return [field.invalid(path, key, 'name part must be no more than 63 characters')];
  if (!qualifiedNamePart.test(name)) {
    return [
      field.invalid(
        path,
        key,
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      ),
    ];
  }
  return [];
}

export function validateLabels(labels: unknown, path: string): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== 'object' || Array.isArray(labels)) return [field.invalid(path, labels, 'must be a map of string keys to string values')];
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    errs.push(...qualifiedNameErrors(path, k));
    if (typeof v !== 'string') {
      errs.push(field.invalid(`${path}`, v, 'label values must be strings'));
      continue;
    }
    if (v.length > 63) errs.push(field.invalid(path, v, 'must be no more than 63 characters'));
    else if (!labelValue.test(v))
      errs.push(
        field.invalid(
          path,
          v,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
      );
  }
  return errs;
}

const totalAnnotationSizeLimit = 256 * 1024;

export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  if (annotations === undefined || annotations === null) return [];
  if (typeof annotations !== 'object' || Array.isArray(annotations)) return [field.invalid(path, annotations, 'must be a map of string keys to string values')];
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations as Record<string, unknown>)) {
    errs.push(...qualifiedNameErrors(path, k.toLowerCase()));
    if (typeof v !== 'string') errs.push(field.invalid(path, v, 'annotation values must be strings'));
    total += k.length + String(v).length;
  }
  if (total > totalAnnotationSizeLimit) errs.push(field.tooLong(path, '', totalAnnotationSizeLimit));
  return errs;
}

export function validateObjectMetaCommon(obj: KObject, _def: ResourceDef): FieldError[] {
  const m = obj.metadata ?? {};
  const errs: FieldError[] = [];
  errs.push(...validateLabels(m.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(m.annotations, 'metadata.annotations'));
  (m.finalizers ?? []).forEach((f: unknown, i: number) => {
    if (typeof f !== 'string') errs.push(field.invalid(`metadata.finalizers[${i}]`, f, 'must be a string'));
    else if (!f.includes('/') && !['kubernetes', 'orphan', 'foregroundDeletion'].includes(f)) {
      errs.push(field.invalid(`metadata.finalizers[${i}]`, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    } else errs.push(...qualifiedNameErrors(`metadata.finalizers[${i}]`, f));
  });
  (m.ownerReferences ?? []).forEach((r: any, i: number) => {
    const p = `metadata.ownerReferences[${i}]`;
    if (!r?.apiVersion) errs.push(field.invalid(`${p}.apiVersion`, r?.apiVersion ?? '', 'version must not be empty'));
    if (!r?.kind) errs.push(field.invalid(`${p}.kind`, r?.kind ?? '', 'kind must not be empty'));
    if (!r?.name) errs.push(field.invalid(`${p}.name`, r?.name ?? '', 'name must not be empty'));
    if (!r?.uid) errs.push(field.invalid(`${p}.uid`, r?.uid ?? '', 'uid must not be empty'));
  });
  if ((m.ownerReferences ?? []).filter((r: any) => r?.controller).length > 1) {
    errs.push(field.invalid('metadata.ownerReferences', m.ownerReferences, 'Only one reference can have Controller set to true'));
  }
  return errs;
}
