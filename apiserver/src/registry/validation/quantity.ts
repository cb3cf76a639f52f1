// resource.Quantity text form ("100m", "1Gi", "1e3") parsed to a number for comparisons.
// Exact decimal arithmetic is not needed here: validation only compares and checks signs.

const quantityRe = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

const suffixes: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export const quantityFormatMessage = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** The value of a quantity, or undefined when the text is not one. Numbers are accepted as JSON does. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = quantityRe.exec(q.trim());
  if (!m) return undefined;
  const [, num, suffix] = m;
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(num)) return undefined;
  const base = Number(num);
  let multiplier: number | undefined = suffixes[suffix];
  if (multiplier === undefined) {
    const exp = /^[eE]([-+]?[0-9]+)$/.exec(suffix);
    if (!exp) return undefined;
    multiplier = 10 ** Number(exp[1]);
  }
  return base * multiplier;
}
