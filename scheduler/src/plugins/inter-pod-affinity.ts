// InterPodAffinity: required pod affinity (the pod must land in a topology domain, e.g. a
// zone or a host, that has a matching pod), required anti-affinity (must not, in both
// directions: existing pods' anti-affinity keeps the new pod away too), and the preferred
// terms as a score. Counts per topology pair are computed once per pod in PreFilter.
import type { ClusterView, CycleState, FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interface.ts';
import { maxNodeScore } from '../framework/interface.ts';
import { skip, unresolvable, unschedulable } from '../framework/status.ts';
import { termMatches } from '../cache/pod-info.ts';
import type { AffinityTerm, PodInfo } from '../cache/pod-info.ts';
import type { NodeInfo } from '../cache/node-info.ts';

export const errReasonAffinity = "node(s) didn't match pod affinity rules";
export const errReasonAntiAffinity = "node(s) didn't match pod anti-affinity rules";
export const errReasonExistingAntiAffinity = "node(s) didn't satisfy existing pods anti-affinity rules";

const filterKey = 'InterPodAffinity/filter';
const scoreKey = 'InterPodAffinity/score';
/** Weight of an existing pod's required affinity when scoring the symmetric direction. */
const hardPodAffinityWeight = 1;

type Counts = Map<string, number>;
const pairKey = (k: string, v: string) => `${k}\u0000${v}`;

function bump(counts: Counts, node: NodeInfo, topologyKey: string, by: number): void {
  const v = node.labels?.[topologyKey];
  if (v === undefined) return;
  const k = pairKey(topologyKey, v);
  counts.set(k, (counts.get(k) ?? 0) + by);
}

interface FilterState {
  existingAnti: Counts;
  affinity: Counts;
  anti: Counts;
  hasAffinity: boolean;
  hasAnti: boolean;
}

function matchesAll(terms: AffinityTerm[], p: PodInfo, view: ClusterView): boolean {
  for (const t of terms) if (!termMatches(t, p, view.namespaceLabels)) return false;
  return true;
}

export function computeFilterState(pod: PodInfo, view: ClusterView): FilterState {
  const st: FilterState = {
    existingAnti: new Map(),
    affinity: new Map(),
    anti: new Map(),
    hasAffinity: pod.requiredAffinity.length > 0,
    hasAnti: pod.requiredAntiAffinity.length > 0,
  };
  const scanAll = st.hasAffinity || st.hasAnti;
  // without terms of its own, only nodes whose pods have terms can matter
  for (const node of scanAll ? view.nodes() : view.nodesWithAffinityPods()) {
    for (const existing of node.podsWithRequiredAntiAffinity) {
      if (existing.key === pod.key) continue;
      for (const t of existing.requiredAntiAffinity) if (termMatches(t, pod, view.namespaceLabels)) bump(st.existingAnti, node, t.topologyKey, 1);
    }
    if (!scanAll) continue;
    for (const existing of node.pods.values()) {
      if (existing.key === pod.key) continue;
      if (st.hasAffinity && matchesAll(pod.requiredAffinity, existing, view)) {
        for (const t of pod.requiredAffinity) bump(st.affinity, node, t.topologyKey, 1);
      }
      for (const t of pod.requiredAntiAffinity) if (termMatches(t, existing, view.namespaceLabels)) bump(st.anti, node, t.topologyKey, 1);
    }
  }
  return st;
}

function satisfiesAffinity(st: FilterState, pod: PodInfo, node: NodeInfo, view: ClusterView): boolean {
  let podsExist = true;
  for (const t of pod.requiredAffinity) {
    const v = node.labels?.[t.topologyKey];
    if (v === undefined) return false;
    if ((st.affinity.get(pairKey(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  // the first pod of a group that selects itself may go anywhere the labels exist
  return st.affinity.size === 0 && matchesAll(pod.requiredAffinity, pod, view);
}

function violates(counts: Counts, terms: AffinityTerm[], node: NodeInfo): boolean {
  for (const t of terms) {
    const v = node.labels?.[t.topologyKey];
    if (v !== undefined && (counts.get(pairKey(t.topologyKey, v)) ?? 0) > 0) return true;
  }
  return false;
}

function violatesExisting(counts: Counts, node: NodeInfo): boolean {
  if (counts.size === 0 || !node.labels) return false;
  for (const [k, v] of Object.entries(node.labels)) if ((counts.get(pairKey(k, v)) ?? 0) > 0) return true;
  return false;
}

/** topology pair -> score, summed over the pods whose terms (or whom the new pod's terms) select */
function computeScoreState(pod: PodInfo, view: ClusterView): Counts {
  const scores: Counts = new Map();
  const hasPreferred = pod.preferredAffinity.length > 0 || pod.preferredAntiAffinity.length > 0;
  for (const node of hasPreferred ? view.nodes() : view.nodesWithAffinityPods()) {
    const candidates = hasPreferred ? node.pods.values() : node.podsWithAffinity.values();
    for (const existing of candidates) {
      if (existing.key === pod.key) continue;
      for (const t of pod.preferredAffinity) if (termMatches(t, existing, view.namespaceLabels)) bump(scores, node, t.topologyKey, t.weight);
      for (const t of pod.preferredAntiAffinity) if (termMatches(t, existing, view.namespaceLabels)) bump(scores, node, t.topologyKey, -t.weight);
      for (const t of existing.requiredAffinity) if (termMatches(t, pod, view.namespaceLabels)) bump(scores, node, t.topologyKey, hardPodAffinityWeight);
      for (const t of existing.preferredAffinity) if (termMatches(t, pod, view.namespaceLabels)) bump(scores, node, t.topologyKey, t.weight);
      for (const t of existing.preferredAntiAffinity) if (termMatches(t, pod, view.namespaceLabels)) bump(scores, node, t.topologyKey, -t.weight);
    }
  }
  return scores;
}

export function interPodAffinity(): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  return {
    name: 'InterPodAffinity',
    preFilter(state: CycleState, pod, view) {
      const st = computeFilterState(pod, view);
      if (!st.hasAffinity && !st.hasAnti && st.existingAnti.size === 0) return skip();
      state.write(filterKey, st);
      return null;
    },
    filter(state, pod, node, view) {
      const st = state.read<FilterState>(filterKey);
      if (!st) return null;
      if (st.hasAffinity && !satisfiesAffinity(st, pod, node, view)) return unresolvable(errReasonAffinity);
      if (st.hasAnti && violates(st.anti, pod.requiredAntiAffinity, node)) return unschedulable(errReasonAntiAffinity);
      if (violatesExisting(st.existingAnti, node)) return unschedulable(errReasonExistingAntiAffinity);
      return null;
    },
    preScore(state, pod, _nodes, view) {
      const scores = computeScoreState(pod, view);
      if (scores.size === 0) return skip();
      state.write(scoreKey, scores);
      return null;
    },
    score(state, _pod, node) {
      const scores = state.read<Counts>(scoreKey);
      if (!scores || !node.labels) return 0;
      let sum = 0;
      for (const [k, v] of Object.entries(node.labels)) sum += scores.get(pairKey(k, v)) ?? 0;
      return sum;
    },
    normalizeScore(_state, _pod, scores) {
      let min = Infinity;
      let max = -Infinity;
      for (const s of scores) {
        if (s.score < min) min = s.score;
        if (s.score > max) max = s.score;
      }
      const diff = max - min;
      for (const s of scores) s.score = diff > 0 ? Math.floor((maxNodeScore * (s.score - min)) / diff) : 0;
    },
  };
}
