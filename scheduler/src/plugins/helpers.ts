// Small pieces several plugins share: toleration matching and score normalisation.
import { maxNodeScore } from '../framework/interface.ts';
import type { NodeScore } from '../framework/interface.ts';

export { anyToleratesTaint, toleratesTaint } from '@skiff/common/apimachinery/taints';

export function defaultNormalizeScore(scores: NodeScore[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s.score > max) max = s.score;
  if (max === 0) {
    if (reverse) for (const s of scores) s.score = maxNodeScore;
    return;
  }
  for (const s of scores) {
    let v = Math.floor((maxNodeScore * s.score) / max);
    if (reverse) v = maxNodeScore - v;
    s.score = v;
  }
}
