// DELETE of a collection (deletecollection): each object deleted as one DELETE is
// (pipeline/index.ts handleDelete), with the same decoded DeleteOptions.
import { decodeDeleteOptions } from '../pipeline/decode.ts';
import { writeStatusObject } from '../pipeline/encode.ts';
import { admissionOf, listKind, type HandlerContext } from './context.ts';

export async function handleDeleteCollection(ctx: HandlerContext): Promise<void> {
  const opts = await decodeDeleteOptions(ctx);
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
