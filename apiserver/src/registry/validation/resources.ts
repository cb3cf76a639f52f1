// Container resource requirements: names, quantities, requests <= limits.
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import { checkQualifiedName } from '@skiff/common/apimachinery/names';
import { type Quantity, tryParseQuantity } from '@skiff/common/apimachinery/quantity';

const standardResources = new Set(['cpu', 'memory', 'ephemeral-storage', 'storage']);

function validateResourceName(name: string, path: string): FieldError[] {
  const problems = checkQualifiedName(name);
  if (problems.length) return problems.map((m) => field.invalid(path, name, m));
  if (!name.includes('/') && !standardResources.has(name) && !name.startsWith('hugepages-')) {
    return [field.invalid(path, name, 'must be a standard resource type or fully qualified')];
  }
  return [];
}

function validateResourceList(list: unknown, path: string): { errors: FieldError[]; values: Map<string, Quantity> } {
  const errors: FieldError[] = [];
  const values = new Map<string, Quantity>();
  if (list === undefined || list === null) return { errors, values };
  if (typeof list !== 'object' || Array.isArray(list)) return { errors: [field.invalid(path, list, 'must be a map of resource name to quantity')], values };
  for (const [name, q] of Object.entries(list as Record<string, unknown>)) {
    const p = `${path}[${name}]`;
    errors.push(...validateResourceName(name, p));
    const v = tryParseQuantity(q);
    if (v === undefined) {
      errors.push(field.invalid(p, q, 'must be a valid quantity'));
      continue;
    }
    if (v.sign < 0) errors.push(field.invalid(p, q, 'must be greater than or equal to 0'));
    // Go rejects fractional cpu below 1m and any fraction of bytes for memory, we only the obvious
    if (name === 'memory' && v.nanos % 1_000_000_000n !== 0n && typeof q === 'string' && !q.endsWith('m')) {
      errors.push(field.invalid(p, q, 'must be an integer'));
    }
    values.set(name, v);
  }
  return { errors, values };
}

export function validateResourceRequirements(res: any, path: string): FieldError[] {
  if (!res) return [];
  const limits = validateResourceList(res.limits, `${path}.limits`);
  const requests = validateResourceList(res.requests, `${path}.requests`);
  const out = [...limits.errors, ...requests.errors];
  for (const [name, req] of requests.values) {
    const lim = limits.values.get(name);
    if (lim !== undefined && req.cmp(lim) > 0) {
      out.push(field.invalid(`${path}.requests`, res.requests[name], `must be less than or equal to ${name} limit of ${res.limits[name]}`));
    }
  }
  return out;
}
