// TaintToleration: NoSchedule and NoExecute taints keep out pods that do not tolerate them;
// PreferNoSchedule taints only lower the score.
import type { V1Taint } from '@kubernetes/client-node';
import type { FilterPlugin, ScorePlugin } from '../framework/interface.ts';
import { unresolvable } from '../framework/status.ts';
import { anyToleratesTaint, defaultNormalizeScore } from './helpers.ts';

export function untoleratedTaintMessage(t: V1Taint): string {
  return `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`;
}

export function taintToleration(): FilterPlugin & ScorePlugin {
  return {
    name: 'TaintToleration',
    filter(_state, pod, node) {
      const tolerations = pod.pod.spec?.tolerations;
      for (const taint of node.taints) {
        if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
        if (!anyToleratesTaint(tolerations, taint)) return unresolvable(untoleratedTaintMessage(taint));
      }
      return null;
    },
    score(_state, pod, node) {
      const tolerations = (pod.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
      let n = 0;
      for (const taint of node.taints) if (taint.effect === 'PreferNoSchedule' && !anyToleratesTaint(tolerations, taint)) n++;
      return n;
    },
    normalizeScore(_state, _pod, scores) {
      defaultNormalizeScore(scores, true);
    },
  };
}
