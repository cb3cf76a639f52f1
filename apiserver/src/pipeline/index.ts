// The path of a write through the apiserver, one stage per file, in Kubernetes' handler-chain
// order. Authentication (pipeline/authentication.ts) and authorization
// (pipeline/authorization.ts) have run before a request gets here; then:
//   decode.ts              read within the limits, decode, check the kind, typed decode, defaults
//   mutating-admission.ts  the plugins' admit phase
//   validation.ts          the strategy's validation (run by the store)
//   validating-admission.ts the plugins' validate phase (run by the store, after validation)
//   registry/store.ts      the store: metadata, strategy, etcd
//   encode.ts              the response, in the representation the client accepts
// Updates need the object stored now, so their mutating admission runs inside the store's
// guaranteed-update retry, handed over in WriteOptions (handlers/context.ts writeOptions); a
// delete's admission runs in the store too, around the object it deletes.
import { errors } from '../errors.ts';
import { admissionOf, writeOptions, type HandlerContext } from '../handlers/context.ts';
import { serverSideApply } from '../patch/index.ts';
import type { KObject } from '../registry/types.ts';
import { statusSuccess } from '../server/http-util.ts';
import { patchTypes } from '../server/negotiation.ts';
import { decodeApplied, decodeApplyConfiguration, decodeDeleteOptions, decodeObject, decodePatched, type PatchMetaProvider, readPatch } from './decode.ts';
import { writeObject, writeStatusObject } from './encode.ts';
import { admitCreate } from './mutating-admission.ts';

export type { PatchMetaProvider } from './decode.ts';

/** POST to a collection. */
export async function handleCreate(ctx: HandlerContext): Promise<void> {
  const obj = await decodeObject(ctx);
  const opts = { ...writeOptions(ctx), defaulted: true };
  await admitCreate(opts.admission, obj);
  const created = await ctx.store.create(ctx.info.namespace, obj, opts);
  writeObject(ctx, 201, created);
}

/** PUT of an object, or of its status or finalize subresource. */
export async function handleUpdate(ctx: HandlerContext, subresource?: string): Promise<void> {
  const obj = await decodeObject(ctx);
  if (obj.metadata.name && obj.metadata.name !== ctx.info.name) {
    throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${ctx.info.name})`);
  }
  const opts = { ...writeOptions(ctx, subresource), defaulted: true };
  const { object, created } = await ctx.store.update(ctx.info.namespace, ctx.info.name!, obj, opts);
  writeObject(ctx, created ? 201 : 200, object);
}

/** PATCH (JSON, merge, strategic merge) of an object or its status; apply patches go to handleApply. */
export async function handlePatch(ctx: HandlerContext, patchMeta: PatchMetaProvider, subresource?: string): Promise<void> {
  const patch = await readPatch(ctx);
  if (patch.type === patchTypes.apply) return handleApply(ctx, patch, patchMeta, subresource);
  if (ctx.query.get('force')) throw errors.badRequest('force: Forbidden: may not be specified for non-apply patch');
  const def = ctx.store.def;
  const meta = patchMeta(def.group, def.version, def.kind);
  let warnings: string[] = []; // of the last attempt: modify retries on conflicts
  const opts = { ...writeOptions(ctx, subresource), defaulted: true };
  const out = await ctx.store.modify(
    ctx.info.namespace,
    ctx.info.name!,
    (cur) => {
      const decoded = decodePatched(ctx, cur, patch, meta);
      warnings = decoded.warnings;
      return decoded.object;
    },
    opts,
  );
  ctx.warnings.push(...warnings);
  writeObject(ctx, 200, out);
}

/** Server-side apply: merged into the object stored now, or, for a missing object, a create. */
async function handleApply(
  ctx: HandlerContext,
  patch: { type: string; body: Buffer },
  patchMeta: PatchMetaProvider,
  subresource: string | undefined,
): Promise<void> {
  const def = ctx.store.def;
  const meta = patchMeta(def.group, def.version, def.kind);
  const opts = { ...writeOptions(ctx, subresource), operation: 'Apply' as const, defaulted: true };
  const applied = await decodeApplyConfiguration(ctx, patch);
  const name = ctx.info.name!;
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const ssaArgs = { applied, manager: opts.fieldManager!, force: ctx.query.get('force') === 'true', apiVersion: ctx.store.apiVersion, meta, subresource, now };
  try {
    const out = await ctx.store.modify(ctx.info.namespace, name, (cur) => decodeApplied(ctx, serverSideApply({ ...ssaArgs, current: cur }) as KObject), opts);
    writeObject(ctx, 200, out);
  } catch (e: any) {
    if (e?.code !== 404 || subresource) throw e;
    const fresh = decodeApplied(ctx, serverSideApply({ ...ssaArgs, current: undefined }) as KObject);
    fresh.metadata = { ...fresh.metadata, name, namespace: ctx.info.namespace };
    await admitCreate(opts.admission, fresh);
    const created = await ctx.store.create(ctx.info.namespace, fresh, opts);
    writeObject(ctx, 201, created);
  }
}

/** DELETE of one object; its admission runs in the store, around the object it deletes. */
export async function handleDelete(ctx: HandlerContext): Promise<void> {
  const opts = await decodeDeleteOptions(ctx);
  const { object, finished } = await ctx.store.delete(ctx.info.namespace, ctx.info.name!, opts, { user: ctx.user, admission: admissionOf(ctx) });
  if (!finished || ctx.store.def.returnDeletedObject) {
    writeObject(ctx, 200, object);
    return;
  }
  writeStatusObject(
    ctx,
    200,
    statusSuccess({ name: object.metadata.name, group: ctx.store.def.group || undefined, kind: ctx.store.def.resource, uid: object.metadata.uid }),
  );
}
