// Durations as Kubernetes components take them on the command line (Go's time.Duration text):
// 15s, 5m0s, 1m30s, 500ms, 1.5h; a bare number is seconds.
export function parseGoDurationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, ns: 0.000001 };
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)/y;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * units[m[2]!]!;
    end = re.lastIndex;
  }
  if (!text || end !== text.length) throw new Error(`invalid duration "${text}" (use e.g. 15s, 5m0s, 500ms)`);
  return total;
}
