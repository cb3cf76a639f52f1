// Whether one RBAC PolicyRule allows a request, as k8s.io/kubernetes/pkg/apis/rbac/v1
// evaluation_helpers.go decides it; and whether a set of rules covers another (escalation checks).
import type { Attributes } from '../attributes.ts';

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

const ALL = '*';

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  const verbs = rule.verbs ?? [];
  return verbs.includes(ALL) || verbs.includes(verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  const groups = rule.apiGroups ?? [];
  return groups.includes(ALL) || groups.includes(group);
}

/** `*` matches everything (subresources too), `pods/log` one subresource, `*\/scale` that subresource of anything. */
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === ALL || r === combined) return true;
    if (subresource && r.startsWith('*/') && r.slice(2) === subresource) return true;
  }
  return false;
}

export function resourceNameMatches(rule: PolicyRule, name: string | undefined): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (name !== undefined && names.includes(name));
}

/** `/healthz` exactly, or a prefix ending in `*` (`/healthz/*`); `*` alone matches every path. */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === ALL || u === path) return true;
    if (u.endsWith(ALL) && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

export function ruleAllows(a: Attributes, rule: PolicyRule): boolean {
  if (!verbMatches(rule, a.verb)) return false;
  if (!a.isResourceRequest) return nonResourceURLMatches(rule, a.path);
  return apiGroupMatches(rule, a.group) && resourceMatches(rule, a.resource, a.subresource) && resourceNameMatches(rule, a.name);
}

/**
 * Whether `owner` grants everything `requested` does (upstream's validation.Covers): the
 * requested rule is broken into single verb/group/resource/name pieces, each of which must be
 * allowed by one owner rule. A requested `*` is covered only by an owner `*`.
 */
export function rulesCover(owner: PolicyRule[], requested: PolicyRule[]): PolicyRule[] {
  const uncovered: PolicyRule[] = [];
  for (const piece of requested.flatMap(breakDown)) {
    if (!owner.some((o) => ruleCovers(o, piece))) uncovered.push(piece);
  }
  return uncovered;
}

function breakDown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  const verbs = rule.verbs ?? [];
  if (rule.nonResourceURLs?.length) {
    for (const verb of verbs) for (const url of rule.nonResourceURLs) out.push({ verbs: [verb], nonResourceURLs: [url] });
    return out;
  }
  const names = rule.resourceNames?.length ? rule.resourceNames.map((n) => [n]) : [[]];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of verbs) for (const n of names) out.push({ verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: n });
    }
  }
  return out;
}

function ruleCovers(owner: PolicyRule, piece: PolicyRule): boolean {
  const verb = piece.verbs![0]!;
  const ownerVerbs = owner.verbs ?? [];
  if (!ownerVerbs.includes(ALL) && !ownerVerbs.includes(verb)) return false;
  if (piece.nonResourceURLs) {
    const url = piece.nonResourceURLs[0]!;
    return (owner.nonResourceURLs ?? []).some((u) => u === ALL || u === url || (u.endsWith(ALL) && url.startsWith(u.slice(0, -1))));
  }
  if (owner.nonResourceURLs?.length) return false;
  const group = piece.apiGroups![0]!;
  const groups = owner.apiGroups ?? [];
  if (!groups.includes(ALL) && !groups.includes(group)) return false;
  const resource = piece.resources![0]!;
  const slash = resource.indexOf('/');
  const resourceOk = (owner.resources ?? []).some(
    (r) => r === ALL || r === resource || (slash > 0 && r.startsWith('*/') && r.slice(2) === resource.slice(slash + 1)),
  );
  if (!resourceOk) return false;
  const ownerNames = owner.resourceNames ?? [];
  if (ownerNames.length === 0) return true;
  const wanted = piece.resourceNames ?? [];
  return wanted.length > 0 && wanted.every((n) => ownerNames.includes(n));
}
