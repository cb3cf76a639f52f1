// What every resource handler gets: the parsed request, the caller, the resource's store.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdmissionChain, RequestAdmission } from '../admission/chain.ts';
import { errors } from '../errors.ts';
import type { ApiRegistry } from '../registry/api-registry.ts';
import type { Store, UserInfo, WriteOptions } from '../registry/store.ts';
import type { RequestInfo } from '../server/request-info.ts';
import type { KObject } from '../registry/types.ts';

/** Schema services the handlers use; provided by the OpenAPI module. */
export interface SchemaServices {
  unknownFields(group: string, version: string, kind: string, obj: unknown): string[];
}

export interface HandlerContext {
  req: IncomingMessage;
  res: ServerResponse;
  info: RequestInfo;
  query: URLSearchParams;
  user: UserInfo;
  registry: ApiRegistry;
  store: Store;
  schemas?: SchemaServices;
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
 * fieldValidation: Strict refuses unknown fields, Warn (kubectl's default) adds Warning headers,
 * Ignore drops them silently. Duplicate fields are detected at decode time in the JSON case.
 */
export function checkUnknownFields(ctx: HandlerContext, obj: KObject, kind: string): void {
  const mode = ctx.query.get('fieldValidation') ?? 'Warn';
  if (!['Strict', 'Warn', 'Ignore', ''].includes(mode)) {
    throw errors.badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${mode}"`);
  }
  if (mode === 'Ignore' || !ctx.schemas) return;
  const unknown = ctx.schemas.unknownFields(ctx.store.def.group, ctx.store.def.version, kind, obj);
  if (!unknown.length) return;
  const names = unknown.map((u) => u.replace(/^\./, ''));
  if (mode === 'Strict') {
    const msg =
      names.length === 1
        ? `strict decoding error: unknown field "${names[0]}"`
        : `strict decoding error: ${names.map((n) => `unknown field "${n}"`).join(', ')}`;
    throw errors.invalidStrict(ctx.store.def.group, ctx.store.def.kind, obj.metadata?.name ?? '', msg, names);
  }
  for (const n of names) ctx.warnings.push(`unknown field "${n}"`);
}

export function listKind(store: Store): string {
  return store.def.listKind ?? `${store.def.kind}List`;
}
