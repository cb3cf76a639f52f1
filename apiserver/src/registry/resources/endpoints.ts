// core/v1 Endpoints: addresses and ports of a Service's backends.
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { ResourceDef } from '../types.ts';
import { checkDns1123Label, isValidIPv4, nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validatePortNumber, validateProtocol } from '../validation/ports.ts';
import { validateMetaFor } from './shared/meta-rules.ts';

function validateSubsets(subsets: unknown): FieldError[] {
  if (!Array.isArray(subsets)) return [];
  const out: FieldError[] = [];
  subsets.forEach((ss: any, i: number) => {
    const p = `subsets[${i}]`;
    for (const key of ['addresses', 'notReadyAddresses'] as const) {
      (ss?.[key] ?? []).forEach((a: any, j: number) => {
        if (!a?.ip) out.push(field.required(`${p}.${key}[${j}].ip`));
        else if (!isValidIPv4(a.ip) && !a.ip.includes(':'))
          out.push(field.invalid(`${p}.${key}[${j}].ip`, a.ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
        if (a?.hostname) for (const m of checkDns1123Label(a.hostname)) out.push(field.invalid(`${p}.${key}[${j}].hostname`, a.hostname, m));
      });
    }
    const ports: any[] = ss?.ports ?? [];
    ports.forEach((port, j) => {
      const pp = `${p}.ports[${j}]`;
      if (ports.length > 1 && !port?.name) out.push(field.required(`${pp}.name`));
      if (port?.name) for (const m of checkDns1123Label(port.name)) out.push(field.invalid(`${pp}.name`, port.name, m));
      out.push(...validatePortNumber(port?.port, `${pp}.port`));
      out.push(...validateProtocol(port?.protocol, `${pp}.protocol`));
    });
  });
  return out;
}

export const endpoints: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  resource: 'endpoints',
  singular: 'endpoints',
  shortNames: ['ep'],
  namespaced: true,
  allowCreateOnUpdate: true,

  defaults(obj) {
    for (const ss of obj.subsets ?? []) for (const p of ss?.ports ?? []) if (p && typeof p === 'object') p.protocol ??= 'TCP';
  },

  validate(obj) {
    return [...validateMetaFor(obj, true, nameIsDnsSubdomain), ...validateSubsets(obj.subsets)];
  },
};
