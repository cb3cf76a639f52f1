// Decoded protobuf message -> the JSON apimachinery would produce for the same Go struct.
// Presence on the wire stands in for Go's "set": Go clients write every non-pointer field, so a
// zero scalar is dropped (omitempty) unless the field says (skiff.keepZero).
import protobuf from 'protobufjs';
import { formatDuration, formatMicroTime, formatTime } from './go-values.ts';

type Json = unknown;
type Message = Record<string, unknown>;

/** The (skiff.json) option of a message type: how its JSON differs from a plain object. */
export function jsonForm(type: protobuf.Type): string | undefined {
  return type.options?.['(skiff.json)'] as string | undefined;
}

export function fieldOption(field: protobuf.Field, name: 'keepZero' | 'inline' | 'nullWhenAbsent'): boolean {
  return field.options?.[`(skiff.${name})`] === true;
}

/** int64 fields decode to Long objects; Kubernetes values fit in a double. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

function isZeroScalar(v: unknown): boolean {
  if (v instanceof Uint8Array) return v.length === 0;
  if (v === '' || v === false) return true;
  return toNumber(v) === 0 && typeof v !== 'string';
}

function scalarToJson(field: protobuf.Field, v: unknown): Json {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (field.type === 'int64' || field.type === 'uint64' || field.type === 'sint64' || field.type === 'fixed64' || field.type === 'sfixed64') return toNumber(v);
  return v;
}

function has(msg: Message, name: string): boolean {
  return Object.hasOwn(msg, name);
}

function specialToJson(form: string, type: protobuf.Type, msg: Message): Json {
  switch (form) {
    case 'time':
    case 'microtime': {
      const seconds = has(msg, 'seconds') ? toNumber(msg.seconds) : 0;
      const nanos = has(msg, 'nanos') ? toNumber(msg.nanos) : 0;
      // Go writes the zero time as an empty message and marshals it to JSON null.
      if (seconds === 0 && nanos === 0) return null;
      return form === 'time' ? formatTime({ seconds, nanos }) : formatMicroTime({ seconds, nanos });
    }
    case 'duration':
      return formatDuration(has(msg, 'duration') ? toNumber(msg.duration) : 0);
    case 'quantity':
      return has(msg, 'string') && msg.string !== '' ? msg.string : '0';
    case 'intOrString':
      return toNumber(msg.type) === 1 ? (msg.strVal ?? '') : has(msg, 'intVal') ? toNumber(msg.intVal) : 0;
    case 'rawJSON': {
      const raw = msg[type.fieldsArray[0]!.name] as Uint8Array | undefined;
      if (!raw || raw.length === 0) return null;
      const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
      try {
        return JSON.parse(text);
      } catch {
        throw new Error(`${type.name} does not hold JSON`);
      }
    }
    case 'list':
      return ((msg.items ?? []) as unknown[]).slice();
    default:
      throw new Error(`unknown (skiff.json) form ${form} on ${type.name}`);
  }
}

function valueToJson(field: protobuf.Field, v: unknown): Json {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return messageToJson(rt, v as Message);
  return scalarToJson(field, v);
}

/** Converts a message decoded by protobufjs into Kubernetes JSON. */
export function messageToJson(type: protobuf.Type, msg: Message): Json {
  const form = jsonForm(type);
  if (form) return specialToJson(form, type, msg);
  const out: Record<string, Json> = {};
  writeFields(type, msg, out);
  return out;
}

function writeFields(type: protobuf.Type, msg: Message, out: Record<string, Json>): void {
  for (const field of type.fieldsArray) {
    const name = field.name;
    writeField(field, msg, out);
    if (!(name in out) && fieldOption(field, 'nullWhenAbsent')) out[name] = null;
  }
}

function writeField(field: protobuf.Field, msg: Message, out: Record<string, Json>): void {
  const name = field.name;
  if (!has(msg, name)) return;
  const v = msg[name];
  if (field.map) {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return;
    out[name] = Object.fromEntries(entries.map(([k, x]) => [k, valueToJson(field, x)]));
  } else if (field.repeated) {
    const items = v as unknown[];
    if (items.length === 0) return;
    out[name] = items.map((x) => valueToJson(field, x));
  } else if (field.resolvedType instanceof protobuf.Type) {
    if (v === null || v === undefined) return;
    if (fieldOption(field, 'inline')) writeFields(field.resolvedType, v as Message, out);
    else out[name] = messageToJson(field.resolvedType, v as Message);
  } else {
    if (isZeroScalar(v) && !fieldOption(field, 'keepZero')) return;
    out[name] = scalarToJson(field, v);
  }
}
