// The audit policy (audit.k8s.io/v1 Policy): which requests are logged, at what level and in
// which stages. Rules are tried in order; the first that matches decides, and a request no rule
// matches is not logged (k8s.io/apiserver/pkg/audit/policy checker.go). Loading validates as
// kube-apiserver does (pkg/apis/audit/validation), so a bad file stops the apiserver at start.
import yaml from 'js-yaml';
import type { Attributes } from '../auth/attributes.ts';
import type { UserInfo } from '../registry/store.ts';

export const AUDIT_LEVELS = ['None', 'Metadata', 'Request', 'RequestResponse'] as const;
export type AuditLevel = (typeof AUDIT_LEVELS)[number];
export const AUDIT_STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const;
export type AuditStage = (typeof AUDIT_STAGES)[number];

export interface GroupResources {
  group?: string;
  resources?: string[];
  resourceNames?: string[];
}

export interface PolicyRule {
  level: AuditLevel;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: GroupResources[];
  namespaces?: string[];
  nonResourceURLs?: string[];
  omitStages?: AuditStage[];
  omitManagedFields?: boolean;
}

export interface AuditPolicy {
  rules: PolicyRule[];
  omitStages?: AuditStage[];
  omitManagedFields?: boolean;
}

/** What one request is audited with. */
export interface RequestAuditConfig {
  level: AuditLevel;
  omitStages: ReadonlySet<AuditStage>;
  omitManagedFields: boolean;
}

/** At least `min`: Metadata < Request < RequestResponse. */
export function levelAtLeast(level: AuditLevel, min: AuditLevel): boolean {
  return AUDIT_LEVELS.indexOf(level) >= AUDIT_LEVELS.indexOf(min);
}

export class PolicyError extends Error {}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function stringList(v: unknown, field: string, errs: string[]): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
    errs.push(`${field}: Invalid value: must be a list of strings`);
    return undefined;
  }
  return v as string[];
}

function stages(v: unknown, field: string, errs: string[]): AuditStage[] | undefined {
  const list = stringList(v, field, errs);
  list?.forEach((s, i) => {
    if (!(AUDIT_STAGES as readonly string[]).includes(s)) {
      errs.push(`${field}[${i}]: Unsupported value: "${s}": supported values: ${AUDIT_STAGES.map((x) => `"${x}"`).join(', ')}`);
    }
  });
  return list as AuditStage[] | undefined;
}

function validateNonResourceURLs(urls: string[], field: string, errs: string[]): void {
  urls.forEach((url, i) => {
    const f = `${field}[${i}]`;
    if (url === '*') return;
    if (url === '') errs.push(`${f}: Required value`);
    else if (!url.startsWith('/')) errs.push(`${f}: Invalid value: "${url}": non-resource URL rules must begin with a '/' character`);
    else if (url.slice(0, -1).includes('*')) errs.push(`${f}: Invalid value: "${url}": non-resource URL wildcards can only be at the end`);
  });
}

function groupResources(v: unknown, field: string, errs: string[]): GroupResources[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    errs.push(`${field}: Invalid value: must be a list`);
    return undefined;
  }
  return v.map((gr: any, i: number) => {
    const f = `${field}[${i}]`;
    if (!gr || typeof gr !== 'object') {
      errs.push(`${f}: Invalid value: must be an object`);
      return {};
    }
    const group = gr.group ?? '';
    if (typeof group !== 'string' || (group !== '' && !DNS_SUBDOMAIN.test(group))) errs.push(`${f}.group: Invalid value: "${group}": must be a DNS subdomain`);
    const resources = stringList(gr.resources, `${f}.resources`, errs);
    const resourceNames = stringList(gr.resourceNames, `${f}.resourceNames`, errs);
    if (resourceNames?.length && resources?.some((r) => r === '*' || r.startsWith('*/'))) {
      errs.push(`${f}.resourceNames: Invalid value: using resource names with a wildcard resource is not supported`);
    }
    resources?.forEach((r, j) => {
      if (r.includes('/') && r.split('/').length !== 2)
        errs.push(`${f}.resources[${j}]: Invalid value: "${r}": want "resource", "resource/subresource" or "*"`);
    });
    return { group, resources, resourceNames };
  });
}

function rule(v: any, field: string, errs: string[]): PolicyRule {
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    errs.push(`${field}: Invalid value: must be an object`);
    return { level: 'None' };
  }
  const level = v.level;
  if (level === undefined || level === '') errs.push(`${field}.level: Required value`);
  else if (!(AUDIT_LEVELS as readonly string[]).includes(level)) {
    errs.push(`${field}.level: Unsupported value: "${level}": supported values: ${AUDIT_LEVELS.map((x) => `"${x}"`).join(', ')}`);
  }
  const r: PolicyRule = {
    level,
    users: stringList(v.users, `${field}.users`, errs),
    userGroups: stringList(v.userGroups, `${field}.userGroups`, errs),
    verbs: stringList(v.verbs, `${field}.verbs`, errs),
    resources: groupResources(v.resources, `${field}.resources`, errs),
    namespaces: stringList(v.namespaces, `${field}.namespaces`, errs),
    nonResourceURLs: stringList(v.nonResourceURLs, `${field}.nonResourceURLs`, errs),
    omitStages: stages(v.omitStages, `${field}.omitStages`, errs),
  };
  if (v.omitManagedFields !== undefined && v.omitManagedFields !== null) {
    if (typeof v.omitManagedFields !== 'boolean') errs.push(`${field}.omitManagedFields: Invalid value: must be true or false`);
    else r.omitManagedFields = v.omitManagedFields;
  }
  if (r.nonResourceURLs?.length) {
    if (r.resources?.length || r.namespaces?.length) {
      errs.push(`${field}.nonResourceURLs: Invalid value: rules cannot apply to both regular resources and non-resource URLs`);
    }
    validateNonResourceURLs(r.nonResourceURLs, `${field}.nonResourceURLs`, errs);
  }
  return r;
}

/** Parses and validates a Policy document (YAML or JSON); throws PolicyError naming every problem. */
export function parsePolicy(text: string, source = 'audit policy'): AuditPolicy {
  let doc: any;
  try {
    doc = yaml.load(text);
  } catch (e) {
    throw new PolicyError(`${source}: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new PolicyError(`${source}: not a Policy object`);
  if (doc.kind !== 'Policy' || doc.apiVersion !== 'audit.k8s.io/v1') {
    throw new PolicyError(`${source}: want kind Policy of apiVersion audit.k8s.io/v1, got kind "${doc.kind ?? ''}" of "${doc.apiVersion ?? ''}"`);
  }
  const errs: string[] = [];
  const rawRules = doc.rules ?? [];
  if (!Array.isArray(rawRules)) errs.push('rules: Invalid value: must be a list');
  const policy: AuditPolicy = {
    rules: Array.isArray(rawRules) ? rawRules.map((r, i) => rule(r, `rules[${i}]`, errs)) : [],
    omitStages: stages(doc.omitStages, 'omitStages', errs),
  };
  if (doc.omitManagedFields !== undefined && doc.omitManagedFields !== null) {
    if (typeof doc.omitManagedFields !== 'boolean') errs.push('omitManagedFields: Invalid value: must be true or false');
    else policy.omitManagedFields = doc.omitManagedFields;
  }
  if (errs.length) throw new PolicyError(`${source}: invalid audit policy: ${errs.join('; ')}`);
  // kube-apiserver refuses a policy without rules: it would log nothing
  if (!policy.rules.length) throw new PolicyError(`${source}: loaded illegal policy with 0 rules`);
  return policy;
}

function pathMatches(path: string, spec: string): boolean {
  if (spec === '*' || spec === path) return true;
  return spec.endsWith('*') && path.startsWith(spec.replace(/\*+$/, ''));
}

function resourceMatches(r: PolicyRule, a: Attributes): boolean {
  if (!a.isResourceRequest) return false;
  // cluster-scoped resources are in the namespace ""
  if (r.namespaces?.length && !r.namespaces.includes(a.namespace ?? '')) return false;
  if (!r.resources?.length) return true;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  for (const gr of r.resources) {
    if ((gr.group ?? '') !== a.group) continue;
    if (!gr.resources?.length) return true;
    if (gr.resourceNames?.length && !gr.resourceNames.includes(a.name ?? '')) continue;
    for (const res of gr.resources) {
      if (res === combined || res === '*') return true;
      if (a.subresource && res.startsWith('*/') && res.slice(2) === a.subresource) return true;
      if (res.endsWith('/*') && res.slice(0, -2) === a.resource) return true;
    }
  }
  return false;
}

function ruleMatches(r: PolicyRule, user: UserInfo | undefined, a: Attributes): boolean {
  if (r.users?.length && (!user || !r.users.includes(user.name))) return false;
  if (r.userGroups?.length && !user?.groups.some((g) => r.userGroups!.includes(g))) return false;
  if (r.verbs?.length && !r.verbs.includes(a.verb)) return false;
  if (r.namespaces?.length || r.resources?.length) return resourceMatches(r, a);
  if (r.nonResourceURLs?.length) return !a.isResourceRequest && r.nonResourceURLs.some((spec) => pathMatches(a.path, spec));
  return true;
}

/** A policy ready to answer requests: rule stages merged with the policy's, as NewChecker does. */
export class PolicyEvaluator {
  private readonly rules: { rule: PolicyRule; config: RequestAuditConfig }[];
  private readonly fallback: RequestAuditConfig;

  constructor(policy: AuditPolicy) {
    const base = policy.omitStages ?? [];
    this.rules = policy.rules.map((rule) => ({
      rule,
      config: {
        level: rule.level,
        omitStages: new Set([...base, ...(rule.omitStages ?? [])]),
        omitManagedFields: rule.omitManagedFields ?? policy.omitManagedFields ?? false,
      },
    }));
    this.fallback = { level: 'None', omitStages: new Set(base), omitManagedFields: policy.omitManagedFields ?? false };
  }

  /** The first matching rule decides; no match: None. `user` is undefined when authentication failed. */
  evaluate(user: UserInfo | undefined, a: Attributes): RequestAuditConfig {
    for (const { rule, config } of this.rules) if (ruleMatches(rule, user, a)) return config;
    return this.fallback;
  }
}
