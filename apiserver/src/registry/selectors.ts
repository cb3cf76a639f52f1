// Label and field selectors as apimachinery parses them (labels.Parse, fields.ParseSelector).
import { errors } from '../errors.ts';

export type LabelRequirement = { key: string; op: 'exists' | 'notexists' } | { key: string; op: 'in' | 'notin'; values: string[] };

export type LabelSelector = LabelRequirement[];

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`. An empty string selects everything. */
export function parseLabelSelector(input: string): LabelSelector {
  const reqs: LabelSelector = [];
  let i = 0;
  const s = input;
  const fail = (why: string): never => {
    throw errors.badRequest(`unable to parse requirement: ${why}`);
  };
  const skipWs = () => {
    while (i < s.length && s[i] === ' ') i++;
  };
  const readKey = (): string => {
    const start = i;
    while (i < s.length && /[A-Za-z0-9._\-/]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  const readValue = (): string => {
    const start = i;
    while (i < s.length && /[A-Za-z0-9._-]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  while (true) {
    skipWs();
    if (i >= s.length) break;
    let negate = false;
    if (s[i] === '!') {
      negate = true;
      i++;
      skipWs();
    }
    const key = readKey();
    if (!key) fail(`found '${s[i] ?? 'EOF'}', expected: identifier`);
    skipWs();
    if (negate) {
      reqs.push({ key, op: 'notexists' });
    } else if (i >= s.length || s[i] === ',') {
      reqs.push({ key, op: 'exists' });
    } else if (s.startsWith('==', i) || s.startsWith('!=', i) || s[i] === '=') {
      const op = s.startsWith('!=', i) ? 'notin' : 'in';
      i += s.startsWith('==', i) || s.startsWith('!=', i) ? 2 : 1;
      skipWs();
      reqs.push({ key, op, values: [readValue()] });
    } else if (/^(in|notin)\s*\(/.test(s.slice(i))) {
      const op = s.startsWith('notin', i) ? 'notin' : 'in';
      i += op.length;
      skipWs();
      i++; // (
      const values: string[] = [];
      while (true) {
        skipWs();
        values.push(readValue());
        skipWs();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === ')') {
          i++;
          break;
        }
        fail(`found '${s[i] ?? 'EOF'}', expected: ',', ')' or identifier`);
      }
      reqs.push({ key, op, values });
    } else {
      fail(`found '${s[i]}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    skipWs();
    if (i < s.length) {
      if (s[i] !== ',') fail(`found '${s[i]}', expected: ','`);
      i++;
    }
  }
  return reqs;
}

export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of sel) {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(l[r.key]!)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(l[r.key]!)) return false;
        break;
    }
  }
  return true;
}

/** metav1.LabelSelector (matchLabels + matchExpressions) as a parsed selector. */
export function fromLabelSelectorObject(
  sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined,
): LabelSelector {
  const out: LabelSelector = [];
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) out.push({ key: k, op: 'in', values: [v] });
  for (const e of sel?.matchExpressions ?? []) {
    switch (e.operator) {
      case 'In':
        out.push({ key: e.key, op: 'in', values: e.values ?? [] });
        break;
      case 'NotIn':
        out.push({ key: e.key, op: 'notin', values: e.values ?? [] });
        break;
      case 'Exists':
        out.push({ key: e.key, op: 'exists' });
        break;
      case 'DoesNotExist':
        out.push({ key: e.key, op: 'notexists' });
        break;
      default:
        throw errors.badRequest(`"${e.operator}" is not a valid label selector operator`);
    }
  }
  return out;
}

/** The string form kubectl shows and Scale.status.selector carries. */
export function labelSelectorToString(sel: LabelSelector): string {
  return sel
    .map((r) => {
      switch (r.op) {
        case 'exists':
          return r.key;
        case 'notexists':
          return `!${r.key}`;
        case 'in':
          return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${[...r.values].sort().join(',')})`;
        case 'notin':
          return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${[...r.values].sort().join(',')})`;
      }
    })
    .join(',');
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Parses `metadata.name=x,status.phase!=Failed`. Backslash escapes `,` `=` `!` as apimachinery allows. */
export function parseFieldSelector(input: string): FieldRequirement[] {
  if (!input.trim()) return [];
  const out: FieldRequirement[] = [];
  for (const term of splitUnescaped(input, ',')) {
    if (!term) continue;
    const m = /^([^=!]+)(==|!=|=)(.*)$/.exec(term);
    if (!m) throw errors.badRequest(`invalid selector: '${input}'; can't understand '${term}'`);
    out.push({ field: m[1]!.trim(), op: m[2] === '!=' ? '!=' : '=', value: unescapeValue(m[3]!.trim()) });
  }
  return out;
}

function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) {
      cur += s[i]! + s[i + 1]!;
      i++;
      continue;
    }
    if (s[i] === sep) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += s[i];
  }
  parts.push(cur);
  return parts;
}

function unescapeValue(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

export function matchesFields(reqs: FieldRequirement[], fields: Record<string, string>): boolean {
  for (const r of reqs) {
    const v = fields[r.field] ?? '';
    if (r.op === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}
