// Label selectors (k8s.io/apimachinery/pkg/labels): the string syntax of `?labelSelector=` and
// `kubectl -l` (`app=web,tier in (a,b),!canary`), and metav1.LabelSelector
// (matchLabels + matchExpressions). Both compile to the same Selector, whose requirements
// are matched by one function. Compile once, match many times: the scheduler and the watch
// cache evaluate selectors per object, so matching allocates nothing.
import { checkLabelValue, checkQualifiedName } from './names.ts';

export type SelectorOperator = 'In' | 'NotIn' | 'Equals' | 'DoubleEquals' | 'NotEquals' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export type Labels = Readonly<Record<string, string>> | undefined | null;

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

/** metav1.LabelSelector */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** A selector that cannot be parsed or converted; the apiserver answers it with 400. */
export class SelectorError extends Error {}

/** Sets larger than this are looked up through a Set rather than a scan. */
const SET_THRESHOLD = 8;

export class Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  /** sorted, as labels.Requirement keeps them */
  readonly values: readonly string[];
  private readonly set: ReadonlySet<string> | undefined;
  private readonly bound: number;

  constructor(key: string, operator: SelectorOperator, values: readonly string[]) {
    this.key = key;
    this.operator = operator;
    this.values = [...new Set(values)].sort();
    this.set = this.values.length > SET_THRESHOLD ? new Set(this.values) : undefined;
    this.bound = operator === 'Gt' || operator === 'Lt' ? Number.parseInt(values[0] ?? '', 10) : 0;
  }

  private has(v: string): boolean {
    return this.set ? this.set.has(v) : this.values.includes(v);
  }

  /** labels.Requirement.Matches. */
  matches(labels: Labels): boolean {
    const v = labels?.[this.key];
    // a label map is a plain object: inherited members such as "constructor" are not labels
    const present = typeof v === 'string';
    switch (this.operator) {
      case 'In':
      case 'Equals':
      case 'DoubleEquals':
        return present && this.has(v);
      case 'NotIn':
      case 'NotEquals':
        return !present || !this.has(v);
      case 'Exists':
        return present;
      case 'DoesNotExist':
        return !present;
      case 'Gt':
      case 'Lt': {
        if (!present || !integerText.test(v)) return false;
        const n = Number.parseInt(v, 10);
        return this.operator === 'Gt' ? n > this.bound : n < this.bound;
      }
    }
  }

  /** labels.Requirement.String. */
  toString(): string {
    const k = this.key;
    switch (this.operator) {
      case 'Exists':
        return k;
      case 'DoesNotExist':
        return `!${k}`;
      case 'Equals':
        return `${k}=${this.values[0] ?? ''}`;
      case 'DoubleEquals':
        return `${k}==${this.values[0] ?? ''}`;
      case 'NotEquals':
        return `${k}!=${this.values[0] ?? ''}`;
      case 'Gt':
        return `${k}>${this.values[0] ?? ''}`;
      case 'Lt':
        return `${k}<${this.values[0] ?? ''}`;
      case 'In':
        return `${k} in (${this.values.join(',')})`;
      case 'NotIn':
        return `${k} notin (${this.values.join(',')})`;
    }
  }
}

const integerText = /^[+-]?[0-9]+$/;

/** Every requirement holds (an empty list selects everything). */
export function requirementsMatch(requirements: readonly Requirement[], labels: Labels): boolean {
  for (const r of requirements) if (!r.matches(labels)) return false;
  return true;
}

const byKey = (a: Requirement, b: Requirement) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export class Selector {
  /** sorted by key, as labels.internalSelector keeps them */
  readonly requirements: readonly Requirement[];
  /** A selector that matches nothing (a null metav1.LabelSelector). */
  readonly matchesNothing: boolean;

  constructor(requirements: readonly Requirement[], matchesNothing = false) {
    this.requirements = [...requirements].sort(byKey);
    this.matchesNothing = matchesNothing;
  }

  /** All requirements hold. Bound, so that `selector.matches` can be passed around as a predicate. */
  readonly matches = (labels: Labels): boolean => !this.matchesNothing && requirementsMatch(this.requirements, labels);

  /** Selects everything. */
  isEmpty(): boolean {
    return !this.matchesNothing && this.requirements.length === 0;
  }

  /** A selector with more requirements (labels.Selector.Add). */
  add(...requirements: Requirement[]): Selector {
    return requirements.length === 0 ? this : new Selector([...this.requirements, ...requirements], this.matchesNothing);
  }

  /** labels.Selector.String: `app=web,tier in (a,b)`, as Scale.status.selector and kubectl show it. */
  toString(): string {
    return this.requirements.join(',');
  }
}

export const everything = new Selector([]);
export const nothing = new Selector([], true);

/** labels.NewRequirement: checks the key, the values and their number for the operator. */
export function newRequirement(key: string, operator: SelectorOperator, values: readonly string[]): Requirement {
  const problems: string[] = [];
  const keyProblems = checkQualifiedName(key);
  if (keyProblems.length) problems.push(`key: Invalid value: ${JSON.stringify(key)}: ${keyProblems.join('; ')}`);
  switch (operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) problems.push("values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty");
      break;
    case 'Equals':
    case 'DoubleEquals':
    case 'NotEquals':
      if (values.length !== 1) problems.push('values: Invalid value: exact-match compatibility requires one single value');
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length !== 0) problems.push('values: Invalid value: values set must be empty for exists and does not exist');
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) problems.push("values: Invalid value: for 'Gt', 'Lt' operators, exactly one value is required");
      values.forEach((v, i) => {
        if (!integerText.test(v)) problems.push(`values[${i}]: Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
      });
      break;
  }
  values.forEach((v, i) => {
    const valueProblems = checkLabelValue(v);
    if (valueProblems.length) problems.push(`values[${i}][${key}]: Invalid value: ${JSON.stringify(v)}: ${valueProblems.join('; ')}`);
  });
  if (problems.length) throw new SelectorError(problems.length === 1 ? problems[0]! : `[${problems.join(', ')}]`);
  return new Requirement(key, operator, values);
}

const expressionOperators: Readonly<Record<string, SelectorOperator>> = { In: 'In', NotIn: 'NotIn', Exists: 'Exists', DoesNotExist: 'DoesNotExist' };
const nodeSelectorOperators: Readonly<Record<string, SelectorOperator>> = { ...expressionOperators, Gt: 'Gt', Lt: 'Lt' };

function fromExpressions(exprs: readonly LabelSelectorRequirement[] | undefined, operators: Readonly<Record<string, SelectorOperator>>): Requirement[] {
  const out: Requirement[] = [];
  for (const e of exprs ?? []) {
    const op = Object.hasOwn(operators, e.operator) ? operators[e.operator] : undefined;
    if (!op) throw new SelectorError(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    out.push(newRequirement(e.key, op, e.values ?? []));
  }
  return out;
}

/**
 * metav1.LabelSelectorAsSelector: a null selector matches nothing, an empty one everything.
 * Throws SelectorError for an unknown operator or invalid keys and values.
 */
export function selectorFromObject(sel: LabelSelectorObject | null | undefined): Selector {
  if (!sel) return nothing;
  const reqs: Requirement[] = [];
  for (const k in sel.matchLabels) {
    if (Object.hasOwn(sel.matchLabels, k)) reqs.push(newRequirement(k, 'Equals', [sel.matchLabels[k]!]));
  }
  reqs.push(...fromExpressions(sel.matchExpressions, expressionOperators));
  return reqs.length ? new Selector(reqs) : everything;
}

/** labels.SelectorFromSet: `k=v` for each entry (a Service's spec.selector). An empty set selects everything. */
export function selectorFromSet(set: Readonly<Record<string, string>> | null | undefined): Selector {
  const reqs: Requirement[] = [];
  for (const k in set) if (Object.hasOwn(set, k)) reqs.push(new Requirement(k, 'Equals', [set[k]!]));
  return reqs.length ? new Selector(reqs) : everything;
}

/** v1 NodeSelectorRequirements (node affinity, which also knows Gt and Lt) as one selector. */
export function selectorFromNodeSelectorRequirements(exprs: readonly LabelSelectorRequirement[]): Selector {
  return new Selector(fromExpressions(exprs, nodeSelectorOperators));
}

/**
 * Whether a metav1.LabelSelector selects the labels, without compiling it: a controller
 * checks a selector it meets once per event. Null selects nothing, empty everything; an
 * unknown operator selects nothing (the apiserver refuses such selectors).
 */
export function labelSelectorMatches(sel: LabelSelectorObject | null | undefined, labels: Labels): boolean {
  try {
    return selectorFromObject(sel).matches(labels);
  } catch (e) {
    if (e instanceof SelectorError) return false;
    throw e;
  }
}

/** A metav1.LabelSelector without requirements (selects everything). */
export function isEmptyLabelSelector(sel: LabelSelectorObject | null | undefined): boolean {
  if (!sel) return false;
  for (const k in sel.matchLabels) if (Object.hasOwn(sel.matchLabels, k)) return false;
  return (sel.matchExpressions ?? []).length === 0;
}

/** `a` is a subset of `b`: every label of `a` is on `b` with the same value. */
export function labelsSubset(a: Labels, b: Labels): boolean {
  for (const k in a) if (Object.hasOwn(a, k) && b?.[k] !== a[k]) return false;
  return true;
}

// ---- the string syntax (labels.Parse) ----

type TokenKind = 'identifier' | 'end' | '!' | '!=' | '=' | '==' | '>' | '<' | '(' | ')' | ',';

interface Token {
  kind: TokenKind;
  text: string;
}

const SPECIAL = '!=><(),';
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/** labels.Lexer: identifiers are runs of anything but white space and `!=><(),`. */
function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (SPECIAL.includes(c)) {
      const two = s.slice(i, i + 2);
      if (two === '!=' || two === '==') {
        out.push({ kind: two, text: two });
        i += 2;
      } else {
        out.push({ kind: c as TokenKind, text: c });
        i++;
      }
      continue;
    }
    const start = i;
    while (i < s.length && !isSpace(s[i]!) && !SPECIAL.includes(s[i]!)) i++;
    out.push({ kind: 'identifier', text: s.slice(start, i) });
  }
  out.push({ kind: 'end', text: '' });
  return out;
}

class Parser {
  private pos = 0;
  private readonly tokens: Token[];
  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }
  private next(): Token {
    const t = this.tokens[this.pos]!;
    if (t.kind !== 'end') this.pos++;
    return t;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    while (true) {
      const t = this.peek();
      if (t.kind === 'end') return reqs;
      if (t.kind !== 'identifier' && t.kind !== '!') throw new SelectorError(`found '${t.text}', expected: !, identifier, or 'end of string'`);
      reqs.push(this.requirement());
      const after = this.next();
      if (after.kind === 'end') return reqs;
      if (after.kind !== ',') throw new SelectorError(`found '${after.text}', expected: ',' or 'end of string'`);
      const t2 = this.peek();
      if (t2.kind !== 'identifier' && t2.kind !== '!') throw new SelectorError(`found '${t2.text}', expected: identifier after ','`);
    }
  }

  private requirement(): Requirement {
    let negated = false;
    let t = this.next();
    if (t.kind === '!') {
      negated = true;
      t = this.next();
    }
    if (t.kind !== 'identifier') throw new SelectorError(`found '${t.text}', expected: identifier`);
    const key = t.text;
    const la = this.peek().kind;
    if (negated) return newRequirement(key, 'DoesNotExist', []);
    if (la === 'end' || la === ',') return newRequirement(key, 'Exists', []);
    const op = this.operator();
    const values = op === 'In' || op === 'NotIn' ? this.valueSet() : this.exactValue();
    return newRequirement(key, op, values);
  }

  private operator(): SelectorOperator {
    const t = this.next();
    switch (t.kind) {
      case '=':
        return 'Equals';
      case '==':
        return 'DoubleEquals';
      case '!=':
        return 'NotEquals';
      case '>':
        return 'Gt';
      case '<':
        return 'Lt';
      case 'identifier':
        if (t.text === 'in') return 'In';
        if (t.text === 'notin') return 'NotIn';
    }
    throw new SelectorError(`found '${t.text}', expected: in, notin, =, ==, !=, gt, lt`);
  }

  private exactValue(): string[] {
    const la = this.peek().kind;
    if (la === 'end' || la === ',') return [''];
    const t = this.next();
    if (t.kind !== 'identifier') throw new SelectorError(`found '${t.text}', expected: identifier`);
    return [t.text];
  }

  /** `(a,b)`; empty members are the empty value, as in Kubernetes (`(a,)` holds "a" and ""). */
  private valueSet(): string[] {
    const open = this.next();
    if (open.kind !== '(') throw new SelectorError(`found '${open.text}' expected: '('`);
    const first = this.peek();
    if (first.kind === ')') {
      this.next();
      return [''];
    }
    if (first.kind !== 'identifier' && first.kind !== ',') throw new SelectorError(`found '${first.text}', expected: ',', ')' or identifier`);
    const values: string[] = [];
    let expectValue = true;
    while (true) {
      const t = this.next();
      if (t.kind === 'identifier' && expectValue) {
        values.push(t.text);
        expectValue = false;
      } else if (t.kind === ',') {
        if (expectValue) values.push('');
        expectValue = true;
      } else if (t.kind === ')') {
        if (expectValue) values.push('');
        return values;
      } else {
        throw new SelectorError(expectValue ? `found '${t.text}', expected: ',', or identifier` : `found '${t.text}', expected: ',' or ')'`);
      }
    }
  }
}

const parsed = new Map<string, Selector>();
const PARSED_LIMIT = 1024;

/** labels.Parse: `a=b,c!=d,e in (x,y),f notin (z),g,!h,n>1`. Empty selects everything. Throws SelectorError. */
export function parseSelector(text: string): Selector {
  let sel = parsed.get(text);
  if (sel === undefined) {
    sel = new Selector(new Parser(tokenize(text)).parse());
    if (parsed.size >= PARSED_LIMIT) parsed.clear();
    parsed.set(text, sel);
  }
  return sel;
}
