// Taints and tolerations (k8s.io/api core/v1 toleration.go, component-helpers' taint helpers):
// the scheduler and the DaemonSet controller decide with the same matching.
export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number | null;
}

/** v1.Toleration.ToleratesTaint: an empty key with Exists tolerates every key; an empty effect every effect. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  const op = t.operator || 'Equal';
  if (op === 'Exists') return true;
  if (op === 'Equal') return (t.value ?? '') === (taint.value ?? '');
  return false;
}

export function anyToleratesTaint(tolerations: readonly Toleration[] | null | undefined, taint: Taint): boolean {
  for (const t of tolerations ?? []) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** FindMatchingUntoleratedTaint: the first taint passing `filter` that no toleration tolerates. */
export function findUntoleratedTaint<T extends Taint>(
  taints: readonly T[] | null | undefined,
  tolerations: readonly Toleration[] | null | undefined,
  filter: (t: T) => boolean,
): T | undefined {
  for (const taint of taints ?? []) if (filter(taint) && !anyToleratesTaint(tolerations, taint)) return taint;
  return undefined;
}
