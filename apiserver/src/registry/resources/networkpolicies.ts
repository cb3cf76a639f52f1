// networking.k8s.io/v1 NetworkPolicy: which pods may talk to the pods a policy selects. The
// apiserver only stores and validates them (upstream's pkg/apis/networking/validation); every
// node's proxy enforces them (proxy/src/netpol/).
import { isIP } from 'node:net';
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import { checkPortName, nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateLabelSelector } from '@skiff/common/apimachinery/object-meta';
import type { ResourceDef } from '../types.ts';
import { ipv4ToNumber } from '../allocators/ranges.ts';
import { isValidPortNum, portRangeMessage, protocols } from '../validation/ports.ts';
import { validateMetaFor } from './shared/meta-rules.ts';
import { specDiffers } from './shared/status-split.ts';

export const policyTypes = ['Ingress', 'Egress'];

interface ParsedCidr {
  family: 4 | 6;
  bits: number;
  /** IPv4 network address (host bits cleared); IPv6 blocks are checked for syntax only */
  base?: number;
}

/** netutils.ParseCIDRSloppy: an address, a slash and a prefix length within the family's size. */
export function parseCidr(text: unknown): ParsedCidr | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const family = isIP(m[1]!);
  const bits = Number(m[2]);
  if (family === 4) {
    const n = ipv4ToNumber(m[1]!);
    if (n === undefined || bits > 32) return undefined;
    const size = 2 ** (32 - bits);
    return { family, bits, base: n - (n % size) };
  }
  if (family === 6 && bits <= 128) return { family, bits };
  return undefined;
}

function validateCidr(value: unknown, path: string): FieldError[] {
  return parseCidr(value) ? [] : [field.invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
}

/** ValidateIPBlock: a cidr, and excepts that are strict subsets of it. */
function validateIPBlock(block: any, path: string): FieldError[] {
  if (!block || typeof block !== 'object') return [field.invalid(path, block, 'must be an object')];
  if (block.cidr === undefined || block.cidr === null || block.cidr === '') return [field.required(`${path}.cidr`)];
  const bad = validateCidr(block.cidr, `${path}.cidr`);
  if (bad.length) return bad;
  const cidr = parseCidr(block.cidr)!;
  const out: FieldError[] = [];
  if (block.except != null && !Array.isArray(block.except)) return [field.invalid(`${path}.except`, block.except, 'must be a list')];
  (block.except ?? []).forEach((text: unknown, i: number) => {
    const p = `${path}.except[${i}]`;
    const errs = validateCidr(text, p);
    if (errs.length) return out.push(...errs);
    const ex = parseCidr(text)!;
    const inside =
      ex.family === cidr.family &&
      ex.bits > cidr.bits &&
      (cidr.family === 6 || Math.floor(ex.base! / 2 ** (32 - cidr.bits)) === Math.floor(cidr.base! / 2 ** (32 - cidr.bits)));
    if (!inside) out.push(field.invalid(p, text, 'must be a strict subset of `cidr`'));
  });
  return out;
}

/** ValidateNetworkPolicyPort: protocol, a numeric or named port, endPort only after a numeric port. */
function validatePort(port: any, path: string): FieldError[] {
  if (!port || typeof port !== 'object') return [field.invalid(path, port, 'must be an object')];
  const out: FieldError[] = [];
  if (port.protocol != null && !protocols.includes(port.protocol)) out.push(field.notSupported(`${path}.protocol`, port.protocol, ['TCP', 'UDP', 'SCTP']));
  const hasEnd = port.endPort != null;
  if (port.port == null) {
    if (hasEnd) out.push(field.invalid(`${path}.endPort`, port.endPort, 'may not be specified when `port` is not specified'));
  } else if (typeof port.port === 'number') {
    if (!isValidPortNum(port.port)) out.push(field.invalid(`${path}.port`, port.port, portRangeMessage));
    if (hasEnd) {
      if (typeof port.endPort === 'number' && port.endPort < port.port) {
        out.push(field.invalid(`${path}.endPort`, port.port, 'must be greater than or equal to `port`'));
      }
      if (!isValidPortNum(port.endPort)) out.push(field.invalid(`${path}.endPort`, port.endPort, portRangeMessage));
    }
  } else if (typeof port.port === 'string') {
    if (hasEnd) out.push(field.invalid(`${path}.endPort`, port.endPort, 'may not be specified when `port` is non-numeric'));
    for (const msg of checkPortName(port.port)) out.push(field.invalid(`${path}.port`, port.port, msg));
  } else {
    out.push(field.invalid(`${path}.port`, port.port, 'must be an integer or a string'));
  }
  return out;
}

/** ValidateNetworkPolicyPeer: one of the selectors (both allowed together) or an ipBlock alone. */
function validatePeer(peer: any, path: string): FieldError[] {
  if (!peer || typeof peer !== 'object') return [field.required(path, 'must specify a peer')];
  const out: FieldError[] = [];
  let peers = 0;
  if (peer.podSelector != null) {
    peers++;
    out.push(...validateLabelSelector(peer.podSelector, `${path}.podSelector`));
  }
  if (peer.namespaceSelector != null) {
    peers++;
    out.push(...validateLabelSelector(peer.namespaceSelector, `${path}.namespaceSelector`));
  }
  if (peer.ipBlock != null) {
    peers++;
    out.push(...validateIPBlock(peer.ipBlock, `${path}.ipBlock`));
  }
  if (peers === 0) out.push(field.required(path, 'must specify a peer'));
  else if (peers > 1 && peer.ipBlock != null) out.push(field.forbidden(path, 'may not specify both ipBlock and another peer'));
  return out;
}

function validateRules(rules: unknown, path: string, peersKey: 'from' | 'to'): FieldError[] {
  if (rules == null) return [];
  if (!Array.isArray(rules)) return [field.invalid(path, rules, 'must be a list')];
  const out: FieldError[] = [];
  rules.forEach((rule: any, i) => {
    const p = `${path}[${i}]`;
    if (!rule || typeof rule !== 'object') return out.push(field.invalid(p, rule, 'must be an object'));
    for (const [key, check] of [
      ['ports', validatePort],
      [peersKey, validatePeer],
    ] as const) {
      const list = rule[key];
      if (list == null) continue;
      if (!Array.isArray(list)) out.push(field.invalid(`${p}.${key}`, list, 'must be a list'));
      else list.forEach((item: unknown, j: number) => out.push(...check(item, `${p}.${key}[${j}]`)));
    }
  });
  return out;
}

/** ValidateNetworkPolicySpec. */
export function validateNetworkPolicySpec(spec: any): FieldError[] {
  if (!spec || typeof spec !== 'object') return [field.required('spec')];
  const out: FieldError[] = [];
  out.push(...validateLabelSelector(spec.podSelector, 'spec.podSelector'));
  out.push(...validateRules(spec.ingress, 'spec.ingress', 'from'));
  out.push(...validateRules(spec.egress, 'spec.egress', 'to'));
  if (spec.policyTypes != null) {
    if (!Array.isArray(spec.policyTypes)) return [...out, field.invalid('spec.policyTypes', spec.policyTypes, 'must be a list')];
    if (spec.policyTypes.length > policyTypes.length)
      out.push(field.invalid('spec.policyTypes', spec.policyTypes, 'may not specify more than two policyTypes'));
    spec.policyTypes.forEach((t: unknown, i: number) => {
      if (!policyTypes.includes(t as string)) out.push(field.notSupported(`spec.policyTypes[${i}]`, t, policyTypes));
    });
  }
  return out;
}

/** SetDefaults_NetworkPolicy: protocol TCP on every port; policyTypes from the rules present. */
export function defaultNetworkPolicy(spec: any): void {
  if (!spec || typeof spec !== 'object') return;
  spec.podSelector ??= {};
  for (const list of [spec.ingress, spec.egress]) {
    if (!Array.isArray(list)) continue;
    for (const rule of list) {
      for (const port of Array.isArray(rule?.ports) ? rule.ports : []) {
        if (port && typeof port === 'object' && port.protocol == null) port.protocol = 'TCP';
      }
    }
  }
  if (spec.policyTypes == null || (Array.isArray(spec.policyTypes) && spec.policyTypes.length === 0)) {
    const types = ['Ingress'];
    if (Array.isArray(spec.egress) && spec.egress.length > 0) types.push('Egress');
    spec.policyTypes = types;
  }
}

export const networkpolicies: ResourceDef = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  resource: 'networkpolicies',
  singular: 'networkpolicy',
  shortNames: ['netpol'],
  namespaced: true,

  validate(obj) {
    return [...validateMetaFor(obj, true, nameIsDnsSubdomain), ...validateNetworkPolicySpec(obj.spec)];
  },
  defaults(obj) {
    defaultNetworkPolicy(obj.spec);
  },
  specChanged: specDiffers,
};
