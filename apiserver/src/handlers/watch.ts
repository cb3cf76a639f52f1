// Watch as a stream over a chunked response: JSON lines ({"type":"ADDED","object":{...}}), or
// with protobuf negotiated, length-prefixed WatchEvent frames.
import { ApiError } from '../errors.ts';
import { buildTable, toPartialObjectMetadata } from '../printers/index.ts';
import { encodeProtobufObject, PROTOBUF_WATCH_CONTENT_TYPE, protobufWatchFrame } from '../protobuf/index.ts';
import type { KObject } from '../registry/types.ts';
import { type CopySnapshot, matchesSnapshot, snapshotOf } from '../storage/frozen.ts';
import { watchTimeoutSeconds } from '../server/request-limits.ts';
import type { HandlerContext } from './context.ts';
import { includeObjectOf, responseFormat } from '../pipeline/encode.ts';

/** apiserver's --min-request-timeout is 1800 s; a watch without timeoutSeconds lasts 1x-2x that. */
const minRequestTimeoutSeconds = 1800;

export interface WatchCounter {
  inc(resource: string): void;
  dec(resource: string): void;
}

type Frame = string | Buffer;
type WireEncoding = 'json' | 'protobuf';

/**
 * The last event encoded in each wire format, for the next watcher of the same event. The watch
 * cache gives every watcher the same deep-frozen object under a shallow copy of its top level
 * and metadata (storage/watch-cache.ts deliver, storage/frozen.ts shareable), and the store sets
 * apiVersion and kind on that copy; so 1,000 watchers of one resource encoded the same object
 * 1,000 times (9% of the apiserver's busy time in P4's profile, docs/performance.md). The frame
 * is reused only when the object has the same keys in the same order as the one encoded, at the
 * top level and in metadata, each value the same primitive or the very same frozen object: what
 * the encoder writes cannot differ then. Anything else (a converted or unfrozen object, a table
 * or metadata-only watch, ERROR and BOOKMARK events) is encoded as before.
 */
const lastEvent: Partial<Record<WireEncoding, { type: string; snapshot: CopySnapshot; frame: Frame }>> = {};

const encoders: Record<WireEncoding, (type: string, object: unknown) => Frame> = {
  json: (type, object) => JSON.stringify({ type, object }) + '\n',
  protobuf: (type, object) => protobufWatchFrame(type, encodeProtobufObject(object as Record<string, unknown>)),
};

function sharedEventFrame(encoding: WireEncoding, type: string, object: KObject): Frame {
  const last = lastEvent[encoding];
  if (last && last.type === type && matchesSnapshot(last.snapshot, object)) return last.frame;
  const frame = encoders[encoding](type, object);
  lastEvent[encoding] = { type, snapshot: snapshotOf(object), frame };
  return frame;
}

export function sharedEventLine(type: string, object: KObject): string {
  return sharedEventFrame('json', type, object) as string;
}

/** A frame of this watch's format that is shared with other watchers of the same event. */
export function sharedEventProtobufFrame(type: string, object: KObject): Buffer {
  return sharedEventFrame('protobuf', type, object) as Buffer;
}

export async function handleWatch(ctx: HandlerContext, counter?: WatchCounter, minRequestTimeout = minRequestTimeoutSeconds): Promise<void> {
  const q = ctx.query;
  const format = responseFormat(ctx);
  const output = format.as;
  const encoding: WireEncoding = format.encoding === 'protobuf' ? 'protobuf' : 'json';
  const asTable = output === 'table';
  // a metadata informer's watch (as=PartialObjectMetadata): each event's object is metadata only
  const asPartial = output === 'partial' || output === 'partialList';
  const includeObject = includeObjectOf(q);
  const timeout = watchTimeoutSeconds(q.get('timeoutSeconds'), minRequestTimeout);
  const rv = q.get('resourceVersion') ?? '';
  const sendInitial = q.get('sendInitialEvents');
  const namespace = ctx.store.def.namespaced ? ctx.info.namespace : undefined;
  // A single-object watch (GET .../watch/pods/x or fieldSelector=metadata.name=x) filters by name.
  let fieldSelector = q.get('fieldSelector') ?? '';
  if (ctx.info.name) fieldSelector = [fieldSelector, `metadata.name=${ctx.info.name}`].filter(Boolean).join(',');

  const res = ctx.res;
  let columnsSent = false;
  let ended = false;
  const encode = (type: string, object: KObject): Frame => {
    let obj: unknown = object;
    if (asTable && type !== 'ERROR' && type !== 'BOOKMARK') {
      obj = buildTable({
        group: ctx.store.def.group,
        kind: ctx.store.def.kind,
        items: [object],
        includeObject,
        withColumns: !columnsSent,
        listMeta: { resourceVersion: object.metadata?.resourceVersion },
      });
      columnsSent = true;
    } else if (asPartial && type !== 'ERROR') {
      obj = toPartialObjectMetadata(object);
    } else if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
      return sharedEventFrame(encoding, type, object);
    }
    return encoders[encoding](type, obj);
  };

  const pending: Frame[] = [];
  let headersWritten = false;
  const writeHead = () => {
    if (headersWritten) return;
    headersWritten = true;
    const contentType = encoding === 'protobuf' ? PROTOBUF_WATCH_CONTENT_TYPE : 'application/json';
    res.writeHead(200, { 'Content-Type': contentType, 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
  };
  const emit = (type: string, object: KObject) => {
    if (ended) return;
    const line = encode(type, object);
    if (!headersWritten) {
      pending.push(line);
      return;
    }
    // a slow reader must not make us drop events; node buffers what the socket cannot take
    res.write(line);
  };

  let watcher: { stop(): void } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let counted = false;
  // an ERROR (410) can arrive while the watch is still being set up: finish then writes
  // the pending events and ends the stream
  const finish = () => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    watcher?.stop();
    if (counted) counter?.dec(ctx.store.def.resource);
    writeHead();
    for (const l of pending.splice(0)) res.write(l);
    if (!res.writableEnded) res.end();
  };
  try {
    watcher = await ctx.store.watch(
      namespace,
      {
        labelSelector: q.get('labelSelector') ?? undefined,
        fieldSelector: fieldSelector || undefined,
        resourceVersion: rv,
        allowWatchBookmarks: q.get('allowWatchBookmarks') === 'true',
        sendInitialEvents: sendInitial === 'true' || (sendInitial === null && (rv === '' || rv === '0')),
      },
      (ev) => {
        emit(ev.type, ev.object);
        if (ev.type === 'ERROR') finish();
      },
    );
  } catch (e) {
    if (e instanceof ApiError && e.code === 410) {
      // client-go expects the 410 as an ERROR event in a 200 stream
      writeHead();
      res.end(encoders[encoding]('ERROR', e.toStatus()));
      return;
    }
    throw e;
  }
  if (ended) {
    watcher?.stop();
    return;
  }
  counter?.inc(ctx.store.def.resource);
  counted = true;
  writeHead();
  for (const l of pending.splice(0)) res.write(l);

  timer = setTimeout(() => finish(), timeout * 1000);
  ctx.req.on('close', finish);
  res.on('close', finish);
  res.on('error', finish);
}
