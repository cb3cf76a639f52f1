// JSON → CEL values, typed by the schema as Kubernetes types them (k8s.io/apiserver/pkg/cel/common):
// `integer` → int (bigint), `number` → double, date-time strings → timestamp, duration strings →
// duration, declared property
// names escaped (`x-y` → `x__dash__y`), map keys (additionalProperties) left as they are. Each
// conversion also counts the elements it visited: that count drives the runtime cost budget.
import type { JSONSchemaProps } from '../index.ts';
import { isObject, itemsSchema } from '../node.ts';
import { celEnvironment } from './environment.ts';

const reserved = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);

const escaped = new Map<string, string | undefined>();

/** model.Escape: the CEL name of a schema property, or undefined when CEL cannot name it (remembered: names repeat). */
export function escapeProperty(name: string): string | undefined {
  if (escaped.has(name)) return escaped.get(name);
  const out = escapeName(name);
  if (escaped.size < 10_000) escaped.set(name, out);
  return out;
}

function escapeName(name: string): string | undefined {
  if (name === '' || /^[0-9]/.test(name)) return undefined;
  if (reserved.has(name)) return `__${name}__`;
  let ok = true;
  const out = name.replace(/__|[^a-zA-Z0-9_]/g, (m) => {
    switch (m) {
      case '__':
        return '__underscores__';
      case '.':
        return '__dot__';
      case '-':
        return '__dash__';
      case '/':
        return '__slash__';
      default:
        ok = false;
        return '';
    }
  });
  return ok ? out : undefined;
}

export interface Converted {
  value: unknown;
  /** elements (list items, map entries, object fields) beneath, for the cost budget */
  size: number;
  /** the longest list or map beneath: what one comprehension can range over */
  maxLen: number;
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export class CelConverter {
  readonly #cache = new Map<unknown, Converted>();

  convert(x: unknown, s: JSONSchemaProps | undefined, root = false): Converted {
    if (x !== null && typeof x === 'object') {
      const hit = this.#cache.get(x);
      if (hit) return hit;
      const done = this.#convertComposite(x, s, root);
      this.#cache.set(x, done);
      return done;
    }
    return { value: scalar(x, s), size: 1, maxLen: 0 };
  }

  #convertComposite(x: object, s: JSONSchemaProps | undefined, root: boolean): Converted {
    if (Array.isArray(x)) {
      const items = s ? itemsSchema(s) : undefined;
      let size = 1;
      let maxLen = x.length;
      const value = x.map((v) => {
        const c = this.convert(v, items);
        size += c.size;
        if (c.maxLen > maxLen) maxLen = c.maxLen;
        return c.value;
      });
      return { value, size, maxLen };
    }
    const obj = x as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    let size = 1;
    let maxLen = 0;
    let entries = 0;
    const add = (key: string, v: unknown, vs: JSONSchemaProps | undefined) => {
      const c = this.convert(v, vs);
      out[key] = c.value;
      size += c.size;
      entries++;
      if (c.maxLen > maxLen) maxLen = c.maxLen;
    };
    const props = s?.properties;
    const extra = s && typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
    const preserve = !s || s['x-kubernetes-preserve-unknown-fields'] === true || s.additionalProperties === true;
    const embedded = root || s?.['x-kubernetes-embedded-resource'] === true;
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined) continue;
      const prop = props?.[k];
      if (prop) {
        const name = escapeProperty(k);
        if (name) add(name, v, prop);
      } else if (embedded && (k === 'apiVersion' || k === 'kind')) {
        add(k, v, { type: 'string' });
      } else if (embedded && k === 'metadata' && isObject(v)) {
        // Rules see only the metadata they may rely on: name and generateName.
        const meta: Record<string, unknown> = {};
        if (typeof v.name === 'string') meta.name = v.name;
        if (typeof v.generateName === 'string') meta.generateName = v.generateName;
        out.metadata = meta;
        size += 1;
      } else if (extra) {
        add(k, v, extra);
      } else if (preserve) {
        const name = props ? escapeProperty(k) : k;
        if (name) add(name, v, undefined);
      }
    }
    return { value: out, size, maxLen: Math.max(maxLen, entries) };
  }
}

/** CEL's duration() on a one-variable program: the evaluator's duration type is not exported. */
let durationProgram: ((ctx: Record<string, unknown>) => unknown) | undefined;
function toDuration(text: string): unknown {
  durationProgram ??= celEnvironment().parse('duration(self)') as unknown as (ctx: Record<string, unknown>) => unknown;
  try {
    return durationProgram({ self: text });
  } catch {
    return text; // not a Go duration: schema validation reports the format
  }
}

function scalar(x: unknown, s: JSONSchemaProps | undefined): unknown {
  if (typeof x === 'number') {
    if (s?.type === 'number') return x;
    return Number.isInteger(x) ? BigInt(x) : x;
  }
  if (typeof x === 'string' && s?.type === 'string' && s.format === 'duration') return toDuration(x);
  if (typeof x === 'string' && s?.type === 'string' && (s.format === 'date-time' || s.format === 'datetime') && rfc3339.test(x)) {
    const d = new Date(x);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return x;
}
