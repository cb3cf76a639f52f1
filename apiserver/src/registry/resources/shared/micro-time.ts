// metav1.MicroTime travels as RFC 3339 with exactly six fractional digits; Go clients (kubectl
// among them) cannot parse anything else. JavaScript clients send milliseconds (Date's ISO
// form), so the few MicroTime fields are normalised on the way in.
export function toMicroTime(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(v);
  if (!m) return v;
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return `${m[1]}.${frac}${m[3]}`;
}

/** Normalises `obj[path...]` in place when it is present. */
export function normaliseMicroTime(obj: any, ...path: string[]): void {
  let o = obj;
  for (const k of path.slice(0, -1)) {
    if (o == null || typeof o !== 'object') return;
    o = o[k];
  }
  const last = path[path.length - 1]!;
  if (o && typeof o === 'object' && last in o) o[last] = toMicroTime(o[last]);
}
