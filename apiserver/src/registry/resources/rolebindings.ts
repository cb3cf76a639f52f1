// rbac.authorization.k8s.io/v1 RoleBinding: grants a Role or ClusterRole within one namespace.
import type { ResourceDef } from '../types.ts';
import { RBAC_GROUP, defaultBinding, validateBinding, validateBindingUpdate } from './shared/rbac-rules.ts';
import { checkBindingEscalation } from '../../auth/rbac/escalation.ts';

export const rolebindings: ResourceDef = {
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'RoleBinding',
  resource: 'rolebindings',
  singular: 'rolebinding',
  namespaced: true,
  defaults: defaultBinding,
  validate: (obj) => validateBinding(obj, true),
  validateUpdate: validateBindingUpdate,
  prepareForCreate: (obj, ctx) => checkBindingEscalation(obj, ctx),
  prepareForUpdate: (obj, _old, ctx) => checkBindingEscalation(obj, ctx),
};
