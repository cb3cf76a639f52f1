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

/** metav1.Time as JSON: RFC 3339 in whole seconds. */
export const timeStamp = (d: Date = new Date()): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * meta.SetStatusCondition: adds or replaces the condition of `c.type`; returns whether anything
 * changed. `stamp` is the lastTransitionTime of a transition: JSON text for the apiserver, a
 * Date for client-node's typed objects.
 */
export function setStatusCondition(conditions: Condition[], c: Condition, stamp: string | Date = timeStamp()): boolean {
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
