// The part of Kubernetes' JSONPath (k8s.io/client-go/util/jsonpath) that CRD printer columns
// use: `.a.b`, `['a.b']`, `[0]`, `[-1]`, `[*]`, `..a` (recursive), and filters
// `[?(@.type=="Ready")]` with ==, !=, <, <=, >, >= against a string or number literal, or a
// bare `[?(@.x)]` for existence. A column is one such path, with or without braces.

type Step =
  | { op: 'field'; name: string }
  | { op: 'index'; index: number }
  | { op: 'all' }
  | { op: 'recursive'; name: string }
  | { op: 'filter'; path: Step[]; cmp?: string; value?: string | number };

export class JsonPathError extends Error {}

const identChar = /[A-Za-z0-9_\-$]/;

function parseLiteral(s: string): string | number {
  const t = s.trim();
  if (/^(['"]).*\1$/.test(t)) return t.slice(1, -1);
  const n = Number(t);
  if (t !== '' && !Number.isNaN(n)) return n;
  throw new JsonPathError(`unrecognized literal ${t}`);
}

/** Parses `.spec.replicas` or `{.spec.replicas}`; throws JsonPathError on anything else. */
export function parseJsonPath(expr: string): Step[] {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (s.startsWith('$')) s = s.slice(1);
  if (s.startsWith('@')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  const ident = () => {
    const start = i;
    while (i < s.length && identChar.test(s[i]!)) i++;
    if (i === start) throw new JsonPathError(`unexpected ${JSON.stringify(s[i] ?? 'end')} in ${expr}`);
    return s.slice(start, i);
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === '.') {
      if (s[i + 1] === '.') {
        i += 2;
        steps.push({ op: 'recursive', name: ident() });
      } else {
        i++;
        if (s[i] === '*') {
          i++;
          steps.push({ op: 'all' });
        } else steps.push({ op: 'field', name: ident() });
      }
    } else if (c === '[') {
      const close = findClose(s, i);
      const inner = s.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') steps.push({ op: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ op: 'index', index: Number(inner) });
      else if (/^(['"]).*\1$/.test(inner)) steps.push({ op: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push(parseFilter(inner.slice(2, -1)));
      else throw new JsonPathError(`unsupported subscript [${inner}] in ${expr}`);
    } else throw new JsonPathError(`unexpected ${JSON.stringify(c)} in ${expr}`);
  }
  return steps;
}

function findClose(s: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let j = open; j < s.length; j++) {
    const c = s[j]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return j;
  }
  throw new JsonPathError(`unclosed [ in ${s}`);
}

function parseFilter(body: string): Step {
  const m = /^\s*(@[^=!<>]*?)\s*(==|!=|<=|>=|<|>)\s*(.+)$/.exec(body);
  if (!m) return { op: 'filter', path: parseJsonPath(body.trim()) };
  return { op: 'filter', path: parseJsonPath(m[1]!), cmp: m[2], value: parseLiteral(m[3]!) };
}

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v && typeof v === 'object') return Object.values(v);
  return [];
}

function recursiveFind(v: unknown, name: string, out: unknown[]): void {
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, name)) out.push((v as Record<string, unknown>)[name]);
  for (const c of children(v)) recursiveFind(c, name, out);
}

function compare(a: unknown, cmp: string, b: string | number): boolean {
  if (typeof a !== typeof b) return cmp === '!=';
  const x = a as string | number;
  switch (cmp) {
    case '==':
      return x === b;
    case '!=':
      return x !== b;
    case '<':
      return x < b;
    case '<=':
      return x <= b;
    case '>':
      return x > b;
    default:
      return x >= b;
  }
}

/** Every value the path reaches (none when a field is missing). */
export function evaluateJsonPath(steps: Step[], root: unknown): unknown[] {
  let cur: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      switch (step.op) {
        case 'field':
          if (v && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, step.name)) next.push((v as Record<string, unknown>)[step.name]);
          break;
        case 'index':
          if (Array.isArray(v)) {
            const k = step.index < 0 ? v.length + step.index : step.index;
            if (k >= 0 && k < v.length) next.push(v[k]);
          }
          break;
        case 'all':
          next.push(...children(v));
          break;
        case 'recursive':
          recursiveFind(v, step.name, next);
          break;
        case 'filter':
          for (const item of children(v)) {
            const found = evaluateJsonPath(step.path, item);
            if (step.cmp === undefined ? found.length > 0 : found.some((f) => compare(f, step.cmp!, step.value!))) next.push(item);
          }
          break;
      }
    }
    cur = next;
  }
  return cur;
}
