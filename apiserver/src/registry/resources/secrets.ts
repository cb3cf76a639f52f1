// core/v1 Secret: type-specific required keys, base64 data, stringData folded into data.
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateMetaFor } from './shared/meta-rules.ts';
import { MAX_DATA_BYTES, validateDataKeys, validateImmutablePayload } from './shared/data-maps.ts';
import { validateImmutable } from '@skiff/common/apimachinery/object-meta';

const base64Re = /^[A-Za-z0-9+/]*={0,2}$/;

/** Where Go's base64 decoder would stop: mirrors `illegal base64 data at input byte N`. */
export function base64Problem(v: string): string | undefined {
  if (base64Re.test(v) && v.length % 4 === 0) return undefined;
  const bad = v.search(/[^A-Za-z0-9+/=]/);
  const at = bad >= 0 ? bad : v.length - (v.length % 4 === 0 ? 1 : v.length % 4);
  return `illegal base64 data at input byte ${Math.max(0, at)}`;
}

/** Keys each well-known secret type must carry. */
const requiredKeys: Record<string, string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/basic-auth': [],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

function validateByType(obj: KObject, out: FieldError[]): void {
  const data = obj.data ?? {};
  const type = obj.type;
  for (const key of requiredKeys[type] ?? []) if (!Object.hasOwn(data, key)) out.push(field.required(`data[${key}]`));
  if (type === 'kubernetes.io/basic-auth' && !Object.hasOwn(data, 'username') && !Object.hasOwn(data, 'password')) {
    out.push(field.required('data[username]', 'either `username` or `password` must be present'));
  }
  if (type === 'kubernetes.io/service-account-token' && !obj.metadata.annotations?.['kubernetes.io/service-account.name']) {
    out.push(field.required('metadata.annotations[kubernetes.io/service-account.name]'));
  }
  if (type === 'kubernetes.io/dockerconfigjson' && typeof data['.dockerconfigjson'] === 'string') {
    try {
      JSON.parse(Buffer.from(data['.dockerconfigjson'], 'base64').toString('utf8'));
    } catch (e) {
      out.push(field.invalid('data[.dockerconfigjson]', '<secret contents redacted>', (e as Error).message));
    }
  }
}

/** stringData is write-only convenience: its values replace those in data, base64-encoded. */
function foldStringData(obj: KObject): void {
  if (!obj.stringData || typeof obj.stringData !== 'object') return;
  obj.data ??= {};
  for (const [k, v] of Object.entries(obj.stringData)) obj.data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  delete obj.stringData;
}

export const secrets: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  resource: 'secrets',
  singular: 'secret',
  namespaced: true,

  defaults(obj) {
    obj.type ||= 'Opaque';
    foldStringData(obj);
  },

  validate(obj) {
    const out = validateMetaFor(obj, true, nameIsDnsSubdomain);
    out.push(...validateDataKeys(obj.data, 'data'));
    let size = 0;
    for (const [k, v] of Object.entries(obj.data ?? {})) {
      if (typeof v !== 'string') {
        out.push(field.invalid(`data[${k}]`, '<secret contents redacted>', 'must be a base64 encoded string'));
        continue;
      }
      const problem = base64Problem(v);
      if (problem) out.push(field.invalid(`data[${k}]`, '<secret contents redacted>', problem));
      size += Buffer.byteLength(k) + Buffer.from(v, 'base64').length;
    }
    if (size > MAX_DATA_BYTES) out.push(field.tooLong('data', '', MAX_DATA_BYTES));
    validateByType(obj, out);
    return out;
  },

  validateUpdate(obj, old) {
    return [...validateImmutable(obj.type, old.type, 'type'), ...validateImmutablePayload(obj, old, ['data'])];
  },

  prepareForCreate(obj) {
    foldStringData(obj);
  },
  prepareForUpdate(obj) {
    foldStringData(obj);
  },

  selectableFields(obj) {
    return { type: obj.type ?? '' };
  },
};
