// Validation shared by the four rbac.authorization.k8s.io/v1 kinds, as
// pkg/apis/rbac/validation words it: policy rules, role references and subjects.
import { field, type FieldError } from '../../../errors.ts';
import { nameIsDnsSubdomain, nameIsPathSegment } from '@skiff/common/apimachinery/names';
import type { KObject } from '../../types.ts';
import { validateMetaFor } from './meta-rules.ts';

import { RBAC_GROUP } from '../../../auth/rbac/rules.ts';

export { RBAC_GROUP };

const nonEmpty = (v: unknown): boolean => Array.isArray(v) && v.length > 0;

/** ValidatePolicyRule: verbs always; either non-resource URLs (cluster roles only) or groups and resources. */
export function validatePolicyRule(rule: any, namespaced: boolean, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (!nonEmpty(rule?.verbs)) out.push(field.required(`${path}.verbs`, 'verbs must contain at least one value'));
  if (nonEmpty(rule?.nonResourceURLs)) {
    if (namespaced) out.push(field.invalid(`${path}.nonResourceURLs`, rule.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
    if (nonEmpty(rule.apiGroups) || nonEmpty(rule.resources)) {
      out.push(field.invalid(`${path}.nonResourceURLs`, rule.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return out;
  }
  if (!nonEmpty(rule?.apiGroups)) out.push(field.required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if (!nonEmpty(rule?.resources)) out.push(field.required(`${path}.resources`, 'resource rules must supply at least one resource'));
  return out;
}

/** Role and ClusterRole: metadata (names are path segments, so `system:node` is fine) and rules. */
export function validateRole(obj: KObject, namespaced: boolean): FieldError[] {
  const out = validateMetaFor(obj, namespaced, nameIsPathSegment);
  const rules = obj.rules ?? [];
  if (!Array.isArray(rules)) return [...out, field.invalid('rules', rules, 'must be a list')];
  rules.forEach((r, i) => out.push(...validatePolicyRule(r, namespaced, `rules[${i}]`)));
  return out;
}

/** RoleBinding and ClusterRoleBinding: metadata, roleRef and subjects. */
export function validateBinding(obj: KObject, namespaced: boolean): FieldError[] {
  const out = validateMetaFor(obj, namespaced, nameIsPathSegment);
  const ref = obj.roleRef ?? {};
  if (ref.apiGroup !== RBAC_GROUP) out.push(field.notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) out.push(field.notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) out.push(field.required('roleRef.name', ''));
  else for (const msg of nameIsPathSegment(ref.name, false)) out.push(field.invalid('roleRef.name', ref.name, msg));
  const subjects = obj.subjects ?? [];
  if (Array.isArray(subjects)) subjects.forEach((s, i) => out.push(...validateSubject(s ?? {}, namespaced, `subjects[${i}]`)));
  return out;
}

function validateSubject(s: any, namespaced: boolean, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (!s.name) out.push(field.required(`${path}.name`, ''));
  switch (s.kind) {
    case 'ServiceAccount':
      if (s.name) for (const msg of nameIsDnsSubdomain(s.name, false)) out.push(field.invalid(`${path}.name`, s.name, msg));
      if (s.apiGroup) out.push(field.notSupported(`${path}.apiGroup`, s.apiGroup, ['']));
      if (!namespaced && !s.namespace) out.push(field.required(`${path}.namespace`, ''));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== RBAC_GROUP) out.push(field.notSupported(`${path}.apiGroup`, s.apiGroup ?? '', [RBAC_GROUP]));
      break;
    default:
      out.push(field.notSupported(`${path}.kind`, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return out;
}

/** SetDefaults_RoleBinding / _Subject: roleRef and User/Group subjects default to the rbac group. */
export function defaultBinding(obj: KObject): void {
  if (obj.roleRef && typeof obj.roleRef === 'object' && !obj.roleRef.apiGroup) obj.roleRef.apiGroup = RBAC_GROUP;
  for (const s of Array.isArray(obj.subjects) ? obj.subjects : []) {
    if (s && typeof s === 'object' && !s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
  }
}

/** roleRef never changes: a different role is a different binding. */
export function validateBindingUpdate(obj: KObject, old: KObject): FieldError[] {
  return JSON.stringify(obj.roleRef ?? null) === JSON.stringify(old.roleRef ?? null) ? [] : [field.invalid('roleRef', obj.roleRef, 'cannot change roleRef')];
}
