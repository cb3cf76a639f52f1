// GET of one object and LIST of many.
import { errors } from '../errors.ts';
import type { HandlerContext } from './context.ts';
import { writeList, writeObject } from '../pipeline/encode.ts';

export async function handleGet(ctx: HandlerContext): Promise<void> {
  const obj = await ctx.store.get(ctx.info.namespace, ctx.info.name!);
  writeObject(ctx, 200, obj);
}

export async function handleList(ctx: HandlerContext): Promise<void> {
  const q = ctx.query;
  const limitRaw = q.get('limit');
  const limit = limitRaw ? Number(limitRaw) : undefined;
  if (limitRaw && (!Number.isInteger(limit) || limit! < 0)) throw errors.badRequest(`invalid limit: ${limitRaw}`);
  const rvm = q.get('resourceVersionMatch') ?? '';
  if (rvm && !['Exact', 'NotOlderThan'].includes(rvm))
    throw errors.badRequest(`resourceVersionMatch: Unsupported value: "${rvm}": supported values: "Exact", "NotOlderThan"`);
  if (rvm && !q.get('resourceVersion')) throw errors.badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (q.get('continue') && q.get('resourceVersion') && q.get('resourceVersion') !== '0') {
    throw errors.badRequest('specifying resource version is not allowed when using continue');
  }
  const out = await ctx.store.list(ctx.store.def.namespaced ? ctx.info.namespace : undefined, {
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
    limit,
    continue: q.get('continue') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: rvm || undefined,
  });
  writeList(ctx, out.items, out);
}
