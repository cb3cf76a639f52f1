// From the metrics' recommendation to the replicas the autoscaler sets, as upstream's
// horizontal.go normalizes it: the recent recommendations stabilize it (the downscale window
// without `behavior`; both windows with it), then min/max and the rate limits clamp it
// (max(2×current, 4) without `behavior`; the scaleUp/scaleDown policies over the scale events
// of their periods with it). Each step says which condition reason explains the result.
// State per autoscaler (recommendations, scale events) lives here, in memory, as upstream.

export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}
export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: ScalingPolicy[];
}
export interface Behavior {
  scaleUp?: ScalingRules;
  scaleDown?: ScalingRules;
}

export interface Normalized {
  replicas: number;
  /** AbleToScale=True's reason and message (ReadyForNewScale, ScaleUpStabilized, ScaleDownStabilized) */
  ableToScale: { reason: string; message: string };
  /** ScalingLimited: status True when the clamp changed the stabilized recommendation */
  scalingLimited: { status: 'True' | 'False'; reason: string; message: string };
}

interface Recommendation {
  replicas: number;
  atMs: number;
}
interface ScaleEvent {
  change: number;
  atMs: number;
}

const upDefaults: Required<ScalingRules> = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};
const downDefaults: Required<ScalingRules> = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

function rulesWithDefaults(rules: ScalingRules | undefined, base: Required<ScalingRules>, windowSeconds?: number): Required<ScalingRules> {
  return {
    stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? windowSeconds ?? base.stabilizationWindowSeconds,
    selectPolicy: rules?.selectPolicy ?? base.selectPolicy,
    policies: rules?.policies?.length ? rules.policies : base.policies,
  };
}

const readyForNewScale = { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
const scaleDownStabilized = {
  reason: 'ScaleDownStabilized',
  message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
};
const scaleUpStabilized = {
  reason: 'ScaleUpStabilized',
  message: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
};
const withinRange = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
const tooFew = { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
const tooMany = { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
const upLimit = { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
const downLimit = { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' };

export interface NormalizeArgs {
  key: string;
  currentReplicas: number;
  /** what the metrics ask for */
  desiredReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  behavior?: Behavior;
}

export class ReplicaNormalizer {
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly scaleUpEvents = new Map<string, ScaleEvent[]>();
  private readonly scaleDownEvents = new Map<string, ScaleEvent[]>();
  private readonly downscaleWindowMs: number;
  private readonly now: () => number;

  /** `downscaleWindowSeconds`: --horizontal-pod-autoscaler-downscale-stabilization */
  constructor(downscaleWindowSeconds: number, now: () => number = Date.now) {
    this.downscaleWindowMs = downscaleWindowSeconds * 1000;
    this.now = now;
  }

  forget(key: string): void {
    this.recommendations.delete(key);
    this.scaleUpEvents.delete(key);
    this.scaleDownEvents.delete(key);
  }

  normalize(a: NormalizeArgs): Normalized {
    return a.behavior ? this.withBehavior(a, a.behavior) : this.withoutBehavior(a);
  }

  /** storeScaleEvent: a rescale that happened, for the policies' periods (only with `behavior`). */
  recordScale(key: string, behavior: Behavior | undefined, from: number, to: number): void {
    if (!behavior || from === to) return;
    const up = to > from;
    const map = up ? this.scaleUpEvents : this.scaleDownEvents;
    const rules = up ? rulesWithDefaults(behavior.scaleUp, upDefaults) : rulesWithDefaults(behavior.scaleDown, downDefaults);
    const longestMs = Math.max(...rules.policies.map((p) => p.periodSeconds)) * 1000;
    const now = this.now();
    const kept = (map.get(key) ?? []).filter((e) => e.atMs > now - longestMs);
    kept.push({ change: Math.abs(to - from), atMs: now });
    map.set(key, kept);
  }

  /** normalizeDesiredReplicas: the downscale window, then min/max and max(2×current, 4). */
  private withoutBehavior(a: NormalizeArgs): Normalized {
    const now = this.now();
    const cutoff = now - this.downscaleWindowMs;
    let stabilized = a.desiredReplicas;
    const history = this.recommendations.get(a.key) ?? [];
    let oldIndex = -1;
    history.forEach((r, i) => {
      if (r.atMs < cutoff) oldIndex = i;
      else if (r.replicas > stabilized) stabilized = r.replicas;
    });
    this.remember(a.key, history, oldIndex, a.desiredReplicas, now);
    const ableToScale = stabilized !== a.desiredReplicas ? scaleDownStabilized : readyForNewScale;

    const scaleUpLimit = Math.max(2 * a.currentReplicas, 4);
    const [maxAllowed, maxReason] = a.maxReplicas > scaleUpLimit ? [scaleUpLimit, upLimit] : [a.maxReplicas, tooMany];
    let replicas = stabilized;
    let limit = withinRange;
    if (stabilized < a.minReplicas) [replicas, limit] = [a.minReplicas, tooFew];
    else if (stabilized > maxAllowed) [replicas, limit] = [maxAllowed, maxReason];
    return { replicas, ableToScale, scalingLimited: { status: replicas === stabilized ? 'False' : 'True', ...limit } };
  }

  /** normalizeDesiredReplicasWithBehaviors */
  private withBehavior(a: NormalizeArgs, behavior: Behavior): Normalized {
    const now = this.now();
    const up = rulesWithDefaults(behavior.scaleUp, upDefaults);
    const down = rulesWithDefaults(behavior.scaleDown, downDefaults, this.downscaleWindowMs / 1000);
    const upCutoff = now - up.stabilizationWindowSeconds * 1000;
    const downCutoff = now - down.stabilizationWindowSeconds * 1000;
    let upRecommendation = a.desiredReplicas;
    let downRecommendation = a.desiredReplicas;
    const history = this.recommendations.get(a.key) ?? [];
    let oldIndex = -1;
    history.forEach((r, i) => {
      if (r.atMs > upCutoff) upRecommendation = Math.min(r.replicas, upRecommendation);
      if (r.atMs > downCutoff) downRecommendation = Math.max(r.replicas, downRecommendation);
      if (r.atMs < upCutoff && r.atMs < downCutoff) oldIndex = i;
    });
    let stabilized = a.currentReplicas;
    if (stabilized < upRecommendation) stabilized = upRecommendation;
    if (stabilized > downRecommendation) stabilized = downRecommendation;
    this.remember(a.key, history, oldIndex, a.desiredReplicas, now);
    let ableToScale = readyForNewScale;
    if (stabilized !== a.desiredReplicas) ableToScale = a.desiredReplicas >= a.currentReplicas ? scaleUpStabilized : scaleDownStabilized;

    let replicas = stabilized;
    let limit = withinRange;
    if (stabilized > a.currentReplicas) {
      const scaleUpLimit = Math.max(scaleUpLimitOf(a.currentReplicas, this.eventsIn(this.scaleUpEvents, a.key), up, now), a.currentReplicas);
      const [maxAllowed, reason] = a.maxReplicas > scaleUpLimit ? [scaleUpLimit, upLimit] : [a.maxReplicas, tooMany];
      if (stabilized > maxAllowed) [replicas, limit] = [maxAllowed, reason];
    } else if (stabilized < a.currentReplicas) {
      const scaleDownLimit = Math.min(scaleDownLimitOf(a.currentReplicas, this.eventsIn(this.scaleDownEvents, a.key), down, now), a.currentReplicas);
      const [minAllowed, reason] = a.minReplicas < scaleDownLimit ? [scaleDownLimit, downLimit] : [a.minReplicas, tooFew];
      if (stabilized < minAllowed) [replicas, limit] = [minAllowed, reason];
    }
    return { replicas, ableToScale, scalingLimited: { status: replicas === stabilized ? 'False' : 'True', ...limit } };
  }

  /** The recommendation is kept, over the oldest sample that fell out of every window. */
  private remember(key: string, history: Recommendation[], oldIndex: number, replicas: number, now: number): void {
    if (oldIndex >= 0) history[oldIndex] = { replicas, atMs: now };
    else history.push({ replicas, atMs: now });
    this.recommendations.set(key, history);
  }

  private eventsIn(map: Map<string, ScaleEvent[]>, key: string): ScaleEvent[] {
    return map.get(key) ?? [];
  }
}

/** getReplicasChangePerPeriod */
function changeInPeriod(periodSeconds: number, events: ScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.filter((e) => e.atMs > cutoff).reduce((s, e) => s + e.change, 0);
}

/** calculateScaleUpLimitWithScalingRules */
export function scaleUpLimitOf(current: number, events: ScaleEvent[], rules: Required<ScalingRules>, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  for (const p of rules.policies) {
    const periodStart = current - changeInPeriod(p.periodSeconds, events, now);
    const proposed = p.type === 'Pods' ? periodStart + p.value : Math.ceil(periodStart * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors: Min picks the policy that removes fewest (the highest limit). */
export function scaleDownLimitOf(current: number, events: ScaleEvent[], rules: Required<ScalingRules>, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  for (const p of rules.policies) {
    const periodStart = current + changeInPeriod(p.periodSeconds, events, now);
    const proposed = p.type === 'Pods' ? periodStart - p.value : Math.trunc(periodStart * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}
