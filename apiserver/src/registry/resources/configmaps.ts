// core/v1 ConfigMap.
import { field } from '../../errors.ts';
import type { ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateMetaFor } from './shared/meta-rules.ts';
import { MAX_DATA_BYTES, validateDataKeys, validateImmutablePayload } from './shared/data-maps.ts';

export const configmaps: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  resource: 'configmaps',
  singular: 'configmap',
  shortNames: ['cm'],
  namespaced: true,

  validate(obj) {
    const out = validateMetaFor(obj, true, nameIsDnsSubdomain);
    out.push(...validateDataKeys(obj.data, 'data'), ...validateDataKeys(obj.binaryData, 'binaryData'));
    let size = 0;
    for (const [k, v] of Object.entries(obj.data ?? {})) {
      if (typeof v !== 'string') out.push(field.invalid(`data[${k}]`, v, 'must be a string'));
      else size += Buffer.byteLength(k) + Buffer.byteLength(v);
      if (obj.binaryData && Object.hasOwn(obj.binaryData, k)) out.push(field.invalid(`data[${k}]`, k, 'duplicate of key present in binaryData'));
    }
    for (const [k, v] of Object.entries(obj.binaryData ?? {})) {
      size += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.from(v, 'base64').length : 0);
    }
    if (size > MAX_DATA_BYTES) out.push(field.tooLong('', '', MAX_DATA_BYTES));
    return out;
  },

  validateUpdate(obj, old) {
    return validateImmutablePayload(obj, old, ['data', 'binaryData']);
  },
};
