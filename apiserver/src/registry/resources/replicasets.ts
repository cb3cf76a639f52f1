// apps/v1 ReplicaSet.
import type { ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateMetaFor } from './shared/meta-rules.ts';
import { defaultWorkload, replicaStatusSplit, validateReplicaStatus, validateSelectorUnchanged, validateWorkloadSpec } from './shared/workloads.ts';

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
    return [...validateSelectorUnchanged(obj, old), ...validateReplicaStatus(obj)];
  },

  ...replicaStatusSplit,
};
