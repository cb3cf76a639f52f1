// discovery.k8s.io/v1 EndpointSlice.
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { ResourceDef } from '../types.ts';
import { checkDns1123Label, checkDns1123Subdomain, isValidIPv4, nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validatePortNumber, validateProtocol } from '../validation/ports.ts';
import { validateImmutable } from '@skiff/common/apimachinery/object-meta';
import { validateMetaFor } from './shared/meta-rules.ts';

const addressTypes = ['IPv4', 'IPv6', 'FQDN'];
const maxEndpoints = 1000;
const maxAddresses = 100;

function validateAddress(type: string, a: unknown, path: string): FieldError[] {
  if (typeof a !== 'string') return [field.invalid(path, a, 'must be a string')];
  if (type === 'IPv4' && !isValidIPv4(a)) return [field.invalid(path, a, 'must be a valid IPv4 address')];
  if (type === 'IPv6' && !a.includes(':')) return [field.invalid(path, a, 'must be a valid IPv6 address')];
  if (type === 'FQDN') return checkDns1123Subdomain(a).map((m) => field.invalid(path, a, m));
  return [];
}

export const endpointslices: ResourceDef = {
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  resource: 'endpointslices',
  singular: 'endpointslice',
  namespaced: true,
  allowCreateOnUpdate: true,

  defaults(obj) {
    for (const p of obj.ports ?? []) if (p && typeof p === 'object') p.protocol ??= 'TCP';
  },

  validate(obj) {
    const out = validateMetaFor(obj, true, nameIsDnsSubdomain);
    const type = obj.addressType;
    if (!type) out.push(field.required('addressType'));
    else if (!addressTypes.includes(type)) out.push(field.notSupported('addressType', type, addressTypes));
    const eps: any[] = obj.endpoints ?? [];
    if (eps.length > maxEndpoints)
      out.push({ type: 'FieldValueTooMany', field: 'endpoints', value: eps.length, detail: `must have at most ${maxEndpoints} items` });
    eps.forEach((ep, i) => {
      const p = `endpoints[${i}]`;
      const addrs: unknown[] = ep?.addresses ?? [];
      if (addrs.length === 0) out.push(field.required(`${p}.addresses`, 'must contain at least 1 address'));
      if (addrs.length > maxAddresses)
        out.push({ type: 'FieldValueTooMany', field: `${p}.addresses`, value: addrs.length, detail: `must have at most ${maxAddresses} items` });
      addrs.forEach((a, j) => out.push(...validateAddress(type, a, `${p}.addresses[${j}]`)));
      if (ep?.hostname) for (const m of checkDns1123Label(ep.hostname)) out.push(field.invalid(`${p}.hostname`, ep.hostname, m));
      if (ep?.nodeName) for (const m of checkDns1123Subdomain(ep.nodeName)) out.push(field.invalid(`${p}.nodeName`, ep.nodeName, m));
    });
    const names = new Set<string>();
    (obj.ports ?? []).forEach((port: any, i: number) => {
      const p = `ports[${i}]`;
      const name = port?.name ?? '';
      if (name) for (const m of checkDns1123Label(name)) out.push(field.invalid(`${p}.name`, name, m));
      if (names.has(name)) out.push(field.duplicate(`${p}.name`, name));
      names.add(name);
      if (port?.port !== undefined && port.port !== null) out.push(...validatePortNumber(port.port, `${p}.port`));
      out.push(...validateProtocol(port?.protocol, `${p}.protocol`));
    });
    return out;
  },

  validateUpdate(obj, old) {
    return validateImmutable(obj.addressType, old.addressType, 'addressType');
  },
};
