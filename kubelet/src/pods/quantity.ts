// Kubernetes resource quantities ("100m", "64Mi", "1.5", "2e3") as plain numbers.
const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
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

export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim());
  if (!m) throw new Error(`invalid quantity "${q}"`);
  return Number(m[1]) * SUFFIX[m[2] ?? '']!;
}

export function cpuMillis(q: string | number | undefined): number | undefined {
  return q === undefined ? undefined : Math.round(parseQuantity(q) * 1000);
}
