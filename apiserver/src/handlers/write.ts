// POST (create), PUT (update) and PATCH of the main resource and of /status.
import { errors } from '../errors.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, serverSideApply, type PatchMeta } from '../patch/index.ts';
import type { KObject } from '../registry/types.ts';
import { readBody } from '../server/http-util.ts';
import { decodeObjectBody, parseJson, patchTypes } from '../server/negotiation.ts';
import { decodeYaml } from '../server/yaml-decode.ts';
import { typedWarnings, writeOptions, type HandlerContext } from './context.ts';
import { jsonKindProblem, unrecognizedObject, wrongKind } from './decode-errors.ts';
import { writeObject } from './output.ts';

export type PatchMetaProvider = (group: string, version: string, kind: string) => PatchMeta;

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

/** The request body as an object; a JSON body that names no kind gets Kubernetes' "unrecognized" 400. */
export async function readObject(ctx: HandlerContext, expectedKind = ctx.store.def.kind): Promise<KObject> {
  const body = await readBody(ctx.req);
  try {
    return (await decodeObjectBody(body, ctx.req.headers['content-type'])) as KObject;
  } catch (e) {
    const type = (ctx.req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
    const problem = ['application/json', '', '*/*'].includes(type) ? jsonKindProblem(body) : undefined;
    throw problem ? unrecognizedObject(expectedKind, problem, body) : e;
  }
}

export async function handleCreate(ctx: HandlerContext): Promise<void> {
  const obj = await readObject(ctx);
  checkKind(ctx, obj, ctx.store.def.kind, ctx.store.apiVersion);
  ctx.warnings.push(...typedWarnings(ctx, obj, 'body'));
  const created = await ctx.store.create(ctx.info.namespace, obj, writeOptions(ctx));
  writeObject(ctx, 201, created);
}

export async function handleUpdate(ctx: HandlerContext, subresource?: string): Promise<void> {
  const obj = await readObject(ctx);
  checkKind(ctx, obj, ctx.store.def.kind, ctx.store.apiVersion);
  ctx.warnings.push(...typedWarnings(ctx, obj, 'body'));
  if (obj.metadata.name && obj.metadata.name !== ctx.info.name) {
    throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${ctx.info.name})`);
  }
  const { object, created } = await ctx.store.update(ctx.info.namespace, ctx.info.name!, obj, writeOptions(ctx, subresource));
  writeObject(ctx, created ? 201 : 200, object);
}

export interface PatchRequest {
  type: string;
  body: Buffer;
}

export async function readPatch(ctx: HandlerContext): Promise<PatchRequest> {
  const type = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!Object.values(patchTypes).includes(type as any) || type === patchTypes.applyCbor) {
    throw errors.unsupportedMediaType(type || '(none)');
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

export async function parseApplyBody(body: Buffer): Promise<KObject> {
  const obj = await decodeYaml(body, 'error decoding YAML');
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw errors.badRequest('the apply patch must be a YAML or JSON object');
  return obj as KObject;
}

/** The merged result of an apply is decoded too; its unknown fields were reported for the configuration. */
function appliedResult(ctx: HandlerContext, merged: KObject): KObject {
  typedWarnings(ctx, merged, 'patch');
  return merged;
}

export async function handlePatch(ctx: HandlerContext, patchMeta: PatchMetaProvider, subresource?: string): Promise<void> {
  const patch = await readPatch(ctx);
  const def = ctx.store.def;
  const meta = patchMeta(def.group, def.version, def.kind);
  const opts = writeOptions(ctx, subresource);
  const name = ctx.info.name!;
  if (patch.type === patchTypes.apply) {
    const applied = await parseApplyBody(patch.body);
    checkKind(ctx, applied, def.kind, ctx.store.apiVersion);
    if (!applied.apiVersion || !applied.kind) throw errors.badRequest('apiVersion and kind must be set in an apply patch');
    if (applied.metadata.name && applied.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (!ctx.query.get('fieldManager')) {
      throw errors.invalid('', 'PatchOptions', '', [{ type: 'FieldValueRequired', field: 'fieldManager', detail: 'is required for apply patch' }]);
    }
    ctx.warnings.push(...typedWarnings(ctx, applied, 'body'));
    const force = ctx.query.get('force') === 'true';
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ssaArgs = { applied, manager: opts.fieldManager!, force, apiVersion: ctx.store.apiVersion, meta, subresource, now };
    const applyOpts = { ...opts, operation: 'Apply' as const };
    try {
      const out = await ctx.store.modify(
        ctx.info.namespace,
        name,
        (cur) => appliedResult(ctx, serverSideApply({ ...ssaArgs, current: cur }) as KObject),
        applyOpts,
      );
      writeObject(ctx, 200, out);
    } catch (e: any) {
      if (e?.code !== 404 || subresource) throw e;
      const fresh = appliedResult(ctx, serverSideApply({ ...ssaArgs, current: undefined }) as KObject);
      fresh.metadata = { ...fresh.metadata, name, namespace: ctx.info.namespace };
      const created = await ctx.store.create(ctx.info.namespace, fresh, applyOpts);
      writeObject(ctx, 201, created);
    }
    return;
  }
  if (ctx.query.get('force')) throw errors.badRequest('force: Forbidden: may not be specified for non-apply patch');
  let warnings: string[] = []; // of the last attempt: modify retries on conflicts
  const out = await ctx.store.modify(
    ctx.info.namespace,
    name,
    (cur) => {
      const patched = applyPatch(cur, patch, meta);
      checkKind(ctx, patched, def.kind, ctx.store.apiVersion);
      warnings = typedWarnings(ctx, patched, 'patch');
      return patched;
    },
    opts,
  );
  ctx.warnings.push(...warnings);
  writeObject(ctx, 200, out);
}
