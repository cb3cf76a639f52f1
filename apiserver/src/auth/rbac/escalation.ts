// RBAC's escalation prevention (pkg/registry/rbac): a Role or ClusterRole may be written only
// with rules its author already holds, unless the author may `escalate` it; a binding only to a
// role whose rules the author holds, unless the author may `bind` it. system:masters is exempt.
import { ApiError, qualifiedResource } from '../../errors.ts';
import type { UserInfo } from '../../registry/store.ts';
import type { KObject, RequestContext } from '../../registry/types.ts';
import type { Attributes, Decision } from '../attributes.ts';
import type { RbacAuthorizer } from './authorizer.ts';
import { RBAC_GROUP, rulesCover, type PolicyRule } from './rules.ts';

const SUPERUSER_GROUP = 'system:masters';

/** What the apiserver puts in the registry's services for these checks. */
export interface AuthorizationServices {
  authorize(user: UserInfo, a: Attributes): Decision;
  rbac: RbacAuthorizer;
}

function servicesOf(ctx: RequestContext): AuthorizationServices | undefined {
  return ctx.services.authorization as AuthorizationServices | undefined;
}

function may(auth: AuthorizationServices, user: UserInfo, verb: string, resource: string, namespace: string | undefined, name: string): boolean {
  const d = auth.authorize(user, { verb, isResourceRequest: true, path: '', group: RBAC_GROUP, resource, namespace, name });
  return d.decision === 'allow';
}

const quoteList = (xs: string[] | undefined) => `[${(xs ?? []).map((x) => JSON.stringify(x)).join(' ')}]`;

/** A rule as rbac's PolicyRule.CompactString prints it. */
function compact(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${quoteList(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${quoteList(r.resources)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${quoteList(r.resourceNames)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${quoteList(r.nonResourceURLs)}`);
  parts.push(`Verbs:${quoteList(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

function forbidden(resource: string, name: string, why: string): ApiError {
  return new ApiError(403, 'Forbidden', `${qualifiedResource(RBAC_GROUP, resource)} "${name}" is forbidden: ${why}`, {
    name,
    group: RBAC_GROUP,
    kind: resource,
  });
}

function confirmNoEscalation(auth: AuthorizationServices, user: UserInfo, namespace: string | undefined, rules: PolicyRule[], resource: string, name: string) {
  const missing = rulesCover(auth.rbac.rulesFor(user, namespace), rules);
  if (!missing.length) return;
  const groups = user.groups.map((g) => JSON.stringify(g)).join(' ');
  throw forbidden(
    resource,
    name,
    `user "${user.name}" (groups=[${groups}]) is attempting to grant RBAC permissions not currently held:\n${missing.map(compact).join('\n')}`,
  );
}

export function checkRoleEscalation(obj: KObject, ctx: RequestContext, namespaced: boolean): void {
  const auth = servicesOf(ctx);
  const user = ctx.user;
  if (!auth || user.groups.includes(SUPERUSER_GROUP)) return;
  const resource = namespaced ? 'roles' : 'clusterroles';
  const namespace = namespaced ? obj.metadata.namespace : undefined;
  const name = obj.metadata.name ?? '';
  if (may(auth, user, 'escalate', resource, namespace, name)) return;
  if (!namespaced && obj.aggregationRule) throw forbidden(resource, name, 'must have cluster-admin privileges to use the aggregationRule');
  confirmNoEscalation(auth, user, namespace, Array.isArray(obj.rules) ? obj.rules : [], resource, name);
}

export function checkBindingEscalation(obj: KObject, ctx: RequestContext): void {
  const auth = servicesOf(ctx);
  const user = ctx.user;
  if (!auth || user.groups.includes(SUPERUSER_GROUP)) return;
  const namespace = obj.metadata.namespace;
  const resource = namespace ? 'rolebindings' : 'clusterrolebindings';
  const name = obj.metadata.name ?? '';
  const ref = obj.roleRef ?? {};
  const roleResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
  if (may(auth, user, 'bind', roleResource, namespace, ref.name ?? '')) return;
  const rules = auth.rbac.roleRules(ref.kind, namespace, ref.name ?? '');
  if (!rules) throw forbidden(resource, name, `${qualifiedResource(RBAC_GROUP, roleResource)} "${ref.name}" not found`);
  confirmNoEscalation(auth, user, namespace, rules, resource, name);
}
