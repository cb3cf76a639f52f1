// certificates.k8s.io/v1 CertificateSigningRequest: cluster-scoped, with /status (the signer
// writes status.certificate) and /approval (approvers add Approved or Denied), strategies as
// Kubernetes' pkg/registry/certificates: the spec is the requester's and never changes; who
// asked (username, uid, groups) is filled in by the server, never taken from the client.
import { X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import type { x509 as X509Library } from '@skiff/common/bootstrap/x509';
import { field, type FieldError } from '../../errors.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { dns1123SubdomainFmt, nameIsDnsSubdomain, qualifiedNameFmt } from '@skiff/common/apimachinery/names';
import { validateImmutable } from '@skiff/common/apimachinery/object-meta';
import { validateMetaFor } from './shared/meta-rules.ts';

/** Every key usage and extended key usage name the API knows (certificates/v1 KeyUsage). */
export const KEY_USAGES = [
  'signing',
  'digital signature',
  'content commitment',
  'key encipherment',
  'key agreement',
  'data encipherment',
  'cert sign',
  'crl sign',
  'encipher only',
  'decipher only',
  'any',
  'server auth',
  'client auth',
  'code signing',
  'email protection',
  's/mime',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'timestamping',
  'ocsp signing',
  'microsoft sgc',
  'netscape sgc',
];

/** The condition types whose presence is the decision: added through /approval only, never removed. */
const DECISIONS = ['Approved', 'Denied'];

/** `example.com/signer-name`: a DNS subdomain, then a qualified name, then optional path segments. */
const signerNameRe = new RegExp(`^(${dns1123SubdomainFmt})/(${qualifiedNameFmt})(/[A-Za-z0-9_.-]+)*$`);

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

// @peculiar/x509 (and the polyfill it needs) takes a tenth of a second of CPU to load, in every
// apiserver start, and only a CSR's creation needs it: it is loaded then, with require() of the ES
// module, which is synchronous as validation is. A certificate is parsed by node's own X.509.
const requireModule = createRequire(import.meta.url);
let x509Library: typeof X509Library | undefined;
const pkcs10 = () => (x509Library ??= (requireModule('@skiff/common/bootstrap/x509') as { x509: typeof X509Library }).x509);

function pemOf(b64: unknown): string | undefined {
  return typeof b64 === 'string' ? Buffer.from(b64, 'base64').toString('utf8') : undefined;
}

function validateRequest(request: unknown): FieldError[] {
  if (request === undefined || request === null || request === '') return [field.required('spec.request')];
  const pem = pemOf(request);
  const block = pem?.match(/-----BEGIN ([A-Z ]+)-----/);
  if (!block) return [field.invalid('spec.request', '<PEM data>', 'PEM block type must be CERTIFICATE REQUEST')];
  if (block[1] !== 'CERTIFICATE REQUEST') return [field.invalid('spec.request', '<PEM data>', 'PEM block type must be CERTIFICATE REQUEST')];
  try {
    new (pkcs10().Pkcs10CertificateRequest)(pem!);
  } catch (e) {
    return [field.invalid('spec.request', '<PEM data>', `x509: malformed certificate request: ${(e as Error).message}`)];
  }
  return [];
}

function validateSpec(spec: any): FieldError[] {
  const out: FieldError[] = [];
  if (!spec || typeof spec !== 'object') return [field.required('spec')];
  out.push(...validateRequest(spec.request));
  if (!spec.signerName) out.push(field.required('spec.signerName'));
  else if (typeof spec.signerName !== 'string' || !signerNameRe.test(spec.signerName)) {
    out.push(field.invalid('spec.signerName', spec.signerName, "must be a fully qualified domain and path of the form 'example.com/signer-name'"));
  }
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds !== null) {
    if (!Number.isInteger(spec.expirationSeconds) || spec.expirationSeconds < 600) {
      out.push(field.invalid('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 600 seconds (10 minutes)'));
    }
  }
  const usages = spec.usages ?? [];
  if (!Array.isArray(usages) || usages.length === 0) out.push(field.required('spec.usages'));
  else {
    const seen = new Set<string>();
    usages.forEach((u: unknown, i: number) => {
      if (typeof u !== 'string' || !KEY_USAGES.includes(u)) out.push(field.notSupported(`spec.usages[${i}]`, u, KEY_USAGES));
      else if (seen.has(u)) out.push(field.duplicate(`spec.usages[${i}]`, u));
      else seen.add(u);
    });
  }
  return out;
}

function validateStatus(status: any): FieldError[] {
  const out: FieldError[] = [];
  if (!status) return out;
  const conditions: any[] = Array.isArray(status.conditions) ? status.conditions : [];
  const types = new Set<string>();
  conditions.forEach((c, i) => {
    const p = `status.conditions[${i}]`;
    if (!c?.type) {
      out.push(field.required(`${p}.type`));
      return;
    }
    if (DECISIONS.includes(c.type) || c.type === 'Failed') {
      if (types.has(c.type)) out.push(field.duplicate(`${p}.type`, c.type));
      if (c.status !== 'True') out.push(field.notSupported(`${p}.status`, c.status, ['True']));
    } else if (!['True', 'False', 'Unknown'].includes(c.status)) {
      out.push(field.notSupported(`${p}.status`, c.status, ['False', 'True', 'Unknown']));
    }
    types.add(c.type);
  });
  if (types.has('Approved') && types.has('Denied')) {
    out.push(field.invalid('status.conditions', 'Approved', 'Approved and Denied conditions are mutually exclusive'));
  }
  if (status.certificate) {
    const pem = pemOf(status.certificate) ?? '';
    const blocks = pem.match(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g) ?? [];
    if (!blocks.length) out.push(field.invalid('status.certificate', '<certificate data>', 'must contain at least one CERTIFICATE PEM block'));
    for (const b of blocks) {
      if (!b.startsWith('-----BEGIN CERTIFICATE-----')) {
        out.push(field.invalid('status.certificate', '<certificate data>', 'only CERTIFICATE PEM blocks are allowed'));
        break;
      }
      try {
        new X509Certificate(b);
      } catch (e) {
        out.push(field.invalid('status.certificate', '<certificate data>', `failed to parse certificate: ${(e as Error).message}`));
        break;
      }
    }
    if (!types.has('Approved')) out.push(field.forbidden('status.certificate', 'certificate can only be set if the Approved condition is present'));
    if (types.has('Denied') || types.has('Failed'))
      out.push(field.forbidden('status.certificate', 'certificate cannot be set if the Denied or Failed condition is present'));
  }
  return out;
}

function conditionsOf(obj: KObject, types?: string[]): any[] {
  const all: any[] = Array.isArray(obj.status?.conditions) ? obj.status!.conditions : [];
  return types ? all.filter((c) => types.includes(c?.type)) : all;
}

/** New conditions get their timestamps; changed ones a new lastTransitionTime (populateConditionTimestamps). */
function stampConditions(obj: KObject, old: KObject | undefined): void {
  const t = now();
  for (const c of conditionsOf(obj)) {
    if (!c || typeof c !== 'object') continue;
    const before = old ? conditionsOf(old).find((o) => o?.type === c.type) : undefined;
    if (!c.lastUpdateTime) c.lastUpdateTime = t;
    if (!c.lastTransitionTime) c.lastTransitionTime = before && before.status === c.status ? (before.lastTransitionTime ?? t) : t;
  }
}

function withConditions(obj: KObject, conditions: any[]): void {
  obj.status = { ...(obj.status ?? {}), conditions };
  if (!conditions.length) delete obj.status.conditions;
}

/**
 * PUT /approval: only Approved/Denied conditions come from the request; everything else
 * (spec, the certificate, other conditions) stays as stored.
 */
export function prepareForApprovalUpdate(obj: KObject, old: KObject): KObject {
  const next: KObject = structuredClone(old);
  const decisions = conditionsOf(obj, DECISIONS).map((c) => structuredClone(c));
  const others = conditionsOf(old).filter((c) => !DECISIONS.includes(c?.type));
  withConditions(next, [...decisions, ...others]);
  stampConditions(next, old);
  if (obj.metadata?.resourceVersion) next.metadata.resourceVersion = obj.metadata.resourceVersion;
  return next;
}

/** The checks of an update through any door: spec frozen, decisions never withdrawn, certificate set once. */
export function validateCsrUpdate(obj: KObject, old: KObject): FieldError[] {
  const out = validateImmutable(obj.spec, old.spec, 'spec');
  for (const type of DECISIONS) {
    const was = conditionsOf(old, [type]).length > 0;
    const is = conditionsOf(obj, [type]).length > 0;
    if (was && !is) out.push(field.forbidden('status.conditions', `updates may not remove a condition of type "${type}"`));
  }
  if (old.status?.certificate && obj.status?.certificate !== old.status.certificate) {
    out.push(field.forbidden('status.certificate', 'updates may not modify existing certificate content'));
  }
  return out;
}

export const certificatesigningrequests: ResourceDef = {
  group: 'certificates.k8s.io',
  version: 'v1',
  kind: 'CertificateSigningRequest',
  resource: 'certificatesigningrequests',
  singular: 'certificatesigningrequest',
  shortNames: ['csr'],
  namespaced: false,
  subresources: ['status', 'approval'],

  validate(obj) {
    return [...validateMetaFor(obj, false, nameIsDnsSubdomain), ...validateSpec(obj.spec), ...validateStatus(obj.status)];
  },

  validateUpdate(obj, old) {
    return validateCsrUpdate(obj, old);
  },

  prepareForCreate(obj, ctx) {
    // a CSR is born pending: conditions and certificate are the approver's and signer's
    delete obj.status;
    obj.spec ??= {};
    obj.spec.username = ctx.user.name;
    obj.spec.groups = [...ctx.user.groups];
    const u = ctx.user as { uid?: string; extra?: Record<string, string[]> };
    if (u.uid) obj.spec.uid = u.uid;
    else delete obj.spec.uid;
    if (u.extra && Object.keys(u.extra).length) obj.spec.extra = structuredClone(u.extra);
    else delete obj.spec.extra;
  },

  prepareForUpdate(obj, old) {
    obj.spec = structuredClone(old.spec);
    if (old.status === undefined) delete obj.status;
    else obj.status = structuredClone(old.status);
  },

  prepareForStatusUpdate(obj, old) {
    const next: KObject = structuredClone(old);
    next.status = structuredClone(obj.status ?? {});
    // decisions only change through /approval: keep the stored ones whatever /status says
    const others = conditionsOf(next).filter((c) => !DECISIONS.includes(c?.type));
    withConditions(next, [...conditionsOf(old, DECISIONS).map((c) => structuredClone(c)), ...others]);
    stampConditions(next, old);
    if (!next.status.certificate) delete next.status.certificate;
    for (const k of ['labels', 'annotations'] as const) {
      if (obj.metadata?.[k] === undefined) delete next.metadata[k];
      else next.metadata[k] = structuredClone(obj.metadata[k]);
    }
    if (obj.metadata?.resourceVersion) next.metadata.resourceVersion = obj.metadata.resourceVersion;
    return next;
  },

  specChanged: () => false,

  selectableFields(obj) {
    return { 'spec.signerName': obj.spec?.signerName ?? '' };
  },
};
