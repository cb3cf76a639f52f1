// core/v1 ServiceAccount.
import { field } from '../../errors.ts';
import type { ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateMetaFor } from './shared/meta-rules.ts';

export const serviceaccounts: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  resource: 'serviceaccounts',
  singular: 'serviceaccount',
  shortNames: ['sa'],
  namespaced: true,
  subresources: ['token'],

  validate(obj) {
    const out = validateMetaFor(obj, true, nameIsDnsSubdomain);
    (obj.secrets ?? []).forEach((s: any, i: number) => {
      if (!s?.name) out.push(field.required(`secrets[${i}].name`));
    });
    (obj.imagePullSecrets ?? []).forEach((s: any, i: number) => {
      if (!s?.name) out.push(field.required(`imagePullSecrets[${i}].name`));
    });
    return out;
  },
};
