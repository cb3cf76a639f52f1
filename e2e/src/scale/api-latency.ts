// The API-call latency SLO of Kubernetes (p99 of mutating calls on single objects at most 1 s,
// per resource and verb) from the apiserver's apiserver_request_duration_seconds histogram, as
// clusterloader2's APIResponsiveness reads it from Prometheus: two scrapes, the difference
// between them, and the p99 of each (verb, resource, subresource) series.
import { histogramCount, histogramDelta, histogramQuantile, histogramSeries } from '@skiff/common/testing/index';
import type { HistogramSeries } from '@skiff/common/testing/index';

export const REQUEST_DURATION = 'apiserver_request_duration_seconds';
const MUTATING = new Set(['CREATE', 'UPDATE', 'PATCH', 'DELETE']);

export interface CallLatency {
  /** e.g. "PATCH leases" or "CREATE pods/binding" */
  call: string;
  count: number;
  p99Seconds: number;
}

export type Scrape = Map<string, HistogramSeries>;

export const parseScrape = (metricsText: string): Scrape => histogramSeries(metricsText, REQUEST_DURATION);

/** How many requests apiserver_request_total counts with this response code, all verbs and resources. */
export function responsesWithCode(metricsText: string, code: string): number {
  let n = 0;
  for (const line of metricsText.split('\n')) {
    if (line.startsWith('apiserver_request_total{') && line.includes(`code="${code}"`)) n += Number(line.slice(line.lastIndexOf('}') + 1).trim());
  }
  return n;
}

/** Each mutating call's p99 between two scrapes, slowest first. */
export function mutatingLatencies(before: Scrape, after: Scrape): CallLatency[] {
  const out: CallLatency[] = [];
  for (const s of histogramDelta(before, after).values()) {
    const { verb = '', resource = '', subresource = '' } = s.labels;
    const count = histogramCount(s);
    if (!MUTATING.has(verb) || count === 0) continue;
    out.push({ call: `${verb} ${resource}${subresource ? `/${subresource}` : ''}`, count, p99Seconds: histogramQuantile(s, 0.99) });
  }
  return out.sort((a, b) => b.p99Seconds - a.p99Seconds);
}
