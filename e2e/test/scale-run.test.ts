import { expect } from 'chai';
import { mutatingLatencies, parseScrape, responsesWithCode } from '../src/scale/api-latency.ts';
import { PodStartupTracker } from '../src/scale/pod-startup.ts';
import { ramp, replicasAt } from '../src/scale/ramp.ts';

// The parts of `make bench-scale` (e2e/src/scale) that decide its figures, on made-up input:
// no test here runs the density run or asserts a timing.
describe('make bench-scale: the density run', () => {
  describe('the steady ramp through Deployments', () => {
    const plan = { names: ['a/x', 'b/x', 'c/x'], replicasEach: 100, podsPerSecond: 50 };

    it('fills one Deployment after the other', () => {
      expect(replicasAt(plan, 0)).to.deep.equal([0, 0, 0]);
      expect(replicasAt(plan, 50)).to.deep.equal([50, 0, 0]);
      expect(replicasAt(plan, 150)).to.deep.equal([100, 50, 0]);
      expect(replicasAt(plan, 300)).to.deep.equal([100, 100, 100]);
      expect(replicasAt(plan, 1000)).to.deep.equal([100, 100, 100]);
    });

    it('sets each Deployment only when its count changes, and ends at the full count', async () => {
      const calls: [string, number][] = [];
      await ramp({ names: ['a/x', 'b/x'], replicasEach: 3, podsPerSecond: 1000 }, async (name, n) => {
        calls.push([name, n]);
      });
      // 1,000 pods a second: the whole of 6 is wanted one second in
      expect(calls).to.deep.equal([
        ['a/x', 3],
        ['b/x', 3],
      ]);
    });
  });

  describe('pod startup from a watch', () => {
    const line = (type: string, ns: string, name: string, created: string, nodeName?: string, phase?: string) =>
      JSON.stringify({ type, object: { metadata: { namespace: ns, name, creationTimestamp: created }, spec: { nodeName }, status: { phase } } });

    it('measures creationTimestamp to the first Running event, and from the first event seen', () => {
      const t = new PodStartupTracker();
      const created = Date.parse('2026-12-07T10:00:00Z');
      t.observeLine(line('ADDED', 'load-0', 'p1', '2026-12-07T10:00:00Z'), created + 300);
      t.observeLine(line('MODIFIED', 'load-0', 'p1', '2026-12-07T10:00:00Z', 'n1'), created + 500);
      t.observeLine(line('MODIFIED', 'load-0', 'p1', '2026-12-07T10:00:00Z', 'n1', 'Running'), created + 1500);
      // a later status update of a Running pod does not move its time
      t.observeLine(line('MODIFIED', 'load-0', 'p1', '2026-12-07T10:00:00Z', 'n1', 'Running'), created + 9000);
      t.observeLine(line('ADDED', 'load-1', 'p2', '2026-12-07T10:00:01Z'), created + 1200);
      t.observeLine(line('ADDED', 'quiet', 'q', '2026-12-07T10:00:01Z', 'n1', 'Running'), created + 1200);
      t.observeLine('not json', created);
      t.observeLine(JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } }), created);

      const f = t.figures('load-');
      expect(f).to.deep.equal({ pods: 2, running: 1, fromCreation: [1500], fromFirstSight: [1200], toBind: [200] });
      expect(t.running('load-')).to.equal(1);
      expect(t.running('quiet/')).to.equal(1);
    });
  });

  describe('mutating-call latency between two scrapes', () => {
    const scrape = (leasesSlow: number, podsFast: number, listSlow: number) =>
      parseScrape(
        [
          ...['0.1', '1', '+Inf'].map(
            (le, i) =>
              `apiserver_request_duration_seconds_bucket{verb="PATCH",group="coordination.k8s.io",version="v1",resource="leases",subresource="",le="${le}"} ${i === 0 ? 0 : leasesSlow}`,
          ),
          ...['0.1', '1', '+Inf'].map(
            (le) =>
              `apiserver_request_duration_seconds_bucket{verb="CREATE",group="",version="v1",resource="pods",subresource="binding",le="${le}"} ${podsFast}`,
          ),
          ...['0.1', '1', '+Inf'].map(
            (le, i) =>
              `apiserver_request_duration_seconds_bucket{verb="LIST",group="",version="v1",resource="pods",subresource="",le="${le}"} ${i < 2 ? 0 : listSlow}`,
          ),
        ].join('\n'),
      );

    it('gives each mutating verb and resource its p99, slowest first, and leaves reads and idle series out', () => {
      const l = mutatingLatencies(scrape(10, 5, 0), scrape(110, 105, 50));
      expect(l.map((c) => c.call)).to.deep.equal(['PATCH leases', 'CREATE pods/binding']);
      expect(l[0]!.count).to.equal(100);
      expect(l[0]!.p99Seconds).to.be.closeTo(0.1 + 0.9 * 0.99, 1e-9);
      expect(l[1]!.p99Seconds).to.be.closeTo(0.099, 1e-9);
      expect(mutatingLatencies(scrape(10, 5, 0), scrape(10, 5, 0))).to.deep.equal([]);
    });

    it('counts the requests answered with a code, over every verb and resource', () => {
      const text = [
        'apiserver_request_total{verb="PATCH",group="coordination.k8s.io",version="v1",resource="leases",subresource="",code="429"} 7',
        'apiserver_request_total{verb="PATCH",group="coordination.k8s.io",version="v1",resource="leases",subresource="",code="200"} 900',
        'apiserver_request_total{verb="CREATE",group="",version="v1",resource="pods",subresource="",code="429"} 3',
        'apiserver_request_duration_seconds_count{verb="CREATE",code="429"} 99',
      ].join('\n');
      expect(responsesWithCode(text, '429')).to.equal(10);
      expect(responsesWithCode(text, '500')).to.equal(0);
    });
  });
});
