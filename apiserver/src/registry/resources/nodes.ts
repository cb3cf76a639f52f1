// core/v1 Node: cluster-scoped, spec written by admins, status by the kubelet.
import { field } from '../../errors.ts';
import type { ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain, isValidIPv4 } from '@skiff/common/apimachinery/names';
import { validateTaints } from '../validation/pod-spec.ts';
import { keepOldStatus, takeStatusOnly } from './shared/status-split.ts';
import { validateMetaFor } from './shared/meta-rules.ts';

const addressTypes = ['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS'];

function validCidr(c: unknown): boolean {
  if (typeof c !== 'string') return false;
  const [ip, bits, ...rest] = c.split('/');
  return rest.length === 0 && ((isValidIPv4(ip) && /^[0-9]+$/.test(bits ?? '') && Number(bits) <= 32) || (ip.includes(':') && /^[0-9]+$/.test(bits ?? '')));
}

export const nodes: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Node',
  resource: 'nodes',
  singular: 'node',
  shortNames: ['no'],
  namespaced: false,
  subresources: ['status', 'proxy'],

  defaults(obj) {
    obj.spec ??= {};
    if (obj.status?.allocatable === undefined && obj.status?.capacity) obj.status.allocatable = structuredClone(obj.status.capacity);
  },

  validate(obj) {
    const out = validateMetaFor(obj, false, nameIsDnsSubdomain);
    out.push(...validateTaints(obj.spec?.taints, 'spec.taints'));
    if (obj.spec?.podCIDR && !validCidr(obj.spec.podCIDR)) out.push(field.invalid('spec.podCIDR', obj.spec.podCIDR, 'must be a valid CIDR'));
    (obj.spec?.podCIDRs ?? []).forEach((c: unknown, i: number) => {
      if (!validCidr(c)) out.push(field.invalid(`spec.podCIDRs[${i}]`, c, 'must be a valid CIDR'));
    });
    (obj.status?.addresses ?? []).forEach((a: any, i: number) => {
      if (!addressTypes.includes(a?.type)) out.push(field.notSupported(`status.addresses[${i}].type`, a?.type, addressTypes));
    });
    return out;
  },

  validateUpdate(obj, old) {
    const out = [];
    // a node keeps the pod CIDR it was given
    if (old.spec?.podCIDR && obj.spec?.podCIDR !== old.spec.podCIDR) {
      out.push(field.forbidden('spec.podCIDR', 'node updates may not change podCIDR except from "" to valid'));
    }
    if (old.spec?.providerID && obj.spec?.providerID !== old.spec.providerID) {
      out.push(field.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
    }
    return out;
  },

  prepareForCreate(obj) {
    // a new node reports itself; keep what it sent but never a stale phase
    if (obj.status) delete obj.status.phase;
  },

  prepareForUpdate(obj, old) {
    keepOldStatus(obj, old);
  },
  prepareForStatusUpdate: takeStatusOnly,

  selectableFields(obj) {
    return { 'spec.unschedulable': String(!!obj.spec?.unschedulable) };
  },
};
