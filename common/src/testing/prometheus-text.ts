// Histograms read from a component's /metrics text (the Prometheus exposition format), for the
// benches: one series' buckets, the difference of two scrapes (what happened between them), and
// histogram_quantile over the buckets, interpolating inside a bucket as Prometheus does.

/** One histogram series: its labels and cumulative bucket counts, `le` ascending (+Inf last). */
export interface HistogramSeries {
  labels: Record<string, string>;
  buckets: [le: number, count: number][];
}

const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(LABEL)) out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return out;
}

/** Every series of histogram `metric` in an exposition text, keyed by its labels without `le`. */
export function histogramSeries(text: string, metric: string): Map<string, HistogramSeries> {
  const series = new Map<string, HistogramSeries>();
  const prefix = `${metric}_bucket{`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const close = line.lastIndexOf('}');
    const { le, ...labels } = parseLabels(line.slice(prefix.length, close));
    if (le === undefined) continue;
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
    let s = series.get(key);
    if (!s) series.set(key, (s = { labels, buckets: [] }));
    s.buckets.push([le === '+Inf' ? Infinity : Number(le), Number(line.slice(close + 1).trim())]);
  }
  for (const s of series.values()) s.buckets.sort((a, b) => a[0] - b[0]);
  return series;
}

/** What each series counted between two scrapes (`after` minus `before`, series by series). */
export function histogramDelta(before: Map<string, HistogramSeries>, after: Map<string, HistogramSeries>): Map<string, HistogramSeries> {
  const out = new Map<string, HistogramSeries>();
  for (const [key, a] of after) {
    const b = before.get(key);
    out.set(key, { labels: a.labels, buckets: a.buckets.map(([le, count], i) => [le, count - (b?.buckets[i]?.[1] ?? 0)]) });
  }
  return out;
}

/** The number of observations in a series (its +Inf bucket). */
export const histogramCount = (s: HistogramSeries): number => s.buckets.at(-1)?.[1] ?? 0;

/** histogram_quantile(q) of one series; NaN when it holds no observation. */
export function histogramQuantile(s: HistogramSeries, q: number): number {
  const total = histogramCount(s);
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of s.buckets) {
    if (count >= rank) {
      // past the last finite bucket Prometheus answers that bucket's bound
      if (le === Infinity) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

/** histogram_quantile over every series of `metric` in the text summed together (no label filter). */
export function quantileFromMetrics(text: string, metric: string, q: number): number {
  const all = [...histogramSeries(text, metric).values()];
  if (all.length === 0) return Number.NaN;
  const summed: HistogramSeries = { labels: {}, buckets: all[0]!.buckets.map(([le], i) => [le, all.reduce((n, s) => n + (s.buckets[i]?.[1] ?? 0), 0)]) };
  return histogramQuantile(summed, q);
}
