// The last stage of the request path: encode. The response representation (plain object,
// Table, PartialObjectMetadata; JSON, YAML or protobuf) is negotiated once per request from
// Accept, and objects, lists and Status objects are written in it, with the request's Warning
// headers.
import yaml from 'js-yaml';
import { buildTable, parseIncludeObject, toPartialObjectMetadata, toPartialObjectMetadataList } from '../printers/index.ts';
import { encodeProtobufList, encodeProtobufObject, hasProtobufForm, PROTOBUF_CONTENT_TYPE } from '../protobuf/index.ts';
import { objectJson, objectProtobuf } from './encoded-objects.ts';
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

function appendWarnings(ctx: HandlerContext): void {
  // a retried write runs its plugins again: each warning once
  for (const w of new Set(ctx.warnings)) ctx.res.appendHeader('Warning', `299 - "${w.replace(/"/g, '\\"')}"`);
}

/** The format to write `body` in: protobuf only for a kind that has a protobuf form. */
function formatFor(ctx: HandlerContext, body: { apiVersion?: unknown; kind?: unknown }): ResponseFormat {
  const format = responseFormat(ctx);
  if (format.encoding !== 'protobuf' || hasProtobufForm(body.apiVersion, body.kind)) return format;
  // a body of another kind than the resource's (a Table): what else Accept allows
  return withoutProtobuf(format);
}

function send(ctx: HandlerContext, code: number, body: unknown): void {
  appendWarnings(ctx);
  const format = formatFor(ctx, body as Record<string, unknown>);
  if (format.encoding === 'protobuf') writeJson(ctx.res, code, encodeProtobufObject(body as Record<string, unknown>), PROTOBUF_CONTENT_TYPE);
  else if (format.encoding === 'yaml') writeJson(ctx.res, code, yaml.dump(body, { noRefs: true }), 'application/yaml');
  else writeJson(ctx.res, code, body);
}

const COMMA = Buffer.from(',');
const LIST_END = Buffer.from(']}');

interface ObjectList {
  kind: string;
  apiVersion: string;
  metadata: Record<string, unknown>;
  items: KObject[];
}

/**
 * A list of the resource's own objects, assembled from each item's kept encoding
 * (encoded-objects.ts): the same bytes JSON.stringify or the protobuf encoder would write for
 * the whole list.
 */
function sendObjectList(ctx: HandlerContext, list: ObjectList): void {
  const format = formatFor(ctx, list);
  if (format.encoding === 'yaml') {
    send(ctx, 200, list);
    return;
  }
  appendWarnings(ctx);
  if (format.encoding === 'protobuf') {
    writeJson(
      ctx.res,
      200,
      encodeProtobufList(
        list,
        list.items.map((item) => objectProtobuf.of(item)),
      ),
      PROTOBUF_CONTENT_TYPE,
    );
    return;
  }
  const head = `{"kind":${JSON.stringify(list.kind)},"apiVersion":${JSON.stringify(list.apiVersion)},"metadata":${JSON.stringify(list.metadata)},"items":[`;
  const parts: Buffer[] = [Buffer.from(head)];
  list.items.forEach((item, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(objectJson.of(item));
  });
  parts.push(LIST_END);
  writeJson(ctx.res, 200, Buffer.concat(parts));
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
    sendObjectList(ctx, { kind: listKind(ctx.store), apiVersion: ctx.store.apiVersion, metadata: meta, items });
  }
}
