// Walks a JSON object against a compiled kind, as kube-apiserver's decoder (encoding/json into
// the Go types) would read it:
// - a value the Go type cannot hold is a decode error, worded as Go's UnmarshalTypeError
//   (`json: cannot unmarshal number into Go struct field Container.spec.containers.image of type
//   string`), or as the custom unmarshaler of Quantity / IntOrString / Time words it;
// - fields the type does not declare are collected (strict decoding reports them all) and
//   dropped, as the Go struct has no place for them;
// - a string outside a closed set (+enum) is collected as a NotSupported field error.
// It also does what the decode does to the value: a null struct field is dropped (Go leaves the
// zero value, which encodes as absent), a null list item or map value becomes the zero value,
// and a numeric Quantity becomes its canonical string.
import { field, type FieldError } from '@skiff/common/apimachinery/field-errors';
import { canonicalQuantity, QuantityError, quantityFormatMessage, tryParseQuantity } from '@skiff/common/apimachinery/quantity';
import type { StructNode, TypedNode } from './compile.ts';

/** The body does not decode into the Go types; the message is the decoder's. */
export class TypedDecodeError extends Error {}

export interface TypedFindings {
  /** paths of undeclared fields, as strict decoding names them: `spec.containers[0].imagez` */
  unknown: string[];
  /** values the types hold but do not accept (enums) */
  invalid: FieldError[];
}

const int32Min = -2147483648;
const int32Max = 2147483647;
/** RFC 3339, as metav1.Time and MicroTime parse it */
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Checks and normalizes `obj` in place against its kind; throws TypedDecodeError. */
export function decodeTyped(root: StructNode, obj: Record<string, unknown>): TypedFindings {
  const w = new Walker();
  w.struct(root, obj);
  return { unknown: w.unknown, invalid: w.invalid };
}

/** JSON's name for a value, as Go's decoder prints it */
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'bool';
    default:
      return 'object';
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A patch result can share subtrees with the stored object, which the cache keeps frozen; those
 * were decoded when they were written, so a frozen container is left as it is.
 */
function writable(container: object): boolean {
  return !Object.isFrozen(container);
}

/** Go's zero value of a type, as a JSON value; undefined where Go would keep null. */
function zeroOf(node: TypedNode): unknown {
  switch (node.kind) {
    case 'string':
      return '';
    case 'int':
    case 'float':
    case 'intOrString':
      return 0;
    case 'bool':
      return false;
    case 'quantity':
      return '0';
    case 'struct':
      return {};
    default:
      return null;
  }
}

class Walker {
  readonly unknown: string[] = [];
  readonly invalid: FieldError[] = [];
  /** JSON names of the struct fields entered, as Go's decoder joins them (no indexes, no map keys) */
  private readonly goPath: string[] = [];
  /** the same path for people: `.spec`, `[0]`, `[key]` */
  private readonly shown: string[] = [];
  /** the innermost struct whose field is being decoded */
  private structName = '';

  struct(node: StructNode, obj: Record<string, unknown>): void {
    for (const key in obj) {
      const v = obj[key];
      const child = node.fields.get(key);
      if (child === undefined) {
        this.shown.push(`.${key}`);
        this.unknown.push(this.path());
        this.shown.pop();
        // the Go struct has nowhere to put it: the field is dropped, in every fieldValidation mode
        if (writable(obj)) delete obj[key];
        continue;
      }
      if (v === null) {
        if (writable(obj)) delete obj[key];
        continue;
      }
      const outer = this.structName;
      this.structName = node.name;
      this.goPath.push(key);
      this.shown.push(`.${key}`);
      const out = this.value(child, v);
      if (out !== v && writable(obj)) obj[key] = out;
      this.shown.pop();
      this.goPath.pop();
      this.structName = outer;
    }
  }

  /** Checks one non-null value; returns it, or the value the decode turns it into. */
  private value(node: TypedNode, v: unknown): unknown {
    switch (node.kind) {
      case 'string':
        if (typeof v !== 'string') throw this.typeError(v, node.goType);
        if (node.format === 'date-time' && v !== '' && !rfc3339.test(v)) {
          throw new TypedDecodeError(`parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(v)} as "2006"`);
        }
        if (node.enum && v !== '' && !node.enum.includes(v)) this.invalid.push(field.notSupported(this.path(), v, [...node.enum]));
        return v;
      case 'int':
        if (typeof v !== 'number') throw this.typeError(v, node.goType);
        if (!Number.isInteger(v) || (node.goType === 'int32' && (v < int32Min || v > int32Max))) throw this.typeError(v, node.goType, true);
        return v;
      case 'float':
        if (typeof v !== 'number') throw this.typeError(v, node.goType);
        return v;
      case 'bool':
        if (typeof v !== 'boolean') throw this.typeError(v, node.goType);
        return v;
      case 'intOrString':
        // IntOrString.UnmarshalJSON: a quoted value is the string, anything else an int32.
        if (typeof v === 'string') return v;
        if (typeof v !== 'number') throw new TypedDecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type int32`);
        if (!Number.isInteger(v) || v < int32Min || v > int32Max) throw new TypedDecodeError(`json: cannot unmarshal number ${v} into Go value of type int32`);
        return v;
      case 'quantity':
        return this.quantity(v);
      case 'any':
        return v;
      case 'array':
        if (!Array.isArray(v)) throw this.typeError(v, node.goType);
        for (let i = 0; i < v.length; i++) {
          this.shown.push(`[${i}]`);
          const item = v[i];
          const out = item === null ? zeroOf(node.items) : this.value(node.items, item);
          if (out !== item && writable(v)) v[i] = out;
          this.shown.pop();
        }
        return v;
      case 'map':
        if (!isPlainObject(v)) throw this.typeError(v, node.goType);
        for (const key in v) {
          this.shown.push(`[${key}]`);
          const item = v[key];
          const out = item === null ? zeroOf(node.values) : this.value(node.values, item);
          if (out !== item && writable(v)) v[key] = out;
          this.shown.pop();
        }
        return v;
      case 'struct':
        if (!isPlainObject(v)) throw this.typeError(v, node.goType);
        this.struct(node, v);
        return v;
    }
  }

  /** Quantity.UnmarshalJSON parses the raw text: quoted or not, it must be a quantity. */
  private quantity(v: unknown): unknown {
    if (typeof v !== 'string' && typeof v !== 'number') throw new TypedDecodeError(quantityFormatMessage);
    if (tryParseQuantity(v) === undefined) {
      try {
        canonicalQuantity(v);
      } catch (e) {
        if (e instanceof QuantityError) throw new TypedDecodeError(e.message);
        throw e;
      }
    }
    return typeof v === 'number' ? canonicalQuantity(v) : v;
  }

  private typeError(v: unknown, goType: string, withNumber = false): TypedDecodeError {
    const what = withNumber ? `number ${v}` : jsonKind(v);
    const fieldName = this.goPath.join('.');
    return new TypedDecodeError(`json: cannot unmarshal ${what} into Go struct field ${this.structName}.${fieldName} of type ${goType}`);
  }

  private path(): string {
    return this.shown.join('').replace(/^\./, '');
  }
}
