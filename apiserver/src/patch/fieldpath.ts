// Field paths and sets of them, in structured-merge-diff's terms, and their FieldsV1
// encoding: `f:<field>`, `k:{"name":"nginx"}` for an item of a map-keyed list,
// `v:<json>` for an item of a set, `i:<n>` by index, and `.` for "the node itself".
import { errors } from '../errors.ts';
import { isObject } from './json-util.ts';
import { checkJsonDepth } from '../server/limits.ts';

/** One path element, already in its FieldsV1 spelling, e.g. `f:spec` or `k:{"name":"a"}`. */
export type PathElement = string;
export type FieldPath = PathElement[];

export const fieldElement = (name: string): PathElement => `f:${name}`;
export const valueElement = (v: unknown): PathElement => `v:${JSON.stringify(v)}`;
/** Key fields are sorted by name, as structured-merge-diff serializes them. */
export function keyElement(key: Record<string, unknown>): PathElement {
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(key).sort()) sorted[k] = key[k];
  return `k:${JSON.stringify(sorted)}`;
}

const sep = '\u0000';
const encodePath = (p: FieldPath) => p.join(sep);
const decodePath = (s: string): FieldPath => (s === '' ? [] : s.split(sep));

/** An immutable-by-convention set of field paths. */
export class FieldSet {
  private readonly members: Set<string>;
  private prefixCache?: Set<string>;

  constructor(paths: Iterable<FieldPath> = []) {
    this.members = new Set();
    for (const p of paths) this.members.add(encodePath(p));
  }

  private static of(keys: Iterable<string>): FieldSet {
    const s = new FieldSet();
    for (const k of keys) s.members.add(k);
    return s;
  }

  get size(): number {
    return this.members.size;
  }
  isEmpty(): boolean {
    return this.members.size === 0;
  }
  has(p: FieldPath): boolean {
    return this.members.has(encodePath(p));
  }
  add(p: FieldPath): void {
    this.members.add(encodePath(p));
    this.prefixCache = undefined;
  }
  paths(): FieldPath[] {
    return [...this.members].map(decodePath);
  }

  /** Whether some member lies strictly below `p`. */
  hasDescendantOf(p: FieldPath): boolean {
    if (!this.prefixCache) {
      this.prefixCache = new Set();
      for (const m of this.members) {
        const parts = decodePath(m);
        for (let i = 0; i < parts.length; i++) this.prefixCache.add(encodePath(parts.slice(0, i)));
      }
    }
    return this.prefixCache.has(encodePath(p));
  }

  union(o: FieldSet): FieldSet {
    return FieldSet.of([...this.members, ...o.members]);
  }
  difference(o: FieldSet): FieldSet {
    return FieldSet.of([...this.members].filter((m) => !o.members.has(m)));
  }
  intersection(o: FieldSet): FieldSet {
    return FieldSet.of([...this.members].filter((m) => o.members.has(m)));
  }
  filter(keep: (p: FieldPath) => boolean): FieldSet {
    return FieldSet.of([...this.members].filter((m) => keep(decodePath(m))));
  }
  equals(o: FieldSet): boolean {
    return this.size === o.size && [...this.members].every((m) => o.members.has(m));
  }
}

interface Node {
  member: boolean;
  children: Map<string, Node>;
}

const kindRank: Record<string, number> = { f: 0, v: 1, i: 2, k: 3 };
function compareElements(a: string, b: string): number {
  const r = (kindRank[a[0]] ?? 9) - (kindRank[b[0]] ?? 9);
  return r !== 0 ? r : a < b ? -1 : a > b ? 1 : 0;
}

/** The FieldsV1 JSON object for a set. */
export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  const root: Node = { member: false, children: new Map() };
  for (const p of set.paths()) {
    let n = root;
    for (const pe of p) {
      let c = n.children.get(pe);
      if (!c) {
        c = { member: false, children: new Map() };
        n.children.set(pe, c);
      }
      n = c;
    }
    n.member = true;
  }
  const encode = (n: Node): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    if (n.member && n.children.size > 0) o['.'] = {};
    for (const k of [...n.children.keys()].sort(compareElements)) o[k] = encode(n.children.get(k)!);
    return o;
  };
  return encode(root);
}

/** Reads FieldsV1; malformed input is the client's fault (they may write managedFields). */
export function fromFieldsV1(fields: unknown): FieldSet {
  const set = new FieldSet();
  const walk = (o: unknown, path: FieldPath): void => {
    if (!isObject(o)) throw errors.badRequest(`error decoding FieldsV1: expected an object at ${pathString(path) || 'the root'}`);
    const keys = Object.keys(o);
    if (keys.length === 0 && path.length > 0) {
      set.add(path);
      return;
    }
    for (const k of keys) {
      if (k === '.') {
        if (path.length > 0) set.add(path);
        continue;
      }
      if (!/^[fkvi]:/.test(k)) throw errors.badRequest(`error decoding FieldsV1: unknown path element ${JSON.stringify(k)}`);
      walk(o[k], [...path, k]);
    }
  };
  walk(fields, []);
  return set;
}

/** `.spec.template.spec.containers[name="nginx"].image`, as structured-merge-diff prints paths. */
/** A `k:{...}` element as `[name="x"]`; a key a client sent malformed is shown as it came. */
function keyString(body: string): string {
  try {
    checkJsonDepth(body);
    const key = JSON.parse(body) as Record<string, unknown>;
    if (key === null || typeof key !== 'object') return `[${body}]`;
    return `[${Object.keys(key)
      .map((k) => `${k}=${JSON.stringify(key[k])}`)
      .join(',')}]`;
  } catch {
    return `[${body}]`;
  }
}

export function pathString(p: FieldPath): string {
  return p
    .map((pe) => {
      const body = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${body}`;
        case 'i':
          return `[${body}]`;
        case 'v':
          return `[=${body}]`;
        case 'k':
          return keyString(body);
        default:
          return pe;
      }
    })
    .join('');
}
