// Kubernetes JSON -> a plain object protobufjs can encode (the reverse of to-json.ts).
// Keys we have no field for are dropped, as Go drops unknown JSON fields.
import protobuf from 'protobufjs';
import { parseDuration, parseTime } from './go-values.ts';
import { fieldOption, jsonForm } from './to-json.ts';

type Message = Record<string, unknown>;

function fail(path: string, why: string): never {
  throw new Error(`${path}: ${why}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function specialFromJson(form: string, type: protobuf.Type, v: unknown, path: string): Message {
  switch (form) {
    case 'time':
    case 'microtime':
      if (v === null) return {};
      if (typeof v !== 'string') fail(path, 'expected an RFC3339 time string');
      try {
        return { ...parseTime(v) };
      } catch (e) {
        return fail(path, (e as Error).message);
      }
    case 'duration':
      if (typeof v !== 'string') fail(path, 'expected a duration string');
      try {
        return { duration: parseDuration(v) };
      } catch (e) {
        return fail(path, (e as Error).message);
      }
    case 'quantity':
      if (typeof v === 'number') return { string: String(v) };
      if (typeof v !== 'string') fail(path, 'expected a quantity string');
      return { string: v };
    case 'intOrString':
      if (typeof v === 'number' && Number.isInteger(v)) return { type: 0, intVal: v };
      if (typeof v === 'string') return { type: 1, strVal: v };
      return fail(path, 'expected an integer or a string');
    case 'rawJSON':
      // The bytes field is `raw` in RawExtension but `Raw` in FieldsV1.
      return v === null || v === undefined ? {} : { [type.fieldsArray[0]!.name]: Buffer.from(JSON.stringify(v)) };
    case 'list':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail(path, 'expected a list of strings');
      return { items: v };
    default:
      return fail(path, `unknown (skiff.json) form ${form}`);
  }
}

function scalarFromJson(field: protobuf.Field, v: unknown, path: string): unknown {
  switch (field.type) {
    case 'string':
      if (typeof v !== 'string') fail(path, 'expected a string');
      return v;
    case 'bool':
      if (typeof v !== 'boolean') fail(path, 'expected a boolean');
      return v;
    case 'bytes':
      if (typeof v !== 'string') fail(path, 'expected base64 data');
      return Buffer.from(v, 'base64');
    case 'double':
    case 'float':
      if (typeof v !== 'number') fail(path, 'expected a number');
      return v;
    default:
      if (typeof v !== 'number' || !Number.isInteger(v)) fail(path, 'expected an integer');
      return v;
  }
}

function valueFromJson(field: protobuf.Field, v: unknown, path: string): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return messageFromJson(rt, v, path);
  return scalarFromJson(field, v, path);
}

/** JSON null is the zero time (Go writes it as an empty message); elsewhere it means unset. */
function nullIsValue(field: protobuf.Field): boolean {
  const rt = field.resolvedType;
  if (!(rt instanceof protobuf.Type) || field.repeated || field.map) return false;
  const form = jsonForm(rt);
  return form === 'time' || form === 'microtime';
}

/** Builds the protobufjs value for `v`, a JSON value of message `type`. */
export function messageFromJson(type: protobuf.Type, v: unknown, path = ''): Message {
  const form = jsonForm(type);
  if (form) return specialFromJson(form, type, v, path);
  if (!isObject(v)) fail(path || type.name, 'expected an object');
  const out: Message = {};
  for (const field of type.fieldsArray) {
    const sub = `${path ? path + '.' : ''}${field.name}`;
    if (fieldOption(field, 'inline') && field.resolvedType instanceof protobuf.Type) {
      // Embedded Go struct: its fields sit in the parent object.
      out[field.name] = messageFromJson(field.resolvedType, v, path);
      continue;
    }
    const x = v[field.name];
    if (x === undefined || (x === null && !nullIsValue(field))) continue;
    if (field.map) {
      if (!isObject(x)) fail(sub, 'expected an object');
      out[field.name] = Object.fromEntries(Object.entries(x).map(([k, e]) => [k, valueFromJson(field, e, `${sub}[${k}]`)]));
    } else if (field.repeated) {
      if (!Array.isArray(x)) fail(sub, 'expected a list');
      out[field.name] = x.map((e, i) => valueFromJson(field, e, `${sub}[${i}]`));
    } else {
      out[field.name] = valueFromJson(field, x, sub);
    }
  }
  return out;
}
