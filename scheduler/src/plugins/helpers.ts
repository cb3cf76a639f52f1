// Small pieces several plugins share: toleration matching and score normalisation.
import type { V1Taint, V1Toleration } from '@kubernetes/client-node';
import { maxNodeScore } from '../framework/interface.ts';
import type { NodeScore } from '../framework/interface.ts';

/** v1.Toleration.ToleratesTaint */
export function toleratesTaint(t: V1Toleration, taint: V1Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  const op = t.operator || 'Equal';
  if (op === 'Exists') return true;
  if (op === 'Equal') return (t.value ?? '') === (taint.value ?? '');
  return false;
}

export function anyToleratesTaint(tolerations: V1Toleration[] | undefined, taint: V1Taint): boolean {
  for (const t of tolerations ?? []) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** Kubernetes' DefaultNormalizeScore: scale to 0..100 by the maximum, optionally reversed. */
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
