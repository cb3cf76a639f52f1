// rbac.authorization.k8s.io/v1 ClusterRole: rules cluster-wide or, bound by a RoleBinding, in one
// namespace; an aggregationRule makes the controller-manager fill in the rules.
import { field } from '../../errors.ts';
import type { ResourceDef } from '../types.ts';
import { RBAC_GROUP, validateRole } from './shared/rbac-rules.ts';
import { checkRoleEscalation } from '../../auth/rbac/escalation.ts';

export const clusterroles: ResourceDef = {
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'ClusterRole',
  resource: 'clusterroles',
  singular: 'clusterrole',
  namespaced: false,
  validate(obj) {
    const out = validateRole(obj, false);
    const agg = obj.aggregationRule;
    if (agg && typeof agg === 'object' && !(Array.isArray(agg.clusterRoleSelectors) && agg.clusterRoleSelectors.length)) {
      out.push(field.required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    }
    return out;
  },
  prepareForCreate: (obj, ctx) => checkRoleEscalation(obj, ctx, false),
  prepareForUpdate: (obj, _old, ctx) => checkRoleEscalation(obj, ctx, false),
};
