// networking.k8s.io/v1 Ingress: HTTP(S) routes by host and path to Services (or another
// resource), carried out by an ingress controller (Skiff's is ingress/). Rules as
// pkg/apis/networking/validation: pathType required, Exact/Prefix paths absolute and clean,
// hosts DNS names (a leading `*.` allowed), each backend a Service port or a resource.
import { isIP } from 'node:net';
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { ResourceDef } from '../types.ts';
import {
  checkDns1035Label,
  checkDns1123Subdomain,
  checkPathSegmentName,
  checkPortName,
  checkWildcardDns1123Subdomain,
  nameIsDnsSubdomain,
} from '@skiff/common/apimachinery/names';
import { portRangeMessage, isValidPortNum } from '../validation/ports.ts';
import { validateMetaFor } from './shared/meta-rules.ts';
import { keepOldStatus, specDiffers, takeStatusOnly } from './shared/status-split.ts';

export const pathTypes = ['Exact', 'ImplementationSpecific', 'Prefix'];
const invalidPathSequences = ['//', '/./', '/../', '%2f', '%2F'];
const invalidPathSuffixes = ['/..', '/.'];
/** The annotation that named the class before spec.ingressClassName. */
export const ingressClassAnnotation = 'kubernetes.io/ingress.class';

const invalidEach = (path: string, value: unknown, msgs: string[]) => msgs.map((m) => field.invalid(path, value, m));

/** A DNS host, or `*.` and one: `*` anywhere else is refused by the wildcard check. */
function validateHost(host: string, path: string): FieldError[] {
  return invalidEach(path, host, host.includes('*') ? checkWildcardDns1123Subdomain(host) : checkDns1123Subdomain(host));
}

/** validateIngressTypedLocalObjectReference (also IngressClass parameters). */
export function validateTypedLocalRef(ref: any, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (ref.apiGroup != null) out.push(...invalidEach(`${path}.apiGroup`, ref.apiGroup, checkDns1123Subdomain(String(ref.apiGroup))));
  for (const k of ['kind', 'name']) {
    if (!ref[k]) out.push(field.required(`${path}.${k}`));
    else out.push(...invalidEach(`${path}.${k}`, ref[k], checkPathSegmentName(String(ref[k]))));
  }
  return out;
}

function validateBackend(backend: any, path: string): FieldError[] {
  const hasResource = backend?.resource != null;
  const svc = backend?.service;
  if (hasResource && svc != null) return [field.invalid(path, '', 'cannot set both resource and service backends')];
  if (hasResource) return validateTypedLocalRef(backend.resource, `${path}.resource`);
  if (svc == null) return [field.invalid(path, '', 'resource or service backend is required')];
  const out: FieldError[] = [];
  if (!svc.name) out.push(field.required(`${path}.service.name`));
  else out.push(...invalidEach(`${path}.service.name`, svc.name, checkDns1035Label(String(svc.name))));
  const portName = svc.port?.name ?? '';
  const portNumber = svc.port?.number ?? 0;
  if (portName && portNumber) out.push(field.invalid(path, '', 'cannot set both port name & port number'));
  else if (portName) out.push(...invalidEach(`${path}.service.port.name`, portName, checkPortName(String(portName))));
  else if (portNumber) {
    if (!isValidPortNum(portNumber)) out.push(field.invalid(`${path}.service.port.number`, portNumber, portRangeMessage));
  } else out.push(field.required(path, 'port name or number is required'));
  return out;
}

function validatePath(p: any, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (p?.pathType == null) return [field.required(`${path}.pathType`, 'pathType must be specified')];
  const value: string = p.path ?? '';
  if (p.pathType === 'Exact' || p.pathType === 'Prefix') {
    if (!value.startsWith('/')) out.push(field.invalid(`${path}.path`, value, 'must be an absolute path'));
    for (const seq of invalidPathSequences) if (value.includes(seq)) out.push(field.invalid(`${path}.path`, value, `must not contain '${seq}'`));
    for (const suffix of invalidPathSuffixes) if (value.endsWith(suffix)) out.push(field.invalid(`${path}.path`, value, `cannot end with '${suffix}'`));
  } else if (p.pathType === 'ImplementationSpecific') {
    if (value.length > 0 && !value.startsWith('/')) out.push(field.invalid(`${path}.path`, value, 'must be an absolute path'));
  } else {
    out.push(field.notSupported(`${path}.pathType`, p.pathType, pathTypes));
  }
  out.push(...validateBackend(p.backend, `${path}.backend`));
  return out;
}

function validateRules(rules: any[]): FieldError[] {
  const out: FieldError[] = [];
  rules.forEach((rule, i) => {
    const base = `spec.rules[${i}]`;
    const host: string = rule?.host ?? '';
    if (host) {
      if (isIP(host) !== 0) out.push(field.invalid(`${base}.host`, host, 'must be a DNS name, not an IP address'));
      out.push(...validateHost(host, `${base}.host`));
    }
    const http = rule?.http;
    if (http != null) {
      const paths: any[] = http.paths ?? [];
      if (paths.length === 0) out.push(field.required(`${base}.http.paths`));
      paths.forEach((p, j) => out.push(...validatePath(p, `${base}.http.paths[${j}]`)));
    }
  });
  return out;
}

function validateSpec(spec: any): FieldError[] {
  const out: FieldError[] = [];
  const rules: any[] = spec?.rules ?? [];
  if (rules.length === 0 && spec?.defaultBackend == null)
    out.push(field.invalid('spec', spec?.rules ?? null, 'either `defaultBackend` or `rules` must be specified'));
  if (spec?.defaultBackend != null) out.push(...validateBackend(spec.defaultBackend, 'spec.defaultBackend'));
  out.push(...validateRules(rules));
  (spec?.tls ?? []).forEach((tls: any, i: number) => {
    (tls?.hosts ?? []).forEach((h: string, j: number) => out.push(...validateHost(h, `spec.tls[${i}].hosts[${j}]`)));
    if (tls?.secretName) out.push(...invalidEach(`spec.tls[${i}].secretName`, tls.secretName, checkDns1123Subdomain(tls.secretName)));
  });
  if (spec?.ingressClassName != null) {
    out.push(...invalidEach('spec.ingressClassName', spec.ingressClassName, checkDns1123Subdomain(String(spec.ingressClassName))));
  }
  return out;
}

/** ValidateIngressLoadBalancerStatus: addresses an ingress controller reports. */
function validateStatus(status: any): FieldError[] {
  const out: FieldError[] = [];
  (status?.loadBalancer?.ingress ?? []).forEach((ing: any, i: number) => {
    const base = `status.loadBalancer.ingress[${i}]`;
    if (ing?.ip && isIP(ing.ip) === 0) out.push(field.invalid(`${base}.ip`, ing.ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    if (ing?.hostname) {
      out.push(...invalidEach(`${base}.hostname`, ing.hostname, checkDns1123Subdomain(ing.hostname)));
      if (isIP(ing.hostname) !== 0) out.push(field.invalid(`${base}.hostname`, ing.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return out;
}

export const ingresses: ResourceDef = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'Ingress',
  resource: 'ingresses',
  singular: 'ingress',
  shortNames: ['ing'],
  namespaced: true,
  subresources: ['status'],

  validate(obj) {
    const out = [...validateMetaFor(obj, true, nameIsDnsSubdomain), ...validateSpec(obj.spec)];
    const annotated = obj.metadata.annotations?.[ingressClassAnnotation];
    const className = obj.spec?.ingressClassName;
    // Upstream checks this on create only; here updates are held to it too (validate runs on both).
    if (annotated !== undefined && className != null && annotated !== className) {
      out.push(field.invalid(`annotations.${ingressClassAnnotation}`, annotated, 'must match `ingressClassName` when both are specified'));
    }
    return out;
  },

  validateUpdate(obj) {
    return validateStatus(obj.status);
  },

  prepareForCreate(obj) {
    obj.status = { loadBalancer: {} };
  },
  prepareForUpdate(obj, old) {
    keepOldStatus(obj, old);
  },
  prepareForStatusUpdate: takeStatusOnly,
  specChanged: specDiffers,
};
