// core/v1 Namespace: cluster-scoped, DNS-1123 label names, the `kubernetes` finalizer.
import { field } from '../../errors.ts';
import type { ResourceDef } from '../types.ts';
import { nameIsDnsLabel, checkQualifiedName } from '@skiff/common/apimachinery/names';
import { keepOldStatus, takeStatusOnly } from './shared/status-split.ts';
import { validateMetaFor } from './shared/meta-rules.ts';

export const namespaces: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  resource: 'namespaces',
  singular: 'namespace',
  shortNames: ['ns'],
  namespaced: false,
  subresources: ['status', 'finalize'],
  returnDeletedObject: true,

  defaults(obj) {
    obj.spec ??= {};
    obj.spec.finalizers ??= ['kubernetes'];
    // the namespace controller's label, set by the API server since 1.21
    if (obj.metadata.name) obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name };
  },

  validate(obj) {
    const out = validateMetaFor(obj, false, nameIsDnsLabel);
    (obj.spec?.finalizers ?? []).forEach((f: string, i: number) => {
      const p = `spec.finalizers[${i}]`;
      const problems = checkQualifiedName(f);
      for (const m of problems) out.push(field.invalid(p, f, m));
      if (!problems.length && !f.includes('/') && f !== 'kubernetes') {
        out.push(field.invalid(p, f, 'name is neither a standard finalizer name nor is it fully qualified'));
      }
    });
    return out;
  },

  prepareForCreate(obj) {
    obj.status = { phase: 'Active' };
  },

  prepareForUpdate(obj, old) {
    // spec.finalizers change only through /finalize
    obj.spec = { ...(obj.spec ?? {}), finalizers: old.spec?.finalizers ?? [] };
    keepOldStatus(obj, old);
  },

  prepareForStatusUpdate: takeStatusOnly,

  // PUT /finalize changes spec.finalizers and nothing else (Kubernetes' finalizeStrategy)
  prepareForFinalize(obj, old) {
    const next = structuredClone(old);
    next.spec = { ...(old.spec ?? {}), finalizers: obj.spec?.finalizers ?? [] };
    return next;
  },

  // the namespace controller empties the content, then removes `kubernetes` through /finalize
  deletionBlocked: (obj) => (obj.spec?.finalizers?.length ?? 0) > 0,

  prepareForDelete(obj) {
    obj.status = { ...(obj.status ?? {}), phase: 'Terminating' };
  },

  selectableFields(obj) {
    return { 'status.phase': obj.status?.phase ?? '' };
  },
};
