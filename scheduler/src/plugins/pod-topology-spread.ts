// PodTopologySpread: keep matching pods spread over topology domains (zones, hosts). With
// DoNotSchedule a node whose domain would exceed maxSkew over the emptiest domain is
// filtered out; with ScheduleAnyway fuller domains only score lower.
import type { ClusterView, CycleState, FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interface.ts';
import { maxNodeScore } from '../framework/interface.ts';
import { skip, unresolvable, unschedulable } from '../framework/status.ts';
import { compileLabelSelector } from '../labels.ts';
import type { LabelPredicate } from '../labels.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import type { NodeInfo } from '../cache/node-info.ts';
import { nodeMatchesRequiredAffinity } from './node-affinity.ts';
import { anyToleratesTaint } from './helpers.ts';

export const errReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
export const errReasonNodeLabelNotMatch = errReasonConstraintsNotMatch + ' (missing required label)';

const filterKey = 'PodTopologySpread/filter';
const scoreKey = 'PodTopologySpread/score';

export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelPredicate;
  minDomains: number;
  honorAffinity: boolean;
  honorTaints: boolean;
}

export function constraintsOf(pod: PodInfo, when: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  const list: any[] = (pod.pod.spec as any)?.topologySpreadConstraints ?? [];
  return list
    .filter((c) => c.whenUnsatisfiable === when)
    .map((c) => ({
      maxSkew: c.maxSkew ?? 1,
      topologyKey: c.topologyKey,
      selector: compileLabelSelector(c.labelSelector, pod.labels, c.matchLabelKeys),
      minDomains: c.minDomains ?? 1,
      honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorTaints: c.nodeTaintsPolicy === 'Honor',
    }));
}

function countMatching(node: NodeInfo, pod: PodInfo, selector: LabelPredicate): number {
  let n = 0;
  for (const p of node.pods.values()) {
    if (p.namespace !== pod.namespace || p.pod.metadata?.deletionTimestamp) continue;
    if (selector(p.labels)) n++;
  }
  return n;
}

function nodeCounts(c: Constraint, pod: PodInfo, node: NodeInfo): boolean {
  if (c.honorAffinity && !nodeMatchesRequiredAffinity(pod, node)) return false;
  if (c.honorTaints) {
    for (const t of node.taints) {
      if ((t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !anyToleratesTaint(pod.pod.spec?.tolerations, t)) return false;
    }
  }
  return true;
}

function hasAllKeys(node: NodeInfo, cs: Constraint[]): boolean {
  for (const c of cs) if (node.labels?.[c.topologyKey] === undefined) return false;
  return true;
}

interface FilterState {
  constraints: Constraint[];
  counts: Map<string, number>[];
  minMatch: number[];
}

export function computeFilterState(pod: PodInfo, constraints: Constraint[], view: ClusterView): FilterState {
  const counts = constraints.map(() => new Map<string, number>());
  for (const node of view.nodes()) {
    if (!hasAllKeys(node, constraints)) continue;
    constraints.forEach((c, i) => {
      if (!nodeCounts(c, pod, node)) return;
      const v = node.labels![c.topologyKey]!;
      counts[i]!.set(v, (counts[i]!.get(v) ?? 0) + countMatching(node, pod, c.selector));
    });
  }
  const minMatch = constraints.map((c, i) => {
    const m = counts[i]!;
    // fewer domains than minDomains: the missing ones count as empty
    if (m.size < c.minDomains) return 0;
    let min = Infinity;
    for (const v of m.values()) if (v < min) min = v;
    return min === Infinity ? 0 : min;
  });
  return { constraints, counts, minMatch };
}

interface ScoreState {
  constraints: Constraint[];
  counts: Map<string, number>[];
  weights: number[];
  ignored: Set<string>;
}

export function podTopologySpread(): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  return {
    name: 'PodTopologySpread',
    preFilter(state: CycleState, pod, view) {
      const constraints = constraintsOf(pod, 'DoNotSchedule');
      if (constraints.length === 0) return skip();
      state.write(filterKey, computeFilterState(pod, constraints, view));
      return null;
    },
    filter(state, pod, node) {
      const st = state.read<FilterState>(filterKey);
      if (!st) return null;
      for (let i = 0; i < st.constraints.length; i++) {
        const c = st.constraints[i]!;
        const v = node.labels?.[c.topologyKey];
        if (v === undefined) return unresolvable(errReasonNodeLabelNotMatch);
        const self = c.selector(pod.labels) ? 1 : 0;
        const skew = (st.counts[i]!.get(v) ?? 0) + self - st.minMatch[i]!;
        if (skew > c.maxSkew) return unschedulable(errReasonConstraintsNotMatch);
      }
      return null;
    },
    preScore(state, pod, nodes, view) {
      const constraints = constraintsOf(pod, 'ScheduleAnyway');
      if (constraints.length === 0) return skip();
      const ignored = new Set<string>();
      const domains = constraints.map(() => new Set<string>());
      for (const n of nodes) {
        if (!hasAllKeys(n, constraints)) {
          ignored.add(n.name);
          continue;
        }
        constraints.forEach((c, i) => domains[i]!.add(n.labels![c.topologyKey]!));
      }
      const counts = constraints.map(() => new Map<string, number>());
      for (const node of view.nodes()) {
        if (!hasAllKeys(node, constraints)) continue;
        constraints.forEach((c, i) => {
          const v = node.labels![c.topologyKey]!;
          if (!domains[i]!.has(v) || !nodeCounts(c, pod, node)) return;
          counts[i]!.set(v, (counts[i]!.get(v) ?? 0) + countMatching(node, pod, c.selector));
        });
      }
      // more domains: each pod in a domain matters less, as in Kubernetes (log(size + 2))
      const weights = domains.map((d) => Math.log(d.size + 2));
      state.write(scoreKey, { constraints, counts, weights, ignored } satisfies ScoreState);
      return null;
    },
    score(state, _pod, node) {
      const st = state.read<ScoreState>(scoreKey);
      if (!st || st.ignored.has(node.name)) return 0;
      let s = 0;
      st.constraints.forEach((c, i) => {
        const v = node.labels?.[c.topologyKey];
        if (v !== undefined) s += (st.counts[i]!.get(v) ?? 0) * st.weights[i]! + (c.maxSkew - 1);
      });
      return Math.round(s);
    },
    normalizeScore(state, _pod, scores) {
      const st = state.read<ScoreState>(scoreKey);
      if (!st) return;
      let min = Infinity;
      let max = 0;
      for (const s of scores) {
        if (st.ignored.has(s.node.name)) continue;
        if (s.score < min) min = s.score;
        if (s.score > max) max = s.score;
      }
      for (const s of scores) {
        if (st.ignored.has(s.node.name)) {
          s.score = 0;
          continue;
        }
        if (max === 0) {
          s.score = maxNodeScore;
          continue;
        }
        s.score = Math.floor((maxNodeScore * (max + min - s.score)) / max);
      }
    },
  };
}
