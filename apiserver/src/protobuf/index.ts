// Protobuf request/response bodies (application/vnd.kubernetes.protobuf): the `k8s\0` magic,
// then a runtime.Unknown whose `raw` is the typed object's message.
import { errors } from '../errors.ts';
import { messageFromJson } from './from-json.ts';
import { messageTypeFor, unknownType } from './schema.ts';
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

/** Encodes a JSON object (apiVersion and kind set) as a Kubernetes protobuf body. */
export function encodeProtobufObject(obj: Record<string, unknown>): Buffer {
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') throw errors.badRequest('object to encode needs apiVersion and kind');
  const type = messageTypeFor(apiVersion, kind);
  if (!type) throw errors.notAcceptable(`kind "${kind}" of version "${apiVersion}" has no protobuf form`);
  let raw: Uint8Array;
  try {
    raw = type.encode(messageFromJson(type, obj)).finish();
  } catch (e) {
    throw errors.badRequest(`unable to encode ${kind} as protobuf: ${(e as Error).message}`);
  }
  const envelope = unknownType.encode({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' }).finish();
  return Buffer.concat([MAGIC, envelope]);
}
