// rbac.authorization.k8s.io/v1 ClusterRoleBinding: grants a ClusterRole in every namespace.
import type { ResourceDef } from '../types.ts';
import { RBAC_GROUP, defaultBinding, validateBinding, validateBindingUpdate } from './shared/rbac-rules.ts';
import { checkBindingEscalation } from '../../auth/rbac/escalation.ts';

export const clusterrolebindings: ResourceDef = {
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'ClusterRoleBinding',
  resource: 'clusterrolebindings',
  singular: 'clusterrolebinding',
  namespaced: false,
  defaults: defaultBinding,
  validate: (obj) => validateBinding(obj, false),
  validateUpdate: validateBindingUpdate,
  prepareForCreate: (obj, ctx) => checkBindingEscalation(obj, ctx),
  prepareForUpdate: (obj, _old, ctx) => checkBindingEscalation(obj, ctx),
};
