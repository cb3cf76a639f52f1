// The autoscaler's arithmetic against the examples of Kubernetes' HPA documentation ("Algorithm
// details", "Configurable scaling behavior") and upstream's replica_calculator cases: the ratio
// rule, the 0.1 tolerance, missing samples, not-yet-ready pods, the downscale window, the
// scale-up limit without behavior and the policies that limit the rate with it.
import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { type CalculatorOptions, type PodSamples, resourceReplicas } from '../src/controllers/podautoscaler/replica-calculator.ts';
import { type Behavior, ReplicaNormalizer, scaleDownLimitOf } from '../src/controllers/podautoscaler/normalize.ts';

const now = Date.parse('2026-12-06T10:00:00Z');
const minutesAgo = (m: number) => new Date(now - m * 60_000).toISOString();
const opts: CalculatorOptions = { tolerance: 0.1, cpuInitializationPeriodMs: 5 * 60_000, delayOfInitialReadinessStatusMs: 30_000, nowMs: now };

interface PodSpec {
  cpu?: string;
  memory?: string;
  ready?: boolean;
  phase?: string;
  /** minutes since start (default 10: past the CPU initialization period) */
  age?: number;
  /** minutes since the Ready condition last changed (default: as old as the pod) */
  readySince?: number;
}

function pods(specs: PodSpec[]): V1Pod[] {
  return specs.map((s, i) => ({
    metadata: { name: `p${i}`, namespace: 'default', labels: { app: 'x' } },
    spec: { containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: s.cpu ?? '1', memory: s.memory ?? '100Mi' } } }] },
    status: {
      phase: s.phase ?? 'Running',
      startTime: new Date(minutesAgo(s.age ?? 10)),
      conditions: [{ type: 'Ready', status: s.ready === false ? 'False' : 'True', lastTransitionTime: new Date(minutesAgo(s.readySince ?? s.age ?? 10)) }],
    },
  }));
}

/** samples in milli-units, by pod index; undefined: the pod has none */
function samples(values: (number | undefined)[]): PodSamples {
  const out: PodSamples = new Map();
  values.forEach((v, i) => {
    if (v !== undefined) out.set(`p${i}`, { value: v, timestampMs: now - 5000, windowMs: 15_000 });
  });
  return out;
}

const cpu = (current: number, p: V1Pod[], s: PodSamples, target: number) => resourceReplicas(current, p, s, 'cpu', { utilization: target }, opts);

describe('HPA replica calculation (replica_calculator)', () => {
  it('doubles the replicas when usage is twice the target, halves them at half (the documented 200m/100m and 50m/100m examples)', () => {
    expect(cpu(2, pods([{}, {}]), samples([2000, 2000]), 100).replicas).to.equal(4);
    expect(cpu(4, pods([{}, {}, {}, {}]), samples([500, 500, 500, 500]), 100).replicas).to.equal(2);
  });

  it('scales up by ceil(ratio x ready pods) and reports utilization in whole percent', () => {
    // 1500m used of 3000m requested: 50% against 30% is a ratio of 1.67, ceil(1.67 x 3) = 5
    const r = cpu(3, pods([{}, {}, {}]), samples([300, 500, 700]), 30);
    expect(r).to.deep.equal({ replicas: 5, utilization: 50, rawAverage: 500 });
    // 1400m of 5000m: 28% against 50%, ceil(0.56 x 5) = 3
    expect(cpu(5, pods([{}, {}, {}, {}, {}]), samples([100, 300, 500, 250, 250]), 50)).to.deep.include({ replicas: 3, utilization: 28 });
  });

  it('changes nothing while the ratio is within the 0.1 tolerance', () => {
    // 3060m of 3000m: 102% of a 100% target
    const r = cpu(3, pods([{ cpu: '900m' }, { cpu: '1' }, { cpu: '1100m' }]), samples([1010, 1030, 1020]), 100);
    expect(r).to.deep.include({ replicas: 3, utilization: 102 });
    // 109% is still inside, 111% outside
    expect(cpu(10, pods(Array(10).fill({})), samples(Array(10).fill(1090)), 100).replicas).to.equal(10);
    expect(cpu(10, pods(Array(10).fill({})), samples(Array(10).fill(1110)), 100).replicas).to.equal(12);
  });

  it('counts pods without a sample as using their whole request on a scale-down', () => {
    // samples say 10% (ratio 0.2); the missing pod at 100% makes it (100+100+1000)/3000 = 40%
    const r = cpu(3, pods([{}, {}, {}]), samples([100, 100, undefined]), 50);
    expect(r).to.deep.include({ replicas: 3, utilization: 10 });
    const r2 = cpu(4, pods([{}, {}, {}, {}]), samples([100, 100, 100, undefined]), 50);
    // (300 + 1000) / 4000 = 32% -> ratio 0.64 -> ceil(0.64 x 4) = 3 (without the rule it would be 1)
    expect(r2.replicas).to.equal(3);
  });

  it('counts pods without a sample as using nothing on a scale-up', () => {
    // samples say 200%; with the missing pod at 0: 2000/2000 = 100%, inside the tolerance: no change
    expect(cpu(2, pods([{}, {}]), samples([2000, undefined]), 100).replicas).to.equal(2);
    // at 400% the pod without a sample halves it: 4000/2000 = 200% -> ceil(2 x 2) = 4
    expect(cpu(2, pods([{}, {}]), samples([4000, undefined]), 100).replicas).to.equal(4);
    expect(cpu(3, pods([{}, {}, {}]), samples([4000, undefined, undefined]), 100).replicas).to.equal(4);
  });

  it('counts unready pods as using nothing on a scale-up, and leaves them out otherwise', () => {
    // ready pods: 1200/2000 = 60% (ratio 2); the unready one at 0: 1200/3000 = 40% -> ceil(1.33 x 3) = 4
    const p = pods([{ ready: false, age: 1, readySince: 0.5 }, {}, {}]);
    expect(cpu(3, p, samples([300, 500, 700]), 30)).to.deep.include({ replicas: 4, utilization: 60 });
    // a scale-down ignores it: (500+700)/2000 = 60% of 100% -> ceil(0.6 x 2) = 2
    expect(cpu(3, p, samples([300, 500, 700]), 100).replicas).to.equal(2);
    // pending pods count as unready too
    expect(cpu(3, pods([{ phase: 'Pending' }, {}, {}]), samples([undefined, 500, 700]), 30).replicas).to.equal(4);
  });

  it('does not trust a young pod CPU sample taken less than a window after it became ready', () => {
    // started 1 min ago, ready 5 s ago: the sample (taken 5 s ago over 15 s) predates readiness + window
    const young = pods([{ age: 1, readySince: 5 / 60 }, {}]);
    // the old pod alone: 150% of 50%; with the young one at 0: 1500/2000 = 75% -> ceil(1.5 x 2) = 3 (not 9)
    expect(cpu(2, young, samples([3000, 1500]), 50).replicas).to.equal(3);
    // after the initialization period only a never-ready pod is left out; an old ready pod counts
    expect(cpu(2, pods([{ age: 10, readySince: 1 }, {}]), samples([3000, 1500]), 50).replicas).to.equal(9); // 225% of 50%
  });

  it('fails when no pod reports, and when a container has no request', () => {
    expect(() => cpu(2, pods([{}, {}]), samples([]), 50)).to.throw('did not receive metrics for targeted pods');
    const noRequest = pods([{}]);
    delete noRequest[0]!.spec!.containers[0]!.resources!.requests!.cpu;
    expect(() => cpu(1, noRequest, samples([100]), 50)).to.throw('missing request for cpu in container c of Pod p0');
  });

  it('computes AverageValue targets (memory) from the average per pod', () => {
    const mi = 1024 * 1024 * 1000; // one Mi in milli-bytes
    const r = resourceReplicas(2, pods([{}, {}]), samples([150 * mi, 250 * mi]), 'memory', { averageMilli: 100 * mi }, opts);
    expect(r.replicas).to.equal(4);
    expect(r.rawAverage).to.equal(200 * mi);
    // memory has no readiness rule: a young pod counts
    expect(resourceReplicas(2, pods([{ age: 0.1 }, {}]), samples([150 * mi, 250 * mi]), 'memory', { averageMilli: 100 * mi }, opts).replicas).to.equal(4);
  });
});

describe('HPA normalization (stabilization and rate limits)', () => {
  let clock = now;
  const at = (seconds: number) => {
    clock = now + seconds * 1000;
  };
  const args = (currentReplicas: number, desiredReplicas: number, behavior?: Behavior, minReplicas = 1, maxReplicas = 100) => ({
    key: 'default/web',
    currentReplicas,
    desiredReplicas,
    minReplicas,
    maxReplicas,
    behavior,
  });

  it('without behavior: scales down only to the highest recommendation of the downscale window', () => {
    const n = new ReplicaNormalizer(300, () => clock);
    at(0);
    expect(n.normalize(args(5, 5)).replicas).to.equal(5);
    at(60);
    const held = n.normalize(args(5, 2));
    expect(held.replicas).to.equal(5);
    expect(held.ableToScale.reason).to.equal('ScaleDownStabilized');
    at(301);
    expect(n.normalize(args(5, 2)).replicas).to.equal(2);
  });

  it('without behavior: scales up at most to max(2 x current, 4), and within min/max', () => {
    // a fresh normalizer each time: a window of 0 s still holds recommendations of the same instant
    const fresh = () => new ReplicaNormalizer(0, () => clock);
    const up = fresh().normalize(args(1, 10));
    expect(up.replicas).to.equal(4);
    expect(up.scalingLimited).to.deep.include({ status: 'True', reason: 'ScaleUpLimit' });
    expect(fresh().normalize(args(4, 10)).replicas).to.equal(8);
    const capped = fresh().normalize(args(4, 10, undefined, 1, 5));
    expect(capped.replicas).to.equal(5);
    expect(capped.scalingLimited.reason).to.equal('TooManyReplicas');
    const floor = fresh().normalize(args(3, 1, undefined, 2, 5));
    expect(floor).to.deep.include({ replicas: 2 });
    expect(floor.scalingLimited.reason).to.equal('TooFewReplicas');
    expect(fresh().normalize(args(3, 3, undefined, 2, 5)).scalingLimited).to.deep.equal({
      status: 'False',
      reason: 'DesiredWithinRange',
      message: 'the desired count is within the acceptable range',
    });
  });

  it('the documented scale-down policies: 4 pods or 10% per minute, the larger; 80 replicas lose 8, then 8 again at 72', () => {
    const rules = {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max' as const,
      policies: [
        { type: 'Pods' as const, value: 4, periodSeconds: 60 },
        { type: 'Percent' as const, value: 10, periodSeconds: 60 },
      ],
    };
    expect(scaleDownLimitOf(80, [], rules, now)).to.equal(72);
    expect(scaleDownLimitOf(72, [], rules, now)).to.equal(64); // 10% of 72 is 7.2, rounded up to 8
    expect(scaleDownLimitOf(40, [], rules, now)).to.equal(36);
    expect(scaleDownLimitOf(30, [], rules, now)).to.equal(26); // 4 pods beat 3
    expect(scaleDownLimitOf(30, [], { ...rules, selectPolicy: 'Min' }, now)).to.equal(27);
    expect(scaleDownLimitOf(30, [], { ...rules, selectPolicy: 'Disabled' }, now)).to.equal(30);
  });

  it('with behavior: the scale events of the period count against the policy', () => {
    const behavior: Behavior = {
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] },
      scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
    };
    const n = new ReplicaNormalizer(300, () => clock);
    at(0);
    const first = n.normalize(args(2, 10, behavior));
    expect(first.replicas).to.equal(4);
    expect(first.scalingLimited.reason).to.equal('ScaleUpLimit');
    n.recordScale('default/web', behavior, 2, 4);
    at(30);
    // 2 pods were already added in this minute: no more until it passes
    expect(n.normalize(args(4, 10, behavior)).replicas).to.equal(4);
    at(61);
    expect(n.normalize(args(4, 10, behavior)).replicas).to.equal(6);
    // one pod per minute down
    expect(n.normalize(args(6, 1, behavior)).replicas).to.equal(5);
    n.recordScale('default/web', behavior, 6, 5);
    at(70);
    expect(n.normalize(args(5, 1, behavior)).replicas).to.equal(5);
  });

  it('with behavior: the default scale-up allows 100% or 4 pods per 15 s, and the scale-up window holds the lowest recommendation', () => {
    const n = new ReplicaNormalizer(300, () => clock);
    at(0);
    expect(n.normalize(args(1, 20, {})).replicas).to.equal(5); // 1 + 4 beats 1 x 2
    expect(n.normalize(args(10, 40, {})).replicas).to.equal(20); // 10 x 2 beats 10 + 4
    const windowed: Behavior = { scaleUp: { stabilizationWindowSeconds: 60 }, scaleDown: { stabilizationWindowSeconds: 0 } };
    const m = new ReplicaNormalizer(300, () => clock);
    at(0);
    m.normalize(args(2, 2, windowed));
    at(10);
    const held = m.normalize(args(2, 6, windowed));
    expect(held.replicas).to.equal(2);
    expect(held.ableToScale.reason).to.equal('ScaleUpStabilized');
    at(61);
    expect(m.normalize(args(2, 6, windowed)).replicas).to.equal(6); // the window passed: 2 + 4 pods
  });
});
