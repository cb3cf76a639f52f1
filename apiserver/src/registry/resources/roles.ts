// rbac.authorization.k8s.io/v1 Role: rules within one namespace.
import type { ResourceDef } from '../types.ts';
import { RBAC_GROUP, validateRole } from './shared/rbac-rules.ts';
import { checkRoleEscalation } from '../../auth/rbac/escalation.ts';

export const roles: ResourceDef = {
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'Role',
  resource: 'roles',
  singular: 'role',
  namespaced: true,
  validate: (obj) => validateRole(obj, true),
  prepareForCreate: (obj, ctx) => checkRoleEscalation(obj, ctx, true),
  prepareForUpdate: (obj, _old, ctx) => checkRoleEscalation(obj, ctx, true),
};
