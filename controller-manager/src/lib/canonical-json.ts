// A deterministic JSON form of API objects: sorted keys, no undefined, dates as RFC 3339.
// Used to hash and to compare pod templates independently of key order.
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalize(value));
}

function normalize(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined && v !== null) out[k] = normalize(v);
    }
    return out;
  }
  return value;
}
