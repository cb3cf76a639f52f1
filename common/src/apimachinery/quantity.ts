// resource.Quantity (k8s.io/apimachinery/pkg/api/resource): "100m", "1.5Gi", "1e3".
// Values are kept exactly, as nano-units in a bigint (Kubernetes rounds every quantity up to
// 1n), together with the format the text was written in, because the canonical string
// depends on it: "1.5Gi" prints as "1536Mi", "1.5" as "1500m", "1e3" as "1e3", "1000" as "1k".
// Parsed quantities are immutable and memoised by their text: the scheduler and the kubelet
// read the same few strings ("100m", "128Mi") over and over.

export type QuantityFormat = 'DecimalExponent' | 'BinarySI' | 'DecimalSI';

/** apimachinery's ErrFormatWrong. */
export const quantityFormatMessage = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/** apimachinery's ErrSuffix. */
export const quantitySuffixMessage = "unable to parse quantity's suffix";

export class QuantityError extends Error {}

const NANO_PER_UNIT = 1_000_000_000n;
const NANO_PER_MILLI = 1_000_000n;
/** Kubernetes caps quantities it had to round at math.MaxInt64. */
const MAX_NANOS = (2n ** 63n - 1n) * NANO_PER_UNIT;
/** int64 holds 18 decimal digits: apimachinery's maxInt64Factors. */
const MAX_INT64_FACTORS = 18;

const decimalSuffixes: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalSuffixOf = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binarySuffixOf = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const SUFFIX_CHARS = 'eEinumkKMGTP';

const isDigit = (c: number) => c >= 48 && c <= 57;

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/** Integer division rounding away from zero (inf.RoundUp), as Kubernetes rounds sub-nano parts. */
function divAwayFromZero(n: bigint, d: bigint): bigint {
  const q = n / d;
  return q * d === n ? q : n < 0n ? q - 1n : q + 1n;
}

export class Quantity {
  /** The value times 10^9, exact. */
  readonly nanos: bigint;
  readonly format: QuantityFormat;
  private canonical: string | undefined;
  private milli: number | undefined;
  private units: number | undefined;

  constructor(nanos: bigint, format: QuantityFormat) {
    this.nanos = nanos;
    this.format = format;
  }

  get sign(): -1 | 0 | 1 {
    return this.nanos < 0n ? -1 : this.nanos > 0n ? 1 : 0;
  }

  isZero(): boolean {
    return this.nanos === 0n;
  }

  /** Value(): whole units, rounded away from zero. */
  value(): number {
    this.units ??= Number(divAwayFromZero(this.nanos, NANO_PER_UNIT));
    return this.units;
  }

  /** MilliValue(): thousandths, rounded away from zero ("0.1m" is 1). */
  milliValue(): number {
    this.milli ??= Number(divAwayFromZero(this.nanos, NANO_PER_MILLI));
    return this.milli;
  }

  /** AsApproximateFloat64(). */
  asApproximateFloat64(): number {
    return Number(this.nanos) / 1e9;
  }

  /** Cmp(): -1, 0 or 1. */
  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nanos < other.nanos ? -1 : this.nanos > other.nanos ? 1 : 0;
  }

  equals(other: Quantity): boolean {
    return this.nanos === other.nanos;
  }

  /** Add(): the sum, in this quantity's format (zero takes the other's, as Kubernetes does). */
  add(other: Quantity): Quantity {
    return new Quantity(this.nanos + other.nanos, this.isZero() ? other.format : this.format);
  }

  sub(other: Quantity): Quantity {
    return new Quantity(this.nanos - other.nanos, this.isZero() ? other.format : this.format);
  }

  /** The canonical text Kubernetes prints and stores. */
  toString(): string {
    this.canonical ??= canonicalize(this.nanos, this.format);
    return this.canonical;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** CanonicalizeBytes: the largest suffix that keeps an integer mantissa. */
function canonicalize(nanos: bigint, format: QuantityFormat): string {
  if (nanos === 0n) return '0';
  if (format === 'BinarySI') {
    const small = nanos > -1024n * NANO_PER_UNIT && nanos < 1024n * NANO_PER_UNIT;
    if (!small && nanos % NANO_PER_UNIT === 0n) {
      let units = nanos / NANO_PER_UNIT;
      let k = 0;
      while (k < binarySuffixOf.length - 1 && units % 1024n === 0n) {
        units /= 1024n;
        k++;
      }
      return `${units}${binarySuffixOf[k]}`;
    }
    // below 1Ki, or with a fraction: shown as DecimalSI so that nothing is rounded
    format = 'DecimalSI';
  }
  let mantissa = nanos;
  let exponent = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  const over = ((exponent % 3) + 3) % 3;
  if (over) {
    mantissa *= pow10(over);
    exponent -= over;
  }
  if (exponent === 0) return `${mantissa}`;
  const si = format === 'DecimalSI' ? decimalSuffixOf.get(exponent) : undefined;
  return `${mantissa}${si ?? `e${exponent}`}`;
}

/** Splits the text as apimachinery's parseQuantityString does; throws ErrFormatWrong. */
function scan(s: string): { negative: boolean; num: string; denom: string; suffix: string } {
  const end = s.length;
  let pos = 0;
  let negative = false;
  if (s.charCodeAt(0) === 45 /* - */) {
    negative = true;
    pos++;
  } else if (s.charCodeAt(0) === 43 /* + */) pos++;
  while (pos < end && s.charCodeAt(pos) === 48 /* 0 */) pos++;
  let i = pos;
  while (i < end && isDigit(s.charCodeAt(i))) i++;
  const num = s.slice(pos, i);
  let denom = '';
  if (i < end && s.charCodeAt(i) === 46 /* . */) {
    const start = ++i;
    while (i < end && isDigit(s.charCodeAt(i))) i++;
    denom = s.slice(start, i);
  }
  const suffixStart = i;
  while (i < end && SUFFIX_CHARS.includes(s[i]!)) i++;
  if (i < end && (s[i] === '-' || s[i] === '+')) i++;
  while (i < end && isDigit(s.charCodeAt(i))) i++;
  if (i < end) throw new QuantityError(quantityFormatMessage);
  return { negative, num, denom, suffix: s.slice(suffixStart) };
}

/** quantitySuffixer.interpret: decimal SI, binary SI, or e<n>. */
function interpretSuffix(suffix: string): { base: 10 | 2; exponent: number; format: QuantityFormat } {
  const dec = decimalSuffixes[suffix];
  if (dec !== undefined) return { base: 10, exponent: dec, format: 'DecimalSI' };
  const bin = binarySuffixes[suffix];
  if (bin !== undefined) return { base: 2, exponent: bin, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?[0-9]+$/.test(suffix.slice(1))) {
    return { base: 10, exponent: Number(suffix.slice(1)), format: 'DecimalExponent' };
  }
  throw new QuantityError(quantitySuffixMessage);
}

function parseUncached(text: string): Quantity {
  if (text.length === 0) throw new QuantityError(quantityFormatMessage);
  if (text === '0') return new Quantity(0n, 'DecimalSI');
  const { negative, num, denom, suffix } = scan(text);
  const { base, exponent, format: written } = interpretSuffix(suffix);
  let format = written;
  const digits = BigInt((num || '0') + denom);
  let nanos: bigint;
  // apimachinery keeps small, exact quantities as they are (its int64 fast path) and rounds
  // the others up to 1n and caps them at MaxInt64
  let exact: boolean;
  if (base === 10) {
    const scale = exponent - denom.length + 9;
    exact = MAX_INT64_FACTORS - (num.length + denom.length) >= 0 && scale >= 0;
    nanos = scale >= 0 ? digits * pow10(scale) : divAwayFromZero(digits, pow10(-scale));
  } else {
    const scaled = digits << BigInt(exponent);
    const precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
    exact = denom.length === 0 && precision >= 0 && scaled < 2n ** 63n;
    nanos = divAwayFromZero(scaled * NANO_PER_UNIT, pow10(denom.length));
  }
  if (!exact) {
    if (nanos > MAX_NANOS) nanos = MAX_NANOS;
    if (format === 'BinarySI' && nanos > 0n && nanos < NANO_PER_UNIT) format = 'DecimalSI';
  }
  return new Quantity(negative ? -nanos : nanos, format);
}

const cache = new Map<string, Quantity>();
const CACHE_LIMIT = 4096;

/** ParseQuantity: throws QuantityError with Kubernetes' message when the text is not a quantity. */
export function parseQuantity(text: string | number): Quantity {
  const s = typeof text === 'number' ? numberText(text) : text;
  let q = cache.get(s);
  if (q === undefined) {
    q = parseUncached(s);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(s, q);
  }
  return q;
}

/** JSON numbers are quantities too (Quantity.UnmarshalJSON reads the raw number). */
function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new QuantityError(quantityFormatMessage);
  return String(n);
}

/** The quantity, or undefined for anything that is not one (validation reports those). */
export function tryParseQuantity(v: unknown): Quantity | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  try {
    return parseQuantity(v);
  } catch (e) {
    if (e instanceof QuantityError) return undefined;
    throw e;
  }
}

/** Compares two quantity texts exactly; throws on invalid ones. */
export function compareQuantities(a: string | number, b: string | number): -1 | 0 | 1 {
  return parseQuantity(a).cmp(parseQuantity(b));
}

/** The canonical text of a quantity ("1.5Gi" -> "1536Mi"). */
export function canonicalQuantity(text: string | number): string {
  return parseQuantity(text).toString();
}

/** resource.NewMilliQuantity. */
export function milliQuantity(milli: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
  return new Quantity(BigInt(milli) * NANO_PER_MILLI, format);
}

/** resource.NewQuantity. */
export function unitQuantity(units: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
  return new Quantity(BigInt(units) * NANO_PER_UNIT, format);
}

/** Millicores of a cpu quantity, rounded up as MilliValue does; absent or empty is 0. */
export function millisOf(q: string | number | undefined | null): number {
  return q === undefined || q === null || q === '' ? 0 : parseQuantity(q).milliValue();
}

/** Whole units (bytes, pods) of a quantity, rounded up as Value does; absent or empty is 0. */
export function unitsOf(q: string | number | undefined | null): number {
  return q === undefined || q === null || q === '' ? 0 : parseQuantity(q).value();
}
