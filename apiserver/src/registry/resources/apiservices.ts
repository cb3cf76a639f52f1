// apiregistration.k8s.io/v1 APIService: which server answers a group/version. Without
// spec.service the apiserver serves it itself ("Local"); with one, the aggregator proxies the
// group/version to that Service (apiserver/src/aggregator/). The availability controller
// writes status.conditions[type=Available].
import { checkDns1035Label, checkDns1123Subdomain, nameIsPathSegment } from '@skiff/common/apimachinery/names';
import { field, type FieldError } from '../../errors.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { validateMetaFor } from './shared/meta-rules.ts';
import { keepOldStatus, specDiffers, takeStatusOnly } from './shared/status-split.ts';

const conditionStatuses = ['True', 'False', 'Unknown'];

/** The name kube requires: `<version>.<group>` (`v1.` for the legacy group, as kube's autoregister names it). */
export function apiServiceName(group: string, version: string): string {
  return `${version}.${group}`;
}

function validPort(p: unknown): boolean {
  return typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 65535;
}

function isBase64(s: unknown): boolean {
  return typeof s === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0;
}

/** ValidateAPIService of kube-aggregator: name, group and version, priorities, the service reference. */
function validateApiService(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const group = typeof spec.group === 'string' ? spec.group : '';
  const version = typeof spec.version === 'string' ? spec.version : '';
  const required = apiServiceName(group, version);
  const out = validateMetaFor(obj, false, (name, prefix) => {
    const segment = nameIsPathSegment(name, prefix);
    if (segment.length) return segment;
    return name === required ? [] : [`must be \`spec.version+"."+spec.group\`: "${required}"`];
  });
  // only the legacy group may be empty, and only as v1
  if (group === '' && version !== 'v1') out.push(field.required('spec.group', 'only v1 may have an empty group and it better be legacy kube'));
  if (group !== '') for (const msg of checkDns1123Subdomain(group)) out.push(field.invalid('spec.group', group, msg));
  for (const msg of checkDns1035Label(version)) out.push(field.invalid('spec.version', version, msg));
  const gpm = spec.groupPriorityMinimum;
  if (!(typeof gpm === 'number' && gpm > 0 && gpm <= 20000)) {
    out.push(field.invalid('spec.groupPriorityMinimum', gpm ?? 0, 'must be positive and less than 20000'));
  }
  const vp = spec.versionPriority;
  if (!(typeof vp === 'number' && vp > 0 && vp <= 1000)) out.push(field.invalid('spec.versionPriority', vp ?? 0, 'must be positive and less than 1000'));
  const caBundle = spec.caBundle;
  if (caBundle != null && !isBase64(caBundle)) out.push(field.invalid('spec.caBundle', '<bytes>', 'must be base64-encoded PEM'));
  const caBytes = isBase64(caBundle) ? Buffer.from(caBundle, 'base64').length : 0;
  if (spec.service == null) {
    if (caBytes > 0) out.push(field.invalid('spec.caBundle', `${caBytes} bytes`, 'local APIServices may not have a caBundle'));
    if (spec.insecureSkipTLSVerify === true) {
      out.push(field.invalid('spec.insecureSkipTLSVerify', true, 'local APIServices may not have insecureSkipTLSVerify'));
    }
    return out;
  }
  const svc = spec.service;
  if (!svc.namespace) out.push(field.required('spec.service.namespace', ''));
  if (!svc.name) out.push(field.required('spec.service.name', ''));
  if (!validPort(svc.port)) out.push(field.invalid('spec.service.port', svc.port, 'port is not valid: must be between 1 and 65535, inclusive'));
  if (spec.insecureSkipTLSVerify === true && caBytes > 0) {
    out.push(field.invalid('spec.insecureSkipTLSVerify', true, 'may not be true if caBundle is present'));
  }
  return out;
}

function validateStatus(status: any): FieldError[] {
  const out: FieldError[] = [];
  const conditions = status?.conditions;
  if (!Array.isArray(conditions)) return out;
  conditions.forEach((c: any, i: number) => {
    if (!conditionStatuses.includes(c?.status)) out.push(field.notSupported(`status.conditions[${i}].status`, c?.status ?? '', conditionStatuses));
  });
  return out;
}

/** The Available condition, or undefined before the controller has looked. */
export function availableCondition(obj: KObject): { status: string; reason?: string; message?: string } | undefined {
  return (obj.status?.conditions ?? []).find((c: any) => c?.type === 'Available');
}

export const apiservices: ResourceDef = {
  group: 'apiregistration.k8s.io',
  version: 'v1',
  kind: 'APIService',
  resource: 'apiservices',
  singular: 'apiservice',
  categories: ['api-extensions'],
  namespaced: false,
  subresources: ['status'],

  defaults(obj) {
    // SetDefaults_ServiceReference
    if (obj.spec?.service && typeof obj.spec.service === 'object') obj.spec.service.port ??= 443;
  },

  // every write, create or update, as ValidateAPIService and ValidateAPIServiceUpdate
  validate(obj) {
    return [...validateApiService(obj), ...validateStatus(obj.status)];
  },

  prepareForCreate(obj) {
    obj.status = {};
  },
  prepareForUpdate(obj, old) {
    keepOldStatus(obj, old);
  },
  prepareForStatusUpdate: takeStatusOnly,
  specChanged: specDiffers,
};
