// The RBAC authorizer (plugin/pkg/auth/authorizer/rbac): a request is allowed when a
// ClusterRoleBinding, or a RoleBinding in the request's namespace, names the user (or one of
// its groups, or its ServiceAccount) and its role has a rule that matches. Roles and bindings
// are read from memory, kept current by watching the four kinds; bindings are indexed by the
// subjects they name (binding-index.ts).
import type { Logger } from '@skiff/common';
import type { ApiRegistry } from '../../registry/api-registry.ts';
import type { UserInfo } from '../../registry/store.ts';
import type { KObject } from '../../registry/types.ts';
import { allowed, noOpinion, type Attributes, type Authorizer, type Decision } from '../attributes.ts';
import { WatchedObjects } from '../../registry/watched-objects.ts';
import { BindingIndex, SERVICE_ACCOUNT_USER_PREFIX } from './binding-index.ts';
import { RBAC_GROUP, ruleAllows, type PolicyRule } from './rules.ts';

const SA_PREFIX = SERVICE_ACCOUNT_USER_PREFIX;

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

/** The grant as rbac.go's describers word it, for the audit log's authorization.k8s.io/reason. */
function describeBinding(b: KObject, s: Subject): string {
  const ns = b.metadata.namespace;
  const subject = s.kind === 'ServiceAccount' ? `${s.kind} "${s.name}/${s.namespace || ns || ''}"` : `${s.kind} "${s.name}"`;
  const name = ns ? `${b.metadata.name}/${ns}` : b.metadata.name;
  return `${ns ? 'RoleBinding' : 'ClusterRoleBinding'} "${name}" of ${b.roleRef?.kind} "${b.roleRef?.name}" to ${subject}`;
}

/** Whether a binding's subject is this user (appliesToUser in rule.go). */
export function subjectMatches(user: UserInfo, s: Subject, bindingNamespace: string | undefined): boolean {
  switch (s.kind) {
    case 'User':
      return user.name === s.name;
    case 'Group':
      return user.groups.includes(s.name);
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace || '';
      return user.name === `${SA_PREFIX}${ns}:${s.name}`;
    }
    default:
      return false;
  }
}

export class RbacAuthorizer implements Authorizer {
  private readonly watched: WatchedObjects[];
  private readonly roles: WatchedObjects;
  private readonly clusterRoles: WatchedObjects;
  private readonly roleBindings: WatchedObjects;
  private readonly clusterRoleBindings: WatchedObjects;
  /** ClusterRoleBindings by subject */
  private readonly clusterBindings = new BindingIndex();
  /** RoleBindings by namespace and subject, so a request looks only at its own namespace's, and its own */
  private readonly bindingsByNamespace = new Map<string, BindingIndex>();

  constructor(registry: ApiRegistry, log?: Logger) {
    const store = (resource: string) => {
      const s = registry.store(RBAC_GROUP, 'v1', resource);
      if (!s) throw new Error(`rbac: ${resource} are not served`);
      return s;
    };
    const ignore = () => {};
    this.roles = new WatchedObjects(store('roles'), ignore, log);
    this.clusterRoles = new WatchedObjects(store('clusterroles'), ignore, log);
    this.clusterRoleBindings = new WatchedObjects(
      store('clusterrolebindings'),
      (type, obj) => (type === 'DELETED' ? this.clusterBindings.delete(obj.metadata.name ?? '') : this.clusterBindings.set(obj)),
      log,
    );
    this.roleBindings = new WatchedObjects(
      store('rolebindings'),
      (type, obj, old) => {
        const prev = old ?? obj;
        this.bindingsByNamespace.get(prev.metadata.namespace ?? '')?.delete(prev.metadata.name ?? '');
        if (type === 'DELETED') return;
        const ns = obj.metadata.namespace ?? '';
        let index = this.bindingsByNamespace.get(ns);
        if (!index) this.bindingsByNamespace.set(ns, (index = new BindingIndex()));
        index.set(obj);
      },
      log,
    );
    this.watched = [this.roles, this.clusterRoles, this.roleBindings, this.clusterRoleBindings];
  }

  async start(): Promise<void> {
    await Promise.all(this.watched.map((w) => w.start()));
  }

  stop(): void {
    for (const w of this.watched) w.stop();
  }

  /** The rules a binding grants (none when its role is missing: RBAC fails closed). */
  private rulesOf(binding: KObject): PolicyRule[] {
    const ref = binding.roleRef ?? {};
    const role = ref.kind === 'Role' ? this.roles.get(binding.metadata.namespace, ref.name) : this.clusterRoles.get(undefined, ref.name);
    return (role?.rules as PolicyRule[] | undefined) ?? [];
  }

  /**
   * Calls visit with each rule that applies to the user in the namespace, with the binding and
   * the subject that grant it; visit returns true to stop.
   */
  private visitRules(user: UserInfo, namespace: string | undefined, visit: (rule: PolicyRule, binding: KObject, subject: Subject) => boolean): void {
    for (const b of this.clusterBindings.matching(user)) {
      const subject = (b.subjects ?? []).find((s: Subject) => subjectMatches(user, s, undefined));
      if (!subject) continue;
      for (const r of this.rulesOf(b)) if (visit(r, b, subject)) return;
    }
    if (!namespace) return;
    for (const b of this.bindingsByNamespace.get(namespace)?.matching(user) ?? []) {
      const subject = (b.subjects ?? []).find((s: Subject) => subjectMatches(user, s, namespace));
      if (!subject) continue;
      for (const r of this.rulesOf(b)) if (visit(r, b, subject)) return;
    }
  }

  authorize(user: UserInfo, a: Attributes): Decision {
    let reason: string | undefined;
    this.visitRules(user, a.isResourceRequest ? a.namespace : undefined, (rule, binding, subject) => {
      if (!ruleAllows(a, rule)) return false;
      reason = `RBAC: allowed by ${describeBinding(binding, subject)}`;
      return true;
    });
    // RBAC never denies outright: later authorizers may still allow
    return reason !== undefined ? allowed(reason) : noOpinion();
  }

  /** Every rule the user holds in a namespace (cluster-wide ones included): SelfSubjectRulesReview, escalation checks. */
  rulesFor(user: UserInfo, namespace: string | undefined): PolicyRule[] {
    const out: PolicyRule[] = [];
    this.visitRules(user, namespace, (r) => {
      out.push(r);
      return false;
    });
    return out;
  }

  /** A ClusterRole's stored rules (for the escalation check of a binding). */
  roleRules(kind: string, namespace: string | undefined, name: string): PolicyRule[] | undefined {
    const role = kind === 'Role' ? this.roles.get(namespace, name) : this.clusterRoles.get(undefined, name);
    return role ? ((role.rules as PolicyRule[] | undefined) ?? []) : undefined;
  }
}
