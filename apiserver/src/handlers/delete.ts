// DELETE of one object and DELETE of a collection (deletecollection).
import { errors } from '../errors.ts';
import { checkTyped } from '../registry/typed/index.ts';
import type { DeleteOptions } from '../registry/store.ts';
import { readBody, statusSuccess } from '../server/http-util.ts';
import { parseJson } from '../server/negotiation.ts';
import { admissionOf, dryRunOf, listKind, type HandlerContext } from './context.ts';
import { writeObject, writeStatusObject } from '../pipeline/encode.ts';

/** DeleteOptions from the body (kubectl sends one) and from query parameters. */
export async function readDeleteOptions(ctx: HandlerContext): Promise<DeleteOptions> {
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

export async function handleDelete(ctx: HandlerContext): Promise<void> {
  const opts = await readDeleteOptions(ctx);
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

export async function handleDeleteCollection(ctx: HandlerContext): Promise<void> {
  const opts = await readDeleteOptions(ctx);
  const q = ctx.query;
  const list = await ctx.store.list(ctx.store.def.namespaced ? ctx.info.namespace : undefined, {
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
  });
  const deleted = [];
  const admission = admissionOf(ctx);
  for (const item of list.items) {
    try {
      const r = await ctx.store.delete(item.metadata.namespace, item.metadata.name!, opts, { user: ctx.user, admission });
      deleted.push(r.object);
    } catch (e: any) {
      if (e?.code !== 404) throw e;
    }
  }
  writeStatusObject(ctx, 200, {
    kind: listKind(ctx.store),
    apiVersion: ctx.store.apiVersion,
    metadata: { resourceVersion: list.resourceVersion },
    items: deleted,
  });
}
