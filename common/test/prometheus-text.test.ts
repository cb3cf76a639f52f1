import { expect } from 'chai';
import { histogramCount, histogramDelta, histogramQuantile, histogramSeries, quantileFromMetrics } from '../src/testing/index.ts';

// The benches' reading of /metrics histograms (P6's queue-to-bind p99, P7's mutating-call p99).
const scrape = (createCounts: number[], patchCounts: number[]) => {
  const les = ['0.1', '0.5', '1', '+Inf'];
  const lines = ['# HELP apiserver_request_duration_seconds latency', '# TYPE apiserver_request_duration_seconds histogram'];
  les.forEach((le, i) => lines.push(`apiserver_request_duration_seconds_bucket{le="${le}",verb="CREATE",resource="pods"} ${createCounts[i]}`));
  les.forEach((le, i) => lines.push(`apiserver_request_duration_seconds_bucket{verb="PATCH",resource="leases",le="${le}"} ${patchCounts[i]}`));
  lines.push(`apiserver_request_duration_seconds_sum{verb="CREATE",resource="pods"} 1`);
  lines.push(`apiserver_request_duration_seconds_count{verb="CREATE",resource="pods"} ${createCounts[3]}`);
  return lines.join('\n');
};

describe('histograms from Prometheus text', () => {
  it('reads one series per label set, whatever the position of le', () => {
    const series = [...histogramSeries(scrape([1, 2, 3, 4], [10, 10, 10, 10]), 'apiserver_request_duration_seconds').values()];
    expect(series.map((s) => s.labels)).to.deep.equal([
      { verb: 'CREATE', resource: 'pods' },
      { verb: 'PATCH', resource: 'leases' },
    ]);
    expect(series[0]!.buckets).to.deep.equal([
      [0.1, 1],
      [0.5, 2],
      [1, 3],
      [Infinity, 4],
    ]);
    expect(histogramCount(series[1]!)).to.equal(10);
  });

  it('subtracts an earlier scrape, so a quantile covers only what happened between them', () => {
    const before = histogramSeries(scrape([100, 100, 100, 100], [0, 0, 0, 0]), 'apiserver_request_duration_seconds');
    const after = histogramSeries(scrape([100, 100, 200, 200], [0, 0, 0, 0]), 'apiserver_request_duration_seconds');
    const creates = [...histogramDelta(before, after).values()].find((s) => s.labels.verb === 'CREATE')!;
    expect(histogramCount(creates)).to.equal(100);
    // all 100 new observations fell in (0.5, 1]: the p50 interpolates to the bucket's middle
    expect(histogramQuantile(creates, 0.5)).to.be.closeTo(0.75, 1e-9);
    // without the subtraction the old fast calls would hide them
    expect(histogramQuantile([...after.values()][0]!, 0.5)).to.be.closeTo(0.1, 1e-9);
  });

  it('answers the last finite bound past it, and NaN with no observation', () => {
    const series = [...histogramSeries(scrape([0, 0, 0, 5], [0, 0, 0, 0]), 'apiserver_request_duration_seconds').values()];
    expect(histogramQuantile(series[0]!, 0.99)).to.equal(1);
    expect(histogramQuantile(series[1]!, 0.99)).to.be.NaN;
  });

  it('sums every series for a quantile over the whole metric', () => {
    // 4 creates, 10 lease patches all under 0.1 s: 11 of 14 observations are at most 0.1 s
    expect(quantileFromMetrics(scrape([1, 2, 3, 4], [10, 10, 10, 10]), 'apiserver_request_duration_seconds', 0.5)).to.be.closeTo(0.1 * (7 / 11), 1e-9);
    expect(quantileFromMetrics('', 'nothing_here', 0.5)).to.be.NaN;
  });
});
