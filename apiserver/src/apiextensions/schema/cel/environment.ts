// The CEL environment of x-kubernetes-validations, on @marcbachmann/cel-js: `self` and `oldSelf`,
// optional types (`self.?x.orValue(...)`, optionalOldSelf), and the parts of Kubernetes' CEL
// libraries (k8s.io/apiserver/pkg/cel/library) that the evaluator lacks: list isSorted/sum/min/max/
// indexOf/lastIndexOf, string charAt/replace/reverse, regex find/findAll, isIP/isCIDR, quantity()
// (on the shared Quantity). Anything else (url(), ip(), cidr(), format(), sets.*) fails to
// type-check, so the CRD that uses it is refused.
import { isIP } from 'node:net';
import { Environment, EvaluationError } from '@marcbachmann/cel-js';
import { parseQuantity, Quantity, tryParseQuantity } from '@skiff/common/apimachinery/quantity';

type Scalar = bigint | number | string | boolean;

function compare(a: Scalar, b: Scalar): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw new EvaluationError('no such overload');
}

function extreme(list: Scalar[], sign: 1 | -1): Scalar {
  if (list.length === 0) throw new EvaluationError(sign === 1 ? 'max(list) argument must not be empty' : 'min(list) argument must not be empty');
  let best = list[0]!;
  for (const v of list.slice(1)) if (compare(v, best) * sign > 0) best = v;
  return best;
}

function sum(list: Scalar[]): bigint | number {
  if (list.length === 0) return 0n;
  if (list.every((v) => typeof v === 'bigint')) return (list as bigint[]).reduce((a, b) => a + b, 0n);
  if (list.every((v) => typeof v === 'number')) return (list as number[]).reduce((a, b) => a + b, 0);
  throw new EvaluationError('no such overload');
}

function indexOf(list: unknown[], v: unknown, last: boolean): bigint {
  const eq = (x: unknown) => x === v || (typeof x === 'object' && JSON.stringify(x, big) === JSON.stringify(v, big));
  const i = last ? list.findLastIndex(eq) : list.findIndex(eq);
  return BigInt(i);
}
const big = (_: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v);

/** Go RE2 and JS regexps agree on the syntax CRD authors use; an invalid pattern is a runtime error as in cel-go. */
function regex(pattern: string, flags = ''): RegExp {
  try {
    return new RegExp(pattern, `u${flags}`);
  } catch (err) {
    throw new EvaluationError(`invalid regex: ${(err as Error).message}`);
  }
}

/**
 * has(e.f) for any operand e. The evaluator's has() only takes a chain of selections from a
 * variable (`has(self.a.b)`), but CEL allows `has(self.matches[0].path)`, which Gateway API's
 * rules use; rules.ts rewrites such calls to this function (see hasFunction).
 */
export const hasFunction = '__has_field__';

function hasField(obj: unknown, key: string): boolean {
  if (obj instanceof Map) return obj.has(key);
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) return Object.hasOwn(obj, key) && (obj as Record<string, unknown>)[key] !== undefined;
  throw new EvaluationError('no such overload');
}

/** Kubernetes' isIP(): IPv4 or IPv6, without zones and without IPv4-mapped IPv6 forms. */
function isIPAddress(s: string): boolean {
  if (s.includes('%') || /^::ffff:\d/i.test(s)) return false;
  return isIP(s) !== 0;
}

function isCIDRString(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0 || !isIPAddress(s.slice(0, slash)) || !/^\d{1,3}$/.test(s.slice(slash + 1))) return false;
  return Number(s.slice(slash + 1)) <= (isIP(s.slice(0, slash)) === 4 ? 32 : 128);
}

/** quantity(): Kubernetes' resource.Quantity; a malformed one is a run-time error, as in cel-go. */
function toQuantity(s: string): Quantity {
  try {
    return parseQuantity(s);
  } catch (err) {
    throw new EvaluationError(err instanceof Error ? err.message : String(err));
  }
}

const oneUnit = 1_000_000_000n; // Quantity.nanos per unit

function asInteger(q: Quantity): bigint {
  if (q.nanos % oneUnit !== 0n) throw new EvaluationError('cannot convert value to integer');
  const v = q.nanos / oneUnit;
  if (v > 9223372036854775807n || v < -9223372036854775808n) throw new EvaluationError('cannot convert value to integer');
  return v;
}

let shared: Environment | undefined;

/** Building an environment is costly: one for every CRD, shared by all rules. */
export function celEnvironment(): Environment {
  if (shared) return shared;
  shared = new Environment({
    enableOptionalTypes: true,
    // Kubernetes' base environment keeps aggregate literals homogeneous too.
    homogeneousAggregateLiterals: true,
    // Parse-time bounds: a rule is a short expression, not a program.
    limits: { maxAstNodes: 2000, maxDepth: 100, maxListElements: 1000, maxMapEntries: 1000, maxCallArguments: 32 },
  })
    .registerVariable('self', 'dyn')
    .registerVariable('oldSelf', 'dyn')
    .registerFunction(`${hasFunction}(dyn, string): bool`, hasField)
    .registerType('Quantity', Quantity)
    .registerFunction('quantity(string): Quantity', toQuantity)
    .registerFunction('isQuantity(string): bool', (v: string) => tryParseQuantity(v) !== undefined)
    .registerFunction('Quantity.sign(): int', (q: Quantity) => BigInt(q.sign))
    .registerFunction('Quantity.compareTo(Quantity): int', (a: Quantity, b: Quantity) => BigInt(a.cmp(b)))
    .registerFunction('Quantity.isGreaterThan(Quantity): bool', (a: Quantity, b: Quantity) => a.cmp(b) > 0)
    .registerFunction('Quantity.isLessThan(Quantity): bool', (a: Quantity, b: Quantity) => a.cmp(b) < 0)
    .registerFunction('Quantity.add(Quantity): Quantity', (a: Quantity, b: Quantity) => a.add(b))
    .registerFunction('Quantity.add(int): Quantity', (a: Quantity, b: bigint) => a.add(new Quantity(b * oneUnit, a.format)))
    .registerFunction('Quantity.sub(Quantity): Quantity', (a: Quantity, b: Quantity) => a.sub(b))
    .registerFunction('Quantity.sub(int): Quantity', (a: Quantity, b: bigint) => a.sub(new Quantity(b * oneUnit, a.format)))
    .registerFunction('Quantity.isInteger(): bool', (q: Quantity) => q.nanos % oneUnit === 0n)
    .registerFunction('Quantity.asInteger(): int', asInteger)
    .registerFunction('Quantity.asApproximateFloat(): double', (q: Quantity) => q.asApproximateFloat64())
    .registerOperator('Quantity == Quantity', (a: Quantity, b: Quantity) => a.equals(b))
    .registerFunction('isIP(string): bool', isIPAddress)
    .registerFunction('isCIDR(string): bool', isCIDRString)
    .registerFunction('list<dyn>.isSorted(): bool', (l: Scalar[]) => l.every((v, i) => i === 0 || compare(l[i - 1]!, v) <= 0))
    .registerFunction('list<dyn>.sum(): dyn', (l: Scalar[]) => sum(l))
    .registerFunction('list<dyn>.min(): dyn', (l: Scalar[]) => extreme(l, -1))
    .registerFunction('list<dyn>.max(): dyn', (l: Scalar[]) => extreme(l, 1))
    .registerFunction('list<dyn>.indexOf(dyn): int', (l: unknown[], v: unknown) => indexOf(l, v, false))
    .registerFunction('list<dyn>.lastIndexOf(dyn): int', (l: unknown[], v: unknown) => indexOf(l, v, true))
    .registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
      const chars = [...s];
      if (i < 0n || i > BigInt(chars.length)) throw new EvaluationError(`index out of range: ${i}`);
      return chars[Number(i)] ?? '';
    })
    .registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) => s.replaceAll(a, b))
    .registerFunction('string.replace(string, string, int): string', (s: string, a: string, b: string, n: bigint) => {
      let out = s;
      let from = 0;
      for (let k = 0n; n < 0n || k < n; k++) {
        const at = out.indexOf(a, from);
        if (at < 0) break;
        out = out.slice(0, at) + b + out.slice(at + a.length);
        from = at + b.length;
      }
      return out;
    })
    .registerFunction('string.reverse(): string', (s: string) => [...s].reverse().join(''))
    .registerFunction('string.find(string): string', (s: string, p: string) => regex(p).exec(s)?.[0] ?? '')
    .registerFunction('string.findAll(string): list<string>', (s: string, p: string) => [...s.matchAll(regex(p, 'g'))].map((m) => m[0]))
    .registerFunction('string.findAll(string, int): list<string>', (s: string, p: string, n: bigint) => {
      const all = [...s.matchAll(regex(p, 'g'))].map((m) => m[0]);
      return n < 0n ? all : all.slice(0, Number(n));
    });
  return shared;
}
