// Limits on what one request body may cost: nesting depth, YAML alias expansion, and the size
// a JSON patch may grow an object to. Each check is iterative and bounded by the body's size,
// so no input can block the event loop or overflow the stack before it is refused.
import { errors } from '../errors.ts';

/** kube-apiserver refuses bodies above 3 MiB (413). */
export const maxBodyBytes = 3 * 1024 * 1024;

/**
 * Kubernetes' JSON decoder stops at depth 10000. Our handlers walk objects recursively
 * (clone, merge, validation), and V8's stack does not take 10000 levels of those, so the cap
 * is lower; no Kubernetes object nests beyond a few dozen levels.
 */
export const maxJsonDepth = 1000;

/**
 * go-yaml refuses documents whose aliases expand far beyond their size ("excessive aliasing").
 * We bound the expanded node count by the text's size: a document without aliases has fewer
 * nodes than bytes, so this refuses only alias bombs.
 */
export function maxYamlNodes(textBytes: number): number {
  return 2 * textBytes + 10_000;
}

/** Fails with 400 when the JSON text nests deeper than maxJsonDepth; one pass, no recursion. */
export function checkJsonDepth(body: Buffer | string, limit = maxJsonDepth): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) throw depthExceeded(limit);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/** The errors of these limits: a body refused by one is not read any further. */
const limitErrors = new WeakSet<object>();

export function isLimitError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && limitErrors.has(e);
}

function depthExceeded(limit: number) {
  const e = errors.badRequest(`the object provided is unrecognized: exceeded max depth of ${limit}`);
  limitErrors.add(e);
  return e;
}

/** Whether a YAML text may contain an alias (`*name`); if not, it cannot expand. */
export function mayHaveYamlAliases(text: string): boolean {
  return /(^|[\s,[{:-])\*[^\s,[\]{}]/m.test(text);
}

/**
 * Walks a decoded value as a JSON encoder would, without recursion, counting nodes (shared
 * subtrees, which YAML aliases make, once per reference) and depth. Stops at the first limit hit.
 */
export function checkDecodedSize(value: unknown, maxNodes: number, limit = maxJsonDepth): void {
  const stack: Array<{ v: unknown; d: number }> = [{ v: value, d: 0 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (++nodes > maxNodes) throw errors.badRequest('error converting YAML to JSON: yaml: document contains excessive aliasing');
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > limit) throw depthExceeded(limit);
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) stack.push({ v: c, d: d + 1 });
  }
}

/**
 * The serialized size of a value, counted without building the string and abandoned once it
 * passes `budget` (then the result is budget + 1). Close to JSON.stringify's length (strings
 * are counted unescaped); `perNode` adds a cost for each object and array, whose copying costs
 * us more than their few bytes of JSON.
 */
export function jsonSizeWithin(value: unknown, budget: number, perNode = 0): number {
  const stack: unknown[] = [value];
  let size = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') size += v.length + 2;
    else if (typeof v !== 'object' || v === null)
      size += 5; // numbers, booleans, null: a few bytes
    else if (Array.isArray(v)) {
      size += 2 + v.length + perNode;
      for (let i = 0; i < v.length; i++) stack.push(v[i]);
    } else {
      size += 2 + perNode;
      for (const k in v) {
        size += k.length + 4;
        stack.push((v as Record<string, unknown>)[k]);
      }
    }
    if (size > budget) return budget + 1;
  }
  return size;
}

/** What one object or array counts for in the copy budget: JS clones nodes, not bytes. */
const copyCostPerNode = 128;

/**
 * kube-apiserver's JSONPatchMaxCopyBytes: the `copy` operations of one JSON patch may add at
 * most this much in total, so that a few repeated copies cannot build a huge object. Values of
 * `add` and `replace` come from the body, which is limited already.
 */
export class PatchCopyBudget {
  private used = 0;
  private readonly limit: number;
  constructor(limit = maxBodyBytes) {
    this.limit = limit;
  }

  /** Call before a `copy` inserts `value`. */
  copy(value: unknown): void {
    this.used += jsonSizeWithin(value, this.limit - this.used, copyCostPerNode);
    if (this.used > this.limit) {
      throw errors.tooLarge(`Request entity too large: the accumulated size increase of copy operations exceeds ${this.limit}`);
    }
  }
}
