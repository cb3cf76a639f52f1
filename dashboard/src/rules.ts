// What the user may do in a namespace, in one request: SelfSubjectRulesReview returns the
// rules of every binding that applies there (cluster-wide ones included), which the page
// matches itself, as the RBAC authorizer does. It decides what a list page offers (which
// resources can be listed, whether Create shows); one object's actions still ask a
// SelfSubjectAccessReview (useCan), which is exact where rules can be incomplete.
import { useEffect, useState } from 'preact/hooks';
import { request } from './api.ts';

export interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

export interface Rules {
  namespace: string;
  rules: ResourceRule[];
  /** the server could not tell everything (some authorizer failed): allow what is not listed */
  incomplete: boolean;
}

const has = (list: string[] | undefined, value: string) => (list ?? []).some((v) => v === '*' || v === value);

/** May `verb` be done on every object of `group`/`resource` (no resourceNames restriction)? */
export function allows(r: Rules | undefined, verb: string, group: string, resource: string): boolean | undefined {
  if (!r) return undefined;
  const ok = r.rules.some((rule) => has(rule.verbs, verb) && has(rule.apiGroups, group) && has(rule.resources, resource) && !rule.resourceNames?.length);
  return ok || (r.incomplete ? undefined : false);
}

const cache = new Map<string, Promise<Rules>>();

/** The rules for `namespace`; asked once per namespace and sign-in (forget() on sign-out). */
export function rulesFor(namespace: string): Promise<Rules> {
  let p = cache.get(namespace);
  if (!p) {
    p = request('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectRulesReview',
      spec: { namespace },
    }).then(
      (r) => ({ namespace, rules: r.status?.resourceRules ?? [], incomplete: r.status?.incomplete === true }),
      () => ({ namespace, rules: [], incomplete: true }),
    );
    cache.set(namespace, p);
  }
  return p;
}

export function forgetRules(): void {
  cache.clear();
}

/**
 * The user's rules in `namespace`. A review needs a namespace: for "all namespaces" and for
 * cluster-scoped resources `default` is asked, as `kubectl auth can-i --list` does, which
 * covers what cluster-wide bindings grant.
 */
export function useRules(namespace: string | undefined): Rules | undefined {
  const ns = namespace || 'default';
  const [rules, setRules] = useState<Rules>();
  useEffect(() => {
    let live = true;
    setRules(undefined);
    void rulesFor(ns).then((r) => live && setRules(r));
    return () => {
      live = false;
    };
  }, [ns]);
  return rules;
}
