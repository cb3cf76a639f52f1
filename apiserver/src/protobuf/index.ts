// Protobuf request/response bodies (application/vnd.kubernetes.protobuf): the `k8s\0` magic,
// then a runtime.Unknown whose `raw` is the typed object's message.
import type protobuf from 'protobufjs';
import { errors } from '../errors.ts';
import { messageFromJson } from './from-json.ts';
import { messageTypeFor, unknownType, watchEventType } from './schema.ts';
import { messageToJson } from './to-json.ts';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export interface DecodedObject {
  apiVersion: string;
  kind: string;
  object: Record<string, unknown>;
}

export function isProtobufBody(buf: Buffer): boolean {
  return buf.length >= MAGIC.length && buf.subarray(0, MAGIC.length).equals(MAGIC);
}

function decodeMessage<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    throw errors.badRequest(`unable to decode protobuf ${what}: ${(e as Error).message}`);
  }
}

/** Decodes a protobuf body into the JSON object the JSON API would have received. */
export function decodeProtobufObject(buf: Buffer): DecodedObject {
  if (!isProtobufBody(buf)) throw errors.badRequest('protobuf body does not start with the k8s\\0 prefix');
  const envelope = decodeMessage(
    'envelope',
    () =>
      unknownType.decode(buf.subarray(MAGIC.length)) as unknown as {
        typeMeta?: { apiVersion?: string; kind?: string };
        raw?: Uint8Array;
        contentEncoding?: string;
      },
  );
  const apiVersion = envelope.typeMeta?.apiVersion ?? '';
  const kind = envelope.typeMeta?.kind ?? '';
  if (!apiVersion || !kind) throw errors.badRequest('protobuf body has no apiVersion/kind in its type meta');
  if (envelope.contentEncoding) throw errors.badRequest(`unsupported protobuf content encoding ${JSON.stringify(envelope.contentEncoding)}`);
  const type = messageTypeFor(apiVersion, kind);
  if (!type) throw errors.badRequest(`no kind "${kind}" is registered for version "${apiVersion}" in protobuf`);
  const raw = envelope.raw ?? new Uint8Array();
  const message = decodeMessage(`${kind}`, () => type.decode(raw));
  const json = decodeMessage(`${kind}`, () => messageToJson(type, message as unknown as Record<string, unknown>)) as Record<string, unknown>;
  return { apiVersion, kind, object: { kind, apiVersion, ...json } };
}

/** Whether objects of this apiVersion and kind can be written as protobuf (built-in kinds; not custom resources or Tables). */
export function hasProtobufForm(apiVersion: unknown, kind: unknown): boolean {
  return typeof apiVersion === 'string' && typeof kind === 'string' && messageTypeFor(apiVersion, kind) !== undefined;
}

function typeOf(obj: Record<string, unknown>): { apiVersion: string; kind: string; type: protobuf.Type } {
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') throw errors.internal('object to encode as protobuf has no apiVersion and kind');
  const type = messageTypeFor(apiVersion, kind);
  if (!type) throw errors.notAcceptable(`kind "${kind}" of version "${apiVersion}" has no protobuf form`);
  return { apiVersion, kind, type };
}

function encodeAs(type: protobuf.Type, obj: Record<string, unknown>): Uint8Array {
  try {
    return type.encode(messageFromJson(type, obj)).finish();
  } catch (e) {
    throw errors.internal(`unable to encode ${type.name} as protobuf: ${(e as Error).message}`);
  }
}

/** The `k8s\0` magic and the runtime.Unknown around a message: what a protobuf body is. */
function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const unknown = unknownType.encode({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' }).finish();
  return Buffer.concat([MAGIC, unknown]);
}

/**
 * Encodes a JSON object (apiVersion and kind set) as a Kubernetes protobuf body. An object we
 * cannot encode is the server's fault (it stored or built it), hence 500, not the client's.
 */
export function encodeProtobufObject(obj: Record<string, unknown>): Buffer {
  const { apiVersion, kind, type } = typeOf(obj);
  return envelope(apiVersion, kind, encodeAs(type, obj));
}

/** An object's message alone, without the envelope: what a list holds for each item. */
export function encodeProtobufMessage(obj: Record<string, unknown>): Uint8Array {
  return encodeAs(typeOf(obj).type, obj);
}

/** The bytes of a protobuf varint (field tags and lengths, all below 2^32 here). */
function varintSize(value: number): number {
  let size = 1;
  for (let v = value >>> 7; v > 0; v >>>= 7) size++;
  return size;
}

/** Writes a varint at `at`; returns where the next byte goes. */
function writeVarint(buf: Buffer, at: number, value: number): number {
  let v = value >>> 0;
  while (v > 0x7f) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v;
  return at;
}

const LENGTH_DELIMITED = 2;
/** runtime.Unknown's empty contentEncoding (3) and contentType (4), which follow its raw (2) */
const ENVELOPE_TRAILER = Buffer.from(unknownType.encode({ contentEncoding: '', contentType: '' }).finish());

/**
 * A list body from its items' messages (encodeProtobufMessage): the envelope, the list's
 * metadata, then each item as one occurrence of the repeated `items` field. It is written into
 * one buffer, byte for byte what encoding the whole list writes, so that an item's message,
 * once encoded, is copied into every list that holds it rather than encoded again.
 */
export function encodeProtobufList(list: { apiVersion: string; kind: string; metadata: Record<string, unknown> }, items: readonly Uint8Array[]): Buffer {
  const { apiVersion, kind, type } = typeOf(list);
  const metadataField = type.fields.metadata;
  const itemsField = type.fields.items;
  if (!metadataField?.resolvedType || !itemsField?.repeated) throw errors.internal(`${kind} is not a list in protobuf`);
  const metadata = encodeAs(metadataField.resolvedType as protobuf.Type, list.metadata);
  const metadataTag = (metadataField.id << 3) | LENGTH_DELIMITED;
  const itemTag = (itemsField.id << 3) | LENGTH_DELIMITED;
  let rawLength = varintSize(metadataTag) + varintSize(metadata.length) + metadata.length;
  for (const item of items) rawLength += varintSize(itemTag) + varintSize(item.length) + item.length;
  const typeMeta = unknownType.encode({ typeMeta: { apiVersion, kind } }).finish();
  const rawTag = (unknownType.fields.raw!.id << 3) | LENGTH_DELIMITED;
  const size = MAGIC.length + typeMeta.length + varintSize(rawTag) + varintSize(rawLength) + rawLength + ENVELOPE_TRAILER.length;
  const out = Buffer.allocUnsafe(size);
  let at = MAGIC.copy(out, 0);
  out.set(typeMeta, at);
  at += typeMeta.length;
  at = writeVarint(out, writeVarint(out, at, rawTag), rawLength);
  at = writeVarint(out, writeVarint(out, at, metadataTag), metadata.length);
  out.set(metadata, at);
  at += metadata.length;
  for (const item of items) {
    at = writeVarint(out, writeVarint(out, at, itemTag), item.length);
    out.set(item, at);
    at += item.length;
  }
  ENVELOPE_TRAILER.copy(out, at);
  return out;
}

/** The Content-Type of a protobuf watch: length-prefixed frames. */
export const PROTOBUF_WATCH_CONTENT_TYPE = `${PROTOBUF_CONTENT_TYPE};stream=watch`;

/**
 * One frame of a protobuf watch, as kube-apiserver writes them: a 4-byte big-endian length, then
 * a meta/v1 WatchEvent message without the `k8s\0` envelope (the stream's raw serializer), whose
 * object is the whole protobuf body of the event's object, envelope included.
 */
export function protobufWatchFrame(type: string, encodedObject: Uint8Array): Buffer {
  const event = watchEventType.encode({ type, object: { raw: encodedObject } }).finish();
  const frame = Buffer.allocUnsafe(4 + event.length);
  frame.writeUInt32BE(event.length, 0);
  frame.set(event, 4);
  return frame;
}

/** Splits a protobuf watch stream into its events (for clients and tests): what a frame holds. */
export function decodeProtobufWatchFrames(stream: Buffer): { events: Array<{ type: string; object: DecodedObject }>; rest: Buffer } {
  const events: Array<{ type: string; object: DecodedObject }> = [];
  let at = 0;
  while (stream.length - at >= 4) {
    const length = stream.readUInt32BE(at);
    if (stream.length - at - 4 < length) break;
    const event = watchEventType.decode(stream.subarray(at + 4, at + 4 + length)) as unknown as { type?: string; object?: { raw?: Uint8Array } };
    events.push({ type: event.type ?? '', object: decodeProtobufObject(Buffer.from(event.object?.raw ?? new Uint8Array())) });
    at += 4 + length;
  }
  return { events, rest: stream.subarray(at) };
}
