// Resource quantities ("500m", "1Gi", "2e3") as numbers: cpu in millicores, the rest in units.
const binarySuffixes: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const decimalSuffixes: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const pattern = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

export class QuantityError extends Error {}

/** The value of a quantity in base units (cores, bytes, counts). */
export function parseQuantity(q: string | number | undefined | null): number {
  if (q === undefined || q === null || q === '') return 0;
  if (typeof q === 'number') return q;
  const m = pattern.exec(q.trim());
  if (!m) throw new QuantityError(`quantity "${q}" is not valid`);
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? '';
  return base * (binarySuffixes[suffix] ?? decimalSuffixes[suffix]!);
}

/** Millicores, rounded up as Kubernetes' MilliValue does. */
export function parseMilliCpu(q: string | number | undefined | null): number {
  return Math.ceil(Math.round(parseQuantity(q) * 1e9) / 1e6);
}

/** Whole units (bytes, pods), rounded up as Kubernetes' Value does. */
export function parseUnits(q: string | number | undefined | null): number {
  return Math.ceil(parseQuantity(q));
}
