// The last stage of the request path: encode. The response representation (plain object,
// Table, PartialObjectMetadata; JSON, YAML or protobuf) is negotiated once per request from
// Accept, and objects, lists and Status objects are written in it, with the request's Warning
// headers.
import yaml from 'js-yaml';
import { buildTable, parseIncludeObject, toPartialObjectMetadata, toPartialObjectMetadataList } from '../printers/index.ts';
import { encodeProtobufObject, hasProtobufForm, PROTOBUF_CONTENT_TYPE } from '../protobuf/index.ts';
import type { KObject } from '../registry/types.ts';
import { negotiateFormat, type ResponseFormat, withoutProtobuf } from '../server/negotiation.ts';
import { writeJson } from '../server/http-util.ts';
import { listKind, type HandlerContext } from '../handlers/context.ts';

export type { ResponseFormat };

/**
 * The client's Accept, negotiated on first use and kept on the request. Protobuf is chosen only
 * for a resource whose kind has a protobuf form (not custom resources): otherwise the rest of
 * Accept decides, or the request is refused with 406 before it does anything, as kube-apiserver
 * negotiates per resource before the handler runs.
 */
export function responseFormat(ctx: HandlerContext): ResponseFormat {
  if (ctx.format) return ctx.format;
  let format = negotiateFormat(ctx.req.headers.accept);
  if (format.encoding === 'protobuf' && format.as === 'object' && !hasProtobufForm(ctx.store.apiVersion, ctx.store.def.kind)) format = withoutProtobuf(format);
  ctx.format = format;
  return format;
}

type IncludeObject = 'None' | 'Metadata' | 'Object';

export function includeObjectOf(q: URLSearchParams): IncludeObject {
  return parseIncludeObject(q.get('includeObject') ?? undefined);
}

function send(ctx: HandlerContext, code: number, body: unknown): void {
  // a retried write runs its plugins again: each warning once
  for (const w of new Set(ctx.warnings)) ctx.res.appendHeader('Warning', `299 - "${w.replace(/"/g, '\\"')}"`);
  let format = responseFormat(ctx);
  if (format.encoding === 'protobuf') {
    const obj = body as Record<string, unknown>;
    if (hasProtobufForm(obj.apiVersion, obj.kind)) {
      writeJson(ctx.res, code, encodeProtobufObject(obj), PROTOBUF_CONTENT_TYPE);
      return;
    }
    // a body of another kind than the resource's (a Table): what else Accept allows
    format = withoutProtobuf(format);
  }
  if (format.encoding === 'yaml') {
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
