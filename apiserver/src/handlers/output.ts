// Writes objects and lists in the representation the client negotiated.
import yaml from 'js-yaml';
import { buildTable, parseIncludeObject, toPartialObjectMetadata, toPartialObjectMetadataList } from '../printers/index.ts';
import type { KObject } from '../registry/types.ts';
import { negotiateOutput, wantsYaml } from '../server/negotiation.ts';
import { writeJson } from '../server/http-util.ts';
import { listKind, type HandlerContext } from './context.ts';

type IncludeObject = 'None' | 'Metadata' | 'Object';

export function includeObjectOf(q: URLSearchParams): IncludeObject {
  return parseIncludeObject(q.get('includeObject') ?? undefined);
}

function send(ctx: HandlerContext, code: number, body: unknown): void {
  // a retried write runs its plugins again: each warning once
  for (const w of new Set(ctx.warnings)) ctx.res.appendHeader('Warning', `299 - "${w.replace(/"/g, '\\"')}"`);
  if (wantsYaml(ctx.req.headers.accept)) {
    writeJson(ctx.res, code, yaml.dump(body, { noRefs: true }), 'application/yaml');
    return;
  }
  writeJson(ctx.res, code, body);
}

export function writeObject(ctx: HandlerContext, code: number, obj: KObject): void {
  const kind = negotiateOutput(ctx.req.headers.accept);
  if (kind === 'table') {
    send(
      ctx,
      code,
      buildTable({
        group: ctx.store.def.group,
        kind: ctx.store.def.kind,
        items: [obj],
        includeObject: includeObjectOf(ctx.query),
        withColumns: true,
        convertor: ctx.store.def.table,
        listMeta: { resourceVersion: obj.metadata?.resourceVersion },
      }),
    );
  } else if (kind === 'partial' || kind === 'partialList') {
    send(ctx, code, toPartialObjectMetadata(obj));
  } else {
    send(ctx, code, obj);
  }
}

export function writeStatusObject(ctx: HandlerContext, code: number, status: unknown): void {
  send(ctx, code, status);
}

export function writeList(ctx: HandlerContext, items: KObject[], listMeta: { resourceVersion: string; continue?: string; remainingItemCount?: number }): void {
  const kind = negotiateOutput(ctx.req.headers.accept);
  const meta: Record<string, unknown> = { resourceVersion: listMeta.resourceVersion };
  if (listMeta.continue) meta.continue = listMeta.continue;
  if (listMeta.remainingItemCount !== undefined && listMeta.continue) meta.remainingItemCount = listMeta.remainingItemCount;
  if (kind === 'table') {
    send(
      ctx,
      200,
      buildTable({
        group: ctx.store.def.group,
        kind: ctx.store.def.kind,
        items,
        includeObject: includeObjectOf(ctx.query),
        withColumns: true,
        convertor: ctx.store.def.table,
        listMeta: meta as any,
      }),
    );
  } else if (kind === 'partial' || kind === 'partialList') {
    send(ctx, 200, toPartialObjectMetadataList(items, meta as any));
  } else {
    send(ctx, 200, { kind: listKind(ctx.store), apiVersion: ctx.store.apiVersion, metadata: meta, items });
  }
}
