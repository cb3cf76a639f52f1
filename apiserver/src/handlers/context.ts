// What every resource handler gets: the parsed request, the caller, the resource's store.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdmissionChain, RequestAdmission } from '../admission/chain.ts';
import { errors } from '../errors.ts';
import type { ApiRegistry } from '../registry/api-registry.ts';
import type { Store, UserInfo, WriteOptions } from '../registry/store.ts';
import type { RequestInfo } from '../server/request-info.ts';
import type { KObject } from '../registry/types.ts';
import { checkTyped, parseFieldValidation } from '../registry/typed/index.ts';

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
}

export function dryRunOf(q: URLSearchParams): boolean {
  const vals = q.getAll('dryRun');
  for (const v of vals) if (v !== 'All') throw errors.badRequest(`Invalid dry run value: [${vals.join(' ')}]: supported values: "All"`);
  return vals.length > 0;
}

export function writeOptions(ctx: HandlerContext, subresource?: string): WriteOptions {
  const fm = ctx.query.get('fieldManager') ?? defaultFieldManager(ctx.req.headers['user-agent']);
  if (fm.length > 128) throw errors.badRequest('fieldManager: Too long: may not be longer than 128 characters');
  return { user: ctx.user, dryRun: dryRunOf(ctx.query), fieldManager: fm, subresource, operation: 'Update', admission: admissionOf(ctx, subresource) };
}

/**
 * The one place a request meets the admission chain: the store runs the returned phases around
 * its own defaults and validation, for every write this request makes (create, update, patch,
 * apply, delete, and the subresources' writes).
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
  });
}

/** apiserver names an unnamed manager after the client's user agent, up to the first '/'. */
export function defaultFieldManager(userAgent: string | undefined): string {
  const ua = (userAgent ?? 'unknown').split('/')[0] ?? 'unknown';
  return ua.slice(0, 128) || 'unknown';
}

/**
 * The typed decode stage (registry/typed/): the body of a create or update, an apply
 * configuration (`body`), or the result of a patch (`patch`) against the kind's Go types, with
 * fieldValidation Strict/Warn/Ignore. Returns the Warning texts, for the caller to send once.
 * Subresources name the kind of their body (Scale, Binding, Eviction).
 */
export function typedWarnings(
  ctx: HandlerContext,
  obj: KObject,
  source: 'body' | 'patch',
  gvk: { group: string; version: string; kind: string } = ctx.store.def,
): string[] {
  const { group, version, kind } = gvk;
  return checkTyped({ group, version, kind, source, fieldValidation: parseFieldValidation(ctx.query.get('fieldValidation')) }, obj);
}

export function listKind(store: Store): string {
  return store.def.listKind ?? `${store.def.kind}List`;
}
