// metav1.Condition lists (k8s.io/apimachinery/pkg/api/meta/conditions.go): one entry per type,
// lastTransitionTime moving only when the status does.

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string | Date;
}

export function findStatusCondition<C extends Condition>(conditions: readonly C[] | undefined, type: string): C | undefined {
  return conditions?.find((c) => c.type === type);
}

/** meta.SetStatusCondition: adds or replaces the condition of `c.type`; returns whether anything changed. */
export function setStatusCondition(conditions: Condition[], c: Condition, now: Date = new Date()): boolean {
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const existing = conditions.find((x) => x.type === c.type);
  if (!existing) {
    conditions.push({ ...c, lastTransitionTime: c.lastTransitionTime ?? stamp });
    return true;
  }
  let changed = false;
  if (existing.status !== c.status) {
    existing.status = c.status;
    existing.lastTransitionTime = c.lastTransitionTime ?? stamp;
    changed = true;
  }
  for (const k of ['reason', 'message', 'observedGeneration'] as const) {
    if (existing[k] !== c[k]) {
      (existing as any)[k] = c[k];
      changed = true;
    }
  }
  return changed;
}
