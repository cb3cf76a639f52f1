// NodeAffinity: spec.nodeSelector and requiredDuringScheduling node affinity must hold; the
// preferred terms' weights add up into a score.
import type { CycleState, FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interface.ts';
import { unresolvable, skip } from '../framework/status.ts';
import { compileNodeSelectorTerm } from '../labels.ts';
import { type NodePlacement, requiredNodePlacement } from '@skiff/common/apimachinery/node-selector';
import type { NodePredicate } from '../labels.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import type { NodeInfo } from '../cache/node-info.ts';
import { defaultNormalizeScore } from './helpers.ts';

export const errReasonNodeAffinity = "node(s) didn't match Pod's node affinity/selector";
const stateKey = 'NodeAffinity/required';
const scoreKey = 'NodeAffinity/preferred';

/** nodeSelector and required node affinity as one predicate; undefined when the pod has neither. */
export function requiredNodeAffinity(pod: PodInfo): NodePredicate | undefined {
  return requiredNodePlacement(pod.pod.spec as NodePlacement | undefined);
}

export function nodeMatchesRequiredAffinity(pod: PodInfo, node: NodeInfo): boolean {
  const p = requiredNodeAffinity(pod);
  return !p || p(node.labels, node.name);
}

interface Preferred {
  weight: number;
  match: NodePredicate;
}

export function nodeAffinity(): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  return {
    name: 'NodeAffinity',
    preFilter(state: CycleState, pod) {
      const p = requiredNodeAffinity(pod);
      if (!p) return skip();
      state.write(stateKey, p);
      // metadata.name In (...) in every term narrows the candidate nodes at once
      const terms: any[] | undefined = (pod.pod.spec as any)?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
      if (terms?.length) {
        let names: Set<string> | undefined = new Set();
        for (const t of terms) {
          const byName = (t.matchFields ?? []).find((f: any) => f.key === 'metadata.name' && f.operator === 'In');
          if (!byName) {
            names = undefined;
            break;
          }
          for (const v of byName.values ?? []) names.add(v);
        }
        if (names) return { nodeNames: names };
      }
      return null;
    },
    filter(state, _pod, node) {
      const p = state.read<NodePredicate>(stateKey);
      if (!p || p(node.labels, node.name)) return null;
      return unresolvable(errReasonNodeAffinity);
    },
    preScore(state, pod) {
      const list: any[] = (pod.pod.spec as any)?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
      if (list.length === 0) return skip();
      const prefs: Preferred[] = list.filter((w) => w.weight).map((w) => ({ weight: w.weight, match: compileNodeSelectorTerm(w.preference ?? {}) }));
      state.write(scoreKey, prefs);
      return null;
    },
    score(state, _pod, node) {
      let sum = 0;
      for (const p of state.read<Preferred[]>(scoreKey) ?? []) if (p.match(node.labels, node.name)) sum += p.weight;
      return sum;
    },
    normalizeScore(_state, _pod, scores) {
      defaultNormalizeScore(scores, false);
    },
  };
}
