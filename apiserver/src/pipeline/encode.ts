// The last stage of the request path: encode. The response representation (plain object,
// Table, PartialObjectMetadata; JSON or YAML) is negotiated once per request from Accept, and
// objects, lists and Status objects are written in it, with the request's Warning headers.
import yaml from 'js-yaml';
import { buildTable, parseIncludeObject, toPartialObjectMetadata, toPartialObjectMetadataList } from '../printers/index.ts';
import type { KObject } from '../registry/types.ts';
import { negotiateOutput, type OutputKind, wantsYaml } from '../server/negotiation.ts';
import { writeJson } from '../server/http-util.ts';
import { listKind, type HandlerContext } from '../handlers/context.ts';

export interface ResponseFormat {
  as: OutputKind;
  yaml: boolean;
}

/** The client's Accept, negotiated on first use and kept on the request. */
export function responseFormat(ctx: HandlerContext): ResponseFormat {
  ctx.format ??= { as: negotiateOutput(ctx.req.headers.accept), yaml: wantsYaml(ctx.req.headers.accept) };
  return ctx.format;
}

type IncludeObject = 'None' | 'Metadata' | 'Object';

export function includeObjectOf(q: URLSearchParams): IncludeObject {
  return parseIncludeObject(q.get('includeObject') ?? undefined);
}

function send(ctx: HandlerContext, code: number, body: unknown): void {
  // a retried write runs its plugins again: each warning once
  for (const w of new Set(ctx.warnings)) ctx.res.appendHeader('Warning', `299 - "${w.replace(/"/g, '\\"')}"`);
  if (responseFormat(ctx).yaml) {
    writeJson(ctx.res, code, yaml.dump(body, { noRefs: true }), 'application/yaml');
    return;
  }
  writeJson(ctx.res, code, body);
}

export function writeObject(ctx: HandlerContext, code: number, obj: KObject): void {
  const kind = responseFormat(ctx).as;
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
  const kind = responseFormat(ctx).as;
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
