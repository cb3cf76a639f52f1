// The validation Kubernetes adds beyond OpenAPI: x-kubernetes-list-type set/map uniqueness
// (pkg/apiserver/schema/listtype) and x-kubernetes-embedded-resource objects, which must carry
// apiVersion and kind and whose metadata is ObjectMeta (pkg/apiserver/schema/objectmeta).
import { isDeepStrictEqual } from 'node:util';
import { checkDns1035Label, nameIsPathSegment } from '@skiff/common/apimachinery/names';
import { validateObjectMetaFields } from '@skiff/common/apimachinery/object-meta';
import type { FieldError } from '../../errors.ts';
import type { JSONSchemaProps } from './index.ts';
import { isObject, itemsSchema, subtreeCache } from './node.ts';
import { childPath, indexPath, keyPath } from './paths.ts';

/** Whether the schema tree uses any of these extensions, so that plain CRDs skip the walk. */
export const usesKubeExtensions = subtreeCache(
  (s) => s['x-kubernetes-embedded-resource'] === true || s['x-kubernetes-list-type'] === 'set' || s['x-kubernetes-list-type'] === 'map',
);

export function validateKubeExtensions(x: unknown, s: JSONSchemaProps | undefined, path: string, out: FieldError[]): void {
  if (!s || x === null || x === undefined || !usesKubeExtensions(s)) return;
  if (isObject(x)) {
    if (s['x-kubernetes-embedded-resource']) validateEmbeddedResource(x, path, out);
    const extra = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
    for (const [k, v] of Object.entries(x)) {
      const prop = s.properties?.[k];
      if (prop) validateKubeExtensions(v, prop, childPath(path, k), out);
      else if (extra) validateKubeExtensions(v, extra, keyPath(path, k), out);
    }
    return;
  }
  if (Array.isArray(x)) {
    const listType = s['x-kubernetes-list-type'];
    if (listType === 'set') validateSet(x, path, out);
    else if (listType === 'map') validateMapList(x, s['x-kubernetes-list-map-keys'] ?? [], path, out);
    const items = itemsSchema(s);
    for (let i = 0; i < x.length; i++) validateKubeExtensions(x[i], items, indexPath(path, i), out);
  }
}

function validateSet(x: unknown[], path: string, out: FieldError[]): void {
  // Set items are scalars (or atomic), so a JSON key identifies a value; the first occurrence wins.
  const seen = new Set<string>();
  x.forEach((v, i) => {
    const key = JSON.stringify(v);
    if (seen.has(key)) out.push({ type: 'FieldValueDuplicate', field: indexPath(path, i), value: v });
    else seen.add(key);
  });
}

function validateMapList(x: unknown[], keys: string[], path: string, out: FieldError[]): void {
  const seen: Record<string, unknown>[] = [];
  x.forEach((v, i) => {
    if (!isObject(v)) {
      out.push({ type: 'FieldValueInvalid', field: indexPath(path, i), value: v, detail: 'must be an object for an array of list-type map' });
      return;
    }
    const id: Record<string, unknown> = {};
    for (const k of keys) if (k in v) id[k] = v[k];
    if (seen.some((other) => isDeepStrictEqual(other, id))) out.push({ type: 'FieldValueDuplicate', field: indexPath(path, i), value: id });
    else seen.push(id);
  });
}

/** apimachinery's ParseGroupVersion: `v1`, `group/version`; more than one slash is an error. */
function groupVersionError(apiVersion: string): string | undefined {
  const parts = apiVersion.split('/');
  if (parts.length > 2) return `unexpected GroupVersion string: ${apiVersion}`;
  return undefined;
}

function validateEmbeddedResource(x: Record<string, unknown>, path: string, out: FieldError[]): void {
  const av = x.apiVersion;
  const kind = x.kind;
  if (!('apiVersion' in x)) out.push({ type: 'FieldValueRequired', field: childPath(path, 'apiVersion'), detail: 'must not be empty' });
  else if (typeof av !== 'string') out.push({ type: 'FieldValueInvalid', field: childPath(path, 'apiVersion'), value: av, detail: 'must be a string' });
  else if (av === '') out.push({ type: 'FieldValueInvalid', field: childPath(path, 'apiVersion'), value: av, detail: 'must not be empty' });
  else {
    const err = groupVersionError(av);
    if (err) out.push({ type: 'FieldValueInvalid', field: childPath(path, 'apiVersion'), value: av, detail: err });
  }
  if (!('kind' in x)) out.push({ type: 'FieldValueRequired', field: childPath(path, 'kind'), detail: 'must not be empty' });
  else if (typeof kind !== 'string') out.push({ type: 'FieldValueInvalid', field: childPath(path, 'kind'), value: kind, detail: 'must be a string' });
  else if (kind === '') out.push({ type: 'FieldValueInvalid', field: childPath(path, 'kind'), value: kind, detail: 'must not be empty' });
  else {
    const errs = checkDns1035Label(kind.toLowerCase());
    if (errs.length) {
      out.push({
        type: 'FieldValueInvalid',
        field: childPath(path, 'kind'),
        value: kind,
        detail: `may have mixed case, but should otherwise match: ${errs.join(',')}`,
      });
    }
  }
  const meta = x.metadata;
  if (meta === undefined || meta === null) return;
  const metaPath = childPath(path, 'metadata');
  if (!isObject(meta)) {
    out.push({ type: 'FieldValueInvalid', field: metaPath, value: meta, detail: 'must be an object' });
    return;
  }
  // An embedded object need not be named (a pod template has no name), but a name it has must be a path segment.
  for (const k of ['name', 'generateName'] as const) {
    const v = meta[k];
    if (typeof v === 'string' && v !== '') {
      for (const msg of nameIsPathSegment(v, k === 'generateName'))
        out.push({ type: 'FieldValueInvalid', field: childPath(metaPath, k), value: v, detail: msg });
    }
  }
  out.push(...validateObjectMetaFields(meta, metaPath));
}
