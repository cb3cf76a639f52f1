// apps/v1 ReplicaSet.
import type { ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateMetaFor } from './shared/meta-rules.ts';
import { keepOldStatus, specDiffers, takeStatusOnly } from './shared/status-split.ts';
import { defaultWorkload, validateSelectorUnchanged, validateWorkloadSpec } from './shared/workloads.ts';
import { validateNonNegative } from '../validation/ports.ts';

export const replicasets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  resource: 'replicasets',
  singular: 'replicaset',
  shortNames: ['rs'],
  categories: ['all'],
  namespaced: true,
  subresources: ['status', 'scale'],
  scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'status.selector' },

  defaults: defaultWorkload,

  validate(obj) {
    return [...validateMetaFor(obj, true, nameIsDnsSubdomain), ...validateWorkloadSpec(obj.spec, 'replicaset')];
  },

  validateUpdate(obj, old) {
    const out = validateSelectorUnchanged(obj, old);
    for (const k of ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']) {
      out.push(...validateNonNegative(obj.status?.[k], `status.${k}`));
    }
    return out;
  },

  prepareForCreate(obj) {
    obj.status = { replicas: 0 };
  },
  prepareForUpdate(obj, old) {
    keepOldStatus(obj, old);
  },
  prepareForStatusUpdate: takeStatusOnly,
  specChanged: specDiffers,
};
