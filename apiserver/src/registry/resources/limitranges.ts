// core/v1 LimitRange: per-namespace defaults and bounds for containers, pods and claims.
// The LimitRanger admission plugin applies them; this file stores and validates them.
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { type Quantity, parseQuantity, tryParseQuantity } from '@skiff/common/apimachinery/quantity';
import { resourceNameProblems, resourceNameRules } from '@skiff/common/quota/resource-names';
import { validateMetaFor } from './shared/meta-rules.ts';

type QuantityMap = Map<string, Quantity>;

/** SetDefaults_LimitRangeItem: for containers, default limit ← max, default request ← default limit, then ← min. */
function defaultItem(item: any): void {
  if (!item || typeof item !== 'object' || item.type !== 'Container') return;
  item.default ??= {};
  item.defaultRequest ??= {};
  for (const [k, v] of Object.entries(item.max ?? {})) item.default[k] ??= v;
  for (const [k, v] of Object.entries(item.default)) item.defaultRequest[k] ??= v;
  for (const [k, v] of Object.entries(item.min ?? {})) item.defaultRequest[k] ??= v;
  if (Object.keys(item.default).length === 0) delete item.default;
  if (Object.keys(item.defaultRequest).length === 0) delete item.defaultRequest;
}

function readList(list: unknown, path: string, type: string, out: FieldError[], keys: Set<string>): QuantityMap {
  const values: QuantityMap = new Map();
  if (list === undefined || list === null) return values;
  if (typeof list !== 'object' || Array.isArray(list)) {
    out.push(field.invalid(path, list, 'must be a map of resource name to quantity'));
    return values;
  }
  const rule = type === 'Pod' || type === 'Container' ? resourceNameRules.container : resourceNameRules.any;
  for (const [name, raw] of Object.entries(list as Record<string, unknown>)) {
    const p = `${path}[${name}]`;
    for (const m of resourceNameProblems(name, rule)) out.push(field.invalid(p, name, m));
    const q = tryParseQuantity(raw);
    if (q === undefined) {
      out.push(field.invalid(p, raw, 'must be a valid quantity'));
      continue;
    }
    keys.add(name);
    values.set(name, q);
  }
  return values;
}

/** The comparisons ValidateLimitRange makes between min, max, default, defaultRequest and the ratio. */
function compareBounds(k: string, base: string, m: Record<string, QuantityMap>, out: FieldError[]): void {
  const min = m.min.get(k);
  const max = m.max.get(k);
  const def = m.default.get(k);
  const req = m.defaultRequest.get(k);
  const ratio = m.maxLimitRequestRatio.get(k);
  const at = (part: string) => `${base}.${part}[${k}]`;
  if (min && max && min.cmp(max) > 0) out.push(field.invalid(at('min'), min.toString(), `min value ${min} is greater than max value ${max}`));
  if (req && min && min.cmp(req) > 0)
    out.push(field.invalid(at('defaultRequest'), req.toString(), `min value ${min} is greater than default request value ${req}`));
  if (req && max && req.cmp(max) > 0)
    out.push(field.invalid(at('defaultRequest'), req.toString(), `default request value ${req} is greater than max value ${max}`));
  if (req && def && req.cmp(def) > 0) {
    out.push(field.invalid(at('defaultRequest'), req.toString(), `default request value ${req} is greater than default limit value ${def}`));
  }
  if (def && min && min.cmp(def) > 0) out.push(field.invalid(at('default'), min.toString(), `min value ${min} is greater than default value ${def}`));
  if (def && max && def.cmp(max) > 0) out.push(field.invalid(at('default'), max.toString(), `default value ${def} is greater than max value ${max}`));
  if (ratio && ratio.cmp(parseQuantity(1)) < 0) out.push(field.invalid(at('maxLimitRequestRatio'), ratio.toString(), `ratio ${ratio} is less than 1`));
  if (ratio && min && max && !min.isZero()) {
    const limit = max.asApproximateFloat64() / min.asApproximateFloat64();
    if (ratio.asApproximateFloat64() > limit) {
      out.push(field.invalid(at('maxLimitRequestRatio'), ratio.toString(), `ratio ${ratio} is greater than max/min = ${limit.toFixed(6)}`));
    }
  }
}

function validateItem(item: any, base: string, seenTypes: Set<string>, out: FieldError[]): void {
  if (!item || typeof item !== 'object') {
    out.push(field.invalid(base, item, 'must be an object'));
    return;
  }
  const type = item.type;
  if (typeof type !== 'string' || type === '') out.push(field.required(`${base}.type`));
  else {
    if (seenTypes.has(type)) out.push(field.duplicate(`${base}.type`, type));
    seenTypes.add(type);
    for (const m of resourceNameProblems(type, { standard: () => true, message: '' })) out.push(field.invalid(`${base}.type`, type, m));
  }
  const keys = new Set<string>();
  const m: Record<string, QuantityMap> = {
    max: readList(item.max, `${base}.max`, type, out, keys),
    min: readList(item.min, `${base}.min`, type, out, keys),
    default: new Map(),
    defaultRequest: new Map(),
    maxLimitRequestRatio: new Map(),
  };
  if (type === 'Pod') {
    if (item.default && Object.keys(item.default).length > 0) {
      out.push(field.forbidden(`${base}.default`, "may not be specified when `type` is 'Pod'"));
    }
    if (item.defaultRequest && Object.keys(item.defaultRequest).length > 0) {
      out.push(field.forbidden(`${base}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
    }
  } else {
    m.default = readList(item.default, `${base}.default`, type, out, keys);
    m.defaultRequest = readList(item.defaultRequest, `${base}.defaultRequest`, type, out, keys);
  }
  if (type === 'PersistentVolumeClaim') {
    const hasStorage = m.min.has('storage') || m.max.has('storage');
    if (!hasStorage) out.push(field.required(`${base}.limits`, 'either minimum or maximum storage value is required, but neither was provided'));
  }
  m.maxLimitRequestRatio = readList(item.maxLimitRequestRatio, `${base}.maxLimitRequestRatio`, type, out, keys);
  for (const k of [...keys].sort()) compareBounds(k, base, m, out);
}

export const limitranges: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'LimitRange',
  resource: 'limitranges',
  singular: 'limitrange',
  shortNames: ['limits'],
  namespaced: true,

  defaults(obj) {
    for (const item of Array.isArray(obj.spec?.limits) ? obj.spec.limits : []) defaultItem(item);
  },

  validate(obj) {
    const out = validateMetaFor(obj, true, nameIsDnsSubdomain);
    const limits = obj.spec?.limits;
    if (limits !== undefined && limits !== null && !Array.isArray(limits)) {
      out.push(field.invalid('spec.limits', limits, 'must be a list'));
      return out;
    }
    const seenTypes = new Set<string>();
    (limits ?? []).forEach((item: any, i: number) => validateItem(item, `spec.limits[${i}]`, seenTypes, out));
    return out;
  },
};
