// Stage 3 of the request path: decode and default. The body is read within the request limits
// (server/limits.ts: size, JSON depth, YAML aliases), decoded by the one media type the client
// declared, checked against the endpoint's kind and the kind's Go types (registry/typed/), put
// in the request's namespace, and defaulted, as Kubernetes' codec defaults on decode: no
// admission plugin ever sees an undefaulted object.
import { errors } from '../errors.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, type PatchMeta } from '../patch/index.ts';
import type { DeleteOptions, Store } from '../registry/store.ts';
import { checkTyped, parseFieldValidation, reportUnknownFields } from '../registry/typed/index.ts';
import type { KObject } from '../registry/types.ts';
import { readBody } from '../server/http-util.ts';
import { decodeObjectBody, parseJson, patchTypes } from '../server/negotiation.ts';
import { isLimitError } from '../server/limits.ts';
import { decodeYaml } from '../server/yaml-decode.ts';
import { dryRunOf, type HandlerContext } from '../handlers/context.ts';
import { jsonKindProblem, unrecognizedObject, wrongKind } from '../handlers/decode-errors.ts';

/** The media type the client declared for its body, lower case, without parameters. */
export function requestMediaType(ctx: HandlerContext): string {
  return (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The request body as an object; a JSON body that names no kind gets Kubernetes' "unrecognized" 400. */
export async function readObject(ctx: HandlerContext, expectedKind = ctx.store.def.kind): Promise<KObject> {
  const type = requestMediaType(ctx) || 'application/json';
  if (ctx.store.def.unstructured && type === 'application/vnd.kubernetes.protobuf')
    throw errors.unsupportedMediaType(type, ['application/json', 'application/yaml']);
  const body = await readBody(ctx.req);
  try {
    return (await decodeObjectBody(body, type)) as KObject;
  } catch (e) {
    // a body past a limit is not scanned again for a better message: that would cost what the
    // limit saves (a 3 MiB body nested 300,000 deep took Go's scanner, in JS, 100 ms and more)
    if (isLimitError(e)) throw e;
    const problem = ['application/json', '*/*'].includes(type) ? jsonKindProblem(body) : undefined;
    throw problem ? unrecognizedObject(expectedKind, problem, body) : e;
  }
}

/** The body must be of this endpoint's kind; apiVersion and kind may be left out. */
export function checkKind(ctx: HandlerContext, obj: KObject, expectedKind: string, expectedApiVersion: string): void {
  // apimachinery reads apiVersion and kind first (SimpleMetaFactory.Interpret): both must be strings
  for (const key of ['apiVersion', 'kind'] as const) {
    const v = obj[key];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      const got = Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;
      throw errors.badRequest(`couldn't get version/kind; json parse error: json: cannot unmarshal ${got} into Go struct field .${key} of type string`);
    }
  }
  // decoding comes first, as in Kubernetes: another kind cannot become this one
  if (obj.kind && obj.kind !== expectedKind) throw wrongKind(ctx.registry, obj.apiVersion || expectedApiVersion, obj.kind, expectedApiVersion, expectedKind);
  if (obj.apiVersion && obj.apiVersion !== expectedApiVersion) {
    // core/v1 Event and events.k8s.io/v1 Event differ in group, never silently converted
    throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${expectedApiVersion})`);
  }
  if (obj.metadata !== undefined && (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata) || obj.metadata === null)) {
    throw errors.badRequest(
      `${expectedKind} in version "${expectedApiVersion.split('/').pop()}" cannot be handled as a ${expectedKind}: json: cannot unmarshal ${typeof obj.metadata} into Go struct field ${expectedKind}.metadata of type v1.ObjectMeta`,
    );
  }
  obj.metadata ??= {};
}

/**
 * The typed decode (registry/typed/): the body of a create or update, an apply configuration
 * (`body`), or the result of a patch (`patch`) against the kind's Go types, with
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
  const target = { group, version, kind, source, fieldValidation: parseFieldValidation(ctx.query.get('fieldValidation')) };
  const def = ctx.store.def;
  // a kind with its own schema (a custom resource) prunes what it does not know, instead of the Go types
  if (def.pruneUnknownFields && gvk === def) return reportUnknownFields(target, obj, def.pruneUnknownFields(obj));
  return checkTyped(target, obj);
}

/** The kind's defaults, as Kubernetes' defaulting functions run when a body is decoded. */
export function applyDefaults(store: Store, obj: KObject): KObject {
  store.def.defaults?.(obj);
  return obj;
}

/**
 * The object is in the namespace of the request, as Kubernetes ensures right after decoding
 * (EnsureObjectNamespaceMatchesRequestNamespace): set when left out, 400 when it differs;
 * a cluster-scoped object has none.
 */
export function inRequestNamespace(ctx: HandlerContext, obj: KObject): void {
  const meta = obj.metadata;
  const namespace = ctx.info.namespace;
  if (!ctx.store.def.namespaced) {
    delete meta.namespace;
    return;
  }
  if (!namespace) return;
  if (meta.namespace && meta.namespace !== namespace) {
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  meta.namespace = namespace;
}

/** The decoded, defaulted object of a create or update (PUT) of the endpoint's own kind. */
export async function decodeObject(ctx: HandlerContext): Promise<KObject> {
  const obj = await readObject(ctx);
  checkKind(ctx, obj, ctx.store.def.kind, ctx.store.apiVersion);
  ctx.warnings.push(...typedWarnings(ctx, obj, 'body'));
  inRequestNamespace(ctx, obj);
  return applyDefaults(ctx.store, obj);
}

// ---------------- patches ----------------

export type PatchMetaProvider = (group: string, version: string, kind: string) => PatchMeta;

export interface PatchRequest {
  type: string;
  body: Buffer;
}

export async function readPatch(ctx: HandlerContext): Promise<PatchRequest> {
  const type = requestMediaType(ctx);
  if (!Object.values(patchTypes).includes(type as any) || type === patchTypes.applyCbor) {
    throw errors.unsupportedMediaType(type || '(none)');
  }
  if (type === patchTypes.strategic && ctx.store.def.unstructured) {
    // what kube-apiserver answers for a custom resource; kubectl then retries with a merge patch
    throw errors.unsupportedMediaType(type, [patchTypes.json, patchTypes.merge, patchTypes.apply]);
  }
  return { type, body: await readBody(ctx.req) };
}

/** Applies a non-apply patch to the client view of the object. */
export function applyPatch(current: KObject, patch: PatchRequest, meta: PatchMeta): KObject {
  switch (patch.type) {
    case patchTypes.json:
      return applyJsonPatch(current, patch.body) as KObject;
    case patchTypes.merge:
      return applyMergePatch(current, asPatchObject(patch.body)) as KObject;
    case patchTypes.strategic:
      return applyStrategicMergePatch(current, asPatchObject(patch.body), meta) as KObject;
    default:
      throw errors.unsupportedMediaType(patch.type);
  }
}

function asPatchObject(body: Buffer): Record<string, unknown> {
  const p = parseJson(body);
  if (p === null || typeof p !== 'object' || Array.isArray(p)) throw errors.badRequest('the patch must be a JSON object');
  return p as Record<string, unknown>;
}

/**
 * The result of a (non-apply) patch is decoded like a body: of the endpoint's kind, typed,
 * defaulted. Returns it with the Warning texts of this attempt (a retried patch decodes again).
 */
export function decodePatched(ctx: HandlerContext, current: KObject, patch: PatchRequest, meta: PatchMeta): { object: KObject; warnings: string[] } {
  const patched = applyPatch(current, patch, meta);
  checkKind(ctx, patched, ctx.store.def.kind, ctx.store.apiVersion);
  const warnings = typedWarnings(ctx, patched, 'patch');
  return { object: applyDefaults(ctx.store, patched), warnings };
}

export async function parseApplyBody(body: Buffer): Promise<KObject> {
  const obj = await decodeYaml(body, 'error decoding YAML');
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw errors.badRequest('the apply patch must be a YAML or JSON object');
  return obj as KObject;
}

/** An apply configuration: of the endpoint's kind, named as the URL names it, typed. */
export async function decodeApplyConfiguration(ctx: HandlerContext, patch: PatchRequest): Promise<KObject> {
  const def = ctx.store.def;
  const applied = await parseApplyBody(patch.body);
  checkKind(ctx, applied, def.kind, ctx.store.apiVersion);
  if (!applied.apiVersion || !applied.kind) throw errors.badRequest('apiVersion and kind must be set in an apply patch');
  const name = ctx.info.name!;
  if (applied.metadata.name && applied.metadata.name !== name) {
    throw errors.badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
  }
  if (!ctx.query.get('fieldManager')) {
    throw errors.invalid('', 'PatchOptions', '', [{ type: 'FieldValueRequired', field: 'fieldManager', detail: 'is required for apply patch' }]);
  }
  ctx.warnings.push(...typedWarnings(ctx, applied, 'body'));
  return applied;
}

/** The merged result of an apply is decoded too (its unknown fields were reported for the configuration), and defaulted. */
export function decodeApplied(ctx: HandlerContext, merged: KObject): KObject {
  typedWarnings(ctx, merged, 'patch');
  return applyDefaults(ctx.store, merged);
}

// ---------------- deletes ----------------

/** DeleteOptions from the body (kubectl sends one) and from query parameters. */
export async function decodeDeleteOptions(ctx: HandlerContext): Promise<DeleteOptions> {
  const body = await readBody(ctx.req);
  let opts: DeleteOptions = {};
  if (body.length > 0) {
    const o = parseJson(body) as any;
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw errors.badRequest('the body of a DELETE must be a DeleteOptions object');
    if (o.kind && !['DeleteOptions'].includes(o.kind)) throw errors.badRequest(`${o.kind} is not a DeleteOptions`);
    // the fields' types as DeleteOptions declares them (Go decodes the body into it)
    checkTyped({ group: '', version: 'v1', kind: 'DeleteOptions', source: 'body', fieldValidation: 'Ignore' }, o);
    opts = {
      gracePeriodSeconds: o.gracePeriodSeconds,
      propagationPolicy: o.propagationPolicy,
      orphanDependents: o.orphanDependents,
      preconditions: o.preconditions,
      dryRun: o.dryRun,
    };
  }
  const q = ctx.query;
  if (q.has('gracePeriodSeconds')) opts.gracePeriodSeconds = Number(q.get('gracePeriodSeconds'));
  if (q.has('propagationPolicy')) opts.propagationPolicy = q.get('propagationPolicy') as any;
  if (q.has('orphanDependents')) opts.orphanDependents = q.get('orphanDependents') === 'true';
  if (dryRunOf(q)) opts.dryRun = ['All'];
  if (opts.dryRun?.some((d) => d !== 'All')) throw errors.badRequest(`Invalid dry run value: [${opts.dryRun.join(' ')}]: supported values: "All"`);
  if (opts.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy)) {
    throw errors.invalid('', 'DeleteOptions', '', [
      { type: 'FieldValueNotSupported', field: 'propagationPolicy', value: opts.propagationPolicy, supported: ['Foreground', 'Background', 'Orphan', 'nil'] },
    ]);
  }
  if (opts.gracePeriodSeconds !== undefined && (!Number.isInteger(opts.gracePeriodSeconds) || opts.gracePeriodSeconds < 0)) {
    if (opts.gracePeriodSeconds !== undefined && Number(opts.gracePeriodSeconds) < 0)
      opts.gracePeriodSeconds = 1; // as the apiserver treats negative grace
    else throw errors.badRequest(`invalid gracePeriodSeconds: ${opts.gracePeriodSeconds}`);
  }
  return opts;
}
