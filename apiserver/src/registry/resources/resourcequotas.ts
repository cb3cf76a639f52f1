// core/v1 ResourceQuota: hard limits per namespace; status.hard and status.used are written by
// the quota controller and by the ResourceQuota admission plugin (through /status).
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { tryParseQuantity } from '@skiff/common/apimachinery/quantity';
import { isIntegerResourceName, resourceNameProblems, resourceNameRules } from '@skiff/common/quota/resource-names';
import { quotaScopes, scopeValidForResource } from '@skiff/common/quota/scopes';
import { validateMetaFor } from './shared/meta-rules.ts';
import { keepOldStatus, takeStatusOnly } from './shared/status-split.ts';

function validateQuotaList(list: unknown, path: string): FieldError[] {
  if (list === undefined || list === null) return [];
  if (typeof list !== 'object' || Array.isArray(list)) return [field.invalid(path, list, 'must be a map of resource name to quantity')];
  const out: FieldError[] = [];
  for (const [name, raw] of Object.entries(list as Record<string, unknown>)) {
    const p = `${path}[${name}]`;
    for (const m of resourceNameProblems(name, resourceNameRules.quota)) out.push(field.invalid(p, name, m));
    const q = tryParseQuantity(raw);
    if (q === undefined) out.push(field.invalid(p, raw, 'must be a valid quantity'));
    else if (q.sign < 0) out.push(field.invalid(p, q.toString(), 'must be greater than or equal to 0'));
    else if (isIntegerResourceName(name) && q.nanos % 1_000_000_000n !== 0n) out.push(field.invalid(p, q.toString(), 'must be an integer'));
  }
  return out;
}

/** validateResourceQuotaScopes */
function validateScopes(spec: any): FieldError[] {
  const scopes: unknown = spec?.scopes;
  if (scopes === undefined || scopes === null) return [];
  if (!Array.isArray(scopes)) return [field.invalid('spec.scopes', scopes, 'must be a list')];
  const out: FieldError[] = [];
  const hard = Object.keys(spec?.hard ?? {}).sort();
  for (const scope of scopes) {
    if (!quotaScopes.includes(scope)) out.push(field.invalid('spec.scopes', scopes, 'unsupported scope'));
    else if (hard.some((k) => !scopeValidForResource(scope, k))) out.push(field.invalid('spec.scopes', scopes, 'unsupported scope applied to resource'));
  }
  for (const [a, b] of [
    ['BestEffort', 'NotBestEffort'],
    ['Terminating', 'NotTerminating'],
  ]) {
    if (scopes.includes(a) && scopes.includes(b)) out.push(field.invalid('spec.scopes', scopes, 'conflicting scopes'));
  }
  return out;
}

/** validateScopeSelector */
function validateScopeSelector(spec: any): FieldError[] {
  const sel = spec?.scopeSelector;
  if (sel === undefined || sel === null) return [];
  const out: FieldError[] = [];
  const exprs: unknown = sel.matchExpressions;
  if (exprs !== undefined && !Array.isArray(exprs)) return [field.invalid('spec.scopeSelector.matchExpressions', exprs, 'must be a list')];
  const hard = Object.keys(spec?.hard ?? {}).sort();
  (exprs ?? []).forEach((e: any, i: number) => {
    const p = `spec.scopeSelector.matchExpressions[${i}]`;
    if (!quotaScopes.includes(e?.scopeName)) {
      out.push(field.invalid(`${p}.scopeName`, e?.scopeName, 'unsupported scope'));
      return;
    }
    if (hard.some((k) => !scopeValidForResource(e.scopeName, k)))
      out.push(field.invalid(`${p}.scopeName`, e.scopeName, 'unsupported scope applied to resource'));
    const values: unknown[] = Array.isArray(e.values) ? e.values : [];
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (e.scopeName !== 'PriorityClass') {
          out.push(
            field.invalid(
              `${p}.operator`,
              e.operator,
              "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
            ),
          );
        } else if (values.length === 0) {
          out.push(field.invalid(`${p}.values`, e.values ?? null, "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0)
          out.push(field.invalid(`${p}.values`, e.values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
        break;
      default:
        out.push(field.notSupported(`${p}.operator`, e?.operator, ['DoesNotExist', 'Exists', 'In', 'NotIn']));
    }
  });
  return out;
}

export const resourcequotas: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ResourceQuota',
  resource: 'resourcequotas',
  singular: 'resourcequota',
  shortNames: ['quota'],
  namespaced: true,
  subresources: ['status'],

  validate(obj: KObject) {
    return [
      ...validateMetaFor(obj, true, nameIsDnsSubdomain),
      ...validateQuotaList(obj.spec?.hard, 'spec.hard'),
      ...validateScopes(obj.spec),
      ...validateScopeSelector(obj.spec),
      ...validateQuotaList(obj.status?.hard, 'status.hard'),
      ...validateQuotaList(obj.status?.used, 'status.used'),
    ];
  },

  prepareForCreate(obj) {
    obj.status = {};
  },
  prepareForUpdate(obj, old) {
    keepOldStatus(obj, old);
  },
  prepareForStatusUpdate: takeStatusOnly,
};
