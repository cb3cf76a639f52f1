// apps/v1 ControllerRevision: an immutable snapshot of a DaemonSet's or StatefulSet's template,
// the history behind `kubectl rollout history|undo` for those kinds.
import { isDeepStrictEqual } from 'node:util';
import { field } from '../../errors.ts';
import type { ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateMetaFor } from './shared/meta-rules.ts';

export const controllerrevisions: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  resource: 'controllerrevisions',
  singular: 'controllerrevision',
  namespaced: true,

  validate(obj) {
    const out = validateMetaFor(obj, true, nameIsDnsSubdomain);
    // Kubernetes requires the snapshot; a revision without data could never be rolled back to.
    if (obj.data === undefined || obj.data === null) out.push(field.required('data', ''));
    const revision = obj.revision ?? 0;
    if (typeof revision !== 'number' || !Number.isInteger(revision) || revision < 0) {
      out.push(field.invalid('revision', revision, 'must be greater than or equal to 0'));
    }
    return out;
  },

  validateUpdate(obj, old) {
    // The snapshot is the revision's identity; only metadata and the revision number may change.
    return isDeepStrictEqual(obj.data, old.data) ? [] : [field.invalid('data', obj.data, 'field is immutable')];
  },
};
