// storage.k8s.io/v1 StorageClass: how claims of a class get their volumes (pkg/registry/storage/storageclass).
// The `storageclass.kubernetes.io/is-default-class` annotation marks the class the
// DefaultStorageClass admission plugin gives to claims that name none.
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { ResourceDef } from '../types.ts';
import { checkQualifiedName, nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateImmutable } from '@skiff/common/apimachinery/object-meta';
import { validateMetaFor } from './shared/meta-rules.ts';

export const defaultClassAnnotation = 'storageclass.kubernetes.io/is-default-class';
export const betaDefaultClassAnnotation = 'storageclass.beta.kubernetes.io/is-default-class';

const reclaimPolicies = ['Delete', 'Retain'];
const bindingModes = ['Immediate', 'WaitForFirstConsumer'];

export const storageclasses: ResourceDef = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'StorageClass',
  resource: 'storageclasses',
  singular: 'storageclass',
  shortNames: ['sc'],
  namespaced: false,

  defaults(obj) {
    obj.reclaimPolicy ??= 'Delete';
    obj.volumeBindingMode ??= 'Immediate';
  },

  validate(obj) {
    const out = validateMetaFor(obj, false, nameIsDnsSubdomain);
    const provisioner = obj.provisioner;
    if (!provisioner) out.push(field.required('provisioner', provisioner ?? ''));
    else for (const m of checkQualifiedName(String(provisioner).toLowerCase())) out.push(field.invalid('provisioner', provisioner, m));
    if (!reclaimPolicies.includes(obj.reclaimPolicy)) out.push(field.notSupported('reclaimPolicy', obj.reclaimPolicy, reclaimPolicies));
    if (!bindingModes.includes(obj.volumeBindingMode)) out.push(field.notSupported('volumeBindingMode', obj.volumeBindingMode, bindingModes));
    (obj.allowedTopologies ?? []).forEach((t: any, i: number) => {
      const exprs: any[] = t?.matchLabelExpressions ?? [];
      if (exprs.length === 0) out.push(field.required(`allowedTopologies[${i}].matchLabelExpressions`, 'must have at least one topology selector requirement'));
      exprs.forEach((e, j) => {
        const p = `allowedTopologies[${i}].matchLabelExpressions[${j}]`;
        for (const m of checkQualifiedName(String(e?.key ?? ''))) out.push(field.invalid(`${p}.key`, e?.key, m));
        if (!Array.isArray(e?.values) || e.values.length === 0) out.push(field.required(`${p}.values`, 'must specify as least one value'));
      });
    });
    return out;
  },

  validateUpdate(obj, old) {
    const out: FieldError[] = [];
    if (JSON.stringify(obj.parameters ?? {}) !== JSON.stringify(old.parameters ?? {}))
      out.push(field.forbidden('parameters', 'updates to parameters are forbidden.'));
    if (obj.provisioner !== old.provisioner) out.push(field.forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (obj.reclaimPolicy !== old.reclaimPolicy) out.push(field.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    out.push(...validateImmutable(obj.volumeBindingMode, old.volumeBindingMode, 'volumeBindingMode'));
    return out;
  },
};
