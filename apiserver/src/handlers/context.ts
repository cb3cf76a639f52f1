// What every resource handler gets: the parsed request, the caller, the resource's store.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdmissionChain, RequestAdmission } from '../admission/chain.ts';
import { errors } from '../errors.ts';
import type { ApiRegistry } from '../registry/api-registry.ts';
import type { Store, UserInfo, WriteOptions } from '../registry/store.ts';
import type { RequestInfo } from '../server/request-info.ts';
import { mutatingAdmission } from '../pipeline/mutating-admission.ts';
import type { ResponseFormat } from '../pipeline/encode.ts';
import { auditAnnotationsFor } from '../audit/auditor.ts';

export interface HandlerContext {
  req: IncomingMessage;
  res: ServerResponse;
  info: RequestInfo;
  query: URLSearchParams;
  user: UserInfo;
  registry: ApiRegistry;
  store: Store;
  /** response headers to add (Warning) */
  warnings: string[];
  /** the admission plugins every write passes (absent: none) */
  admission?: AdmissionChain;
  /** the representation the client accepts, negotiated once (pipeline/encode.ts) */
  format?: ResponseFormat;
}

export function dryRunOf(q: URLSearchParams): boolean {
  const vals = q.getAll('dryRun');
  for (const v of vals) if (v !== 'All') throw errors.badRequest(`Invalid dry run value: [${vals.join(' ')}]: supported values: "All"`);
  return vals.length > 0;
}

export function writeOptions(ctx: HandlerContext, subresource?: string): WriteOptions {
  const fm = ctx.query.get('fieldManager') ?? defaultFieldManager(ctx.req.headers['user-agent']);
  if (fm.length > 128) throw errors.badRequest('fieldManager: Too long: may not be longer than 128 characters');
  const admission = admissionOf(ctx, subresource);
  return {
    user: ctx.user,
    dryRun: dryRunOf(ctx.query),
    fieldManager: fm,
    subresource,
    operation: 'Update',
    admission,
    mutatingAdmission: mutatingAdmission(admission),
  };
}

/**
 * The one place a request meets the admission chain, for every write this request makes
 * (create, update, patch, apply, delete, and the subresources' writes): the pipeline runs the
 * mutating phase after decode (pipeline/mutating-admission.ts), the store the validating phase
 * after validation (pipeline/validating-admission.ts).
 */
export function admissionOf(ctx: HandlerContext, subresource = ctx.info.subresource ?? ''): RequestAdmission | undefined {
  const def = ctx.store.def;
  return ctx.admission?.forRequest({
    group: def.group,
    version: def.version,
    resource: def.resource,
    kind: def.kind,
    subresource,
    namespace: ctx.info.namespace,
    name: ctx.info.name,
    user: ctx.user,
    dryRun: ctx.query.getAll('dryRun').length > 0,
    warnings: ctx.warnings,
    auditAnnotations: auditAnnotationsFor(ctx.req),
  });
}

/** apiserver names an unnamed manager after the client's user agent, up to the first '/'. */
export function defaultFieldManager(userAgent: string | undefined): string {
  const ua = (userAgent ?? 'unknown').split('/')[0] ?? 'unknown';
  return ua.slice(0, 128) || 'unknown';
}

export function listKind(store: Store): string {
  return store.def.listKind ?? `${store.def.kind}List`;
}
