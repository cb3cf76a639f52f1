// Node health decisions, pure: what a silent node's conditions become, which taints a
// node's Ready status calls for, and when a pod on a NoExecute-tainted node must go.

export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';
const MANAGED_TAINTS = new Set([UNREACHABLE_TAINT, NOT_READY_TAINT, UNSCHEDULABLE_TAINT]);
/** What the apiserver's DefaultTolerationSeconds admission adds to every pod. */
export const APISERVER_DEFAULT_TOLERATION_SECONDS = 300;

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}
export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}
export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export type NodeLike = {
  metadata: { name?: string; [k: string]: any };
  spec?: { taints?: Taint[]; unschedulable?: boolean; [k: string]: any };
  status?: { conditions?: Condition[]; [k: string]: any };
};

export function readyStatus(node: NodeLike): 'True' | 'False' | 'Unknown' {
  const c = node.status?.conditions?.find((x) => x.type === 'Ready');
  return c?.status === 'True' || c?.status === 'False' ? c.status : 'Unknown';
}

/** Every condition goes Unknown as Kubernetes marks a node whose kubelet went silent. */
export function unknownConditions(node: NodeLike, now: string): Condition[] {
  const conditions = (node.status?.conditions ?? []).map((c) =>
    c.status === 'Unknown' && c.reason?.startsWith('NodeStatus')
      ? c
      : {
          ...c,
          status: 'Unknown',
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
          lastTransitionTime: now,
        },
  );
  if (!conditions.some((c) => c.type === 'Ready')) {
    conditions.push({
      type: 'Ready',
      status: 'Unknown',
      reason: 'NodeStatusNeverUpdated',
      message: 'Kubelet never posted node status.',
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    });
  }
  return conditions;
}

/** The taints the node should carry: ours from its status, everybody else's untouched. */
export function desiredTaints(node: NodeLike, now: string): Taint[] {
  const current = node.spec?.taints ?? [];
  const want: Taint[] = [];
  const ready = readyStatus(node);
  if (ready === 'Unknown') want.push({ key: UNREACHABLE_TAINT, effect: 'NoSchedule' }, { key: UNREACHABLE_TAINT, effect: 'NoExecute' });
  if (ready === 'False') want.push({ key: NOT_READY_TAINT, effect: 'NoSchedule' }, { key: NOT_READY_TAINT, effect: 'NoExecute' });
  if (node.spec?.unschedulable) want.push({ key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule' });
  const kept = current.filter((t) => !MANAGED_TAINTS.has(t.key));
  // a taint that stays keeps its timeAdded: eviction deadlines count from it
  const ours = want.map((w) => current.find((t) => t.key === w.key && t.effect === w.effect) ?? { ...w, timeAdded: now });
  return [...kept, ...ours];
}

export function sameTaints(a: readonly Taint[], b: readonly Taint[]): boolean {
  const key = (t: Taint) => `${t.key}=${t.value ?? ''}:${t.effect}`;
  return a.length === b.length && a.every((t) => b.some((u) => key(u) === key(t)));
}

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (!t.key) return t.operator === 'Exists';
  if (t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

/**
 * Milliseconds from now until the pod must be evicted from a node with these NoExecute
 * taints: 0 when a taint is not tolerated, Infinity when tolerated forever, else the
 * smallest tolerationSeconds counted from when the taint was added.
 * `defaultSecondsOverride` replaces the apiserver's 300 s default tolerations (tests).
 */
export function evictionDelayMs(tolerations: readonly Toleration[], taints: readonly Taint[], nowMs: number, defaultSecondsOverride?: number): number {
  let delay = Infinity;
  for (const taint of taints.filter((t) => t.effect === 'NoExecute')) {
    const matching = tolerations.filter((t) => tolerates(t, taint));
    if (matching.length === 0) return 0;
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : nowMs;
    for (const t of matching) {
      if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
      const seconds = defaultSecondsOverride !== undefined && isApiserverDefault(t) ? defaultSecondsOverride : t.tolerationSeconds;
      delay = Math.min(delay, Math.max(0, added + Math.max(0, seconds) * 1000 - nowMs));
    }
  }
  return delay;
}

function isApiserverDefault(t: Toleration): boolean {
  return (
    t.operator === 'Exists' &&
    t.effect === 'NoExecute' &&
    t.tolerationSeconds === APISERVER_DEFAULT_TOLERATION_SECONDS &&
    (t.key === UNREACHABLE_TAINT || t.key === NOT_READY_TAINT)
  );
}
