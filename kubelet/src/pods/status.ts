// The pod status the kubelet reports: the runtime's view plus conditions, IPs, start time
// and QoS class; condition transition times are kept from the previous status.
import type { V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';
import type { RuntimePodStatus } from '../runtime/interface.ts';
import { wireTime } from '../api/wire-time.ts';
import { parseQuantity } from '@skiff/common/apimachinery/quantity';

export function qosClass(pod: V1Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      const q = req[r] ?? l;
      if (q !== undefined || l !== undefined) any = true;
      if (l === undefined || q === undefined || !parseQuantity(q).equals(parseQuantity(l))) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function condition(type: string, ok: boolean, previous: V1PodCondition[] | undefined, now: string, reason?: string): V1PodCondition {
  const status = ok ? 'True' : 'False';
  const old = previous?.find((c) => c.type === type);
  const c: V1PodCondition = {
    type,
    status,
    lastProbeTime: null as unknown as Date,
    lastTransitionTime: (old && old.status === status ? wireTime(old.lastTransitionTime) : now) as Date,
  };
  if (!ok && reason) c.reason = reason;
  return c;
}

export function buildPodStatus(pod: V1Pod, r: RuntimePodStatus, hostIP: string, now = new Date()): V1PodStatus {
  const prev = pod.status ?? {};
  const ts = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const terminal = r.phase === 'Succeeded' || r.phase === 'Failed';
  const containersReady = !terminal && r.containerStatuses.every((s) => s.ready);
  const gates = (pod.spec?.readinessGates ?? []).every((g) => prev.conditions?.find((c) => c.type === g.conditionType)?.status === 'True');
  const conditions: V1PodCondition[] = [
    condition('PodReadyToStartContainers', !!r.podIP || r.phase === 'Running', prev.conditions, ts),
    condition('Initialized', r.initialized, prev.conditions, ts, 'ContainersNotInitialized'),
    condition('Ready', containersReady && gates, prev.conditions, ts, terminal ? 'PodCompleted' : gates ? 'ContainersNotReady' : 'ReadinessGatesNotReady'),
    condition('ContainersReady', containersReady, prev.conditions, ts, terminal ? 'PodCompleted' : 'ContainersNotReady'),
    condition('PodScheduled', true, prev.conditions, ts),
  ];
  // Keep conditions others own (readiness gates, DisruptionTarget).
  for (const c of prev.conditions ?? []) if (!conditions.some((x) => x.type === c.type)) conditions.push(c);
  const status: V1PodStatus = {
    phase: r.phase,
    conditions,
    hostIP,
    hostIPs: [{ ip: hostIP }],
    startTime: (wireTime(prev.startTime) ?? ts) as Date,
    containerStatuses: r.containerStatuses,
    qosClass: qosClass(pod),
  };
  if (r.initContainerStatuses.length) status.initContainerStatuses = r.initContainerStatuses;
  if (r.podIP) {
    status.podIP = r.podIP;
    status.podIPs = [{ ip: r.podIP }];
  } else if (terminal && prev.podIP) {
    // a finished pod's sandbox is stopped: the address it had stays in its status
    status.podIP = prev.podIP;
    if (prev.podIPs) status.podIPs = prev.podIPs;
  }
  if (r.reason) status.reason = r.reason;
  if (r.message) status.message = r.message;
  return status;
}

/** Status equality ignoring key order and absent, null or empty fields, so a patch is sent only when something changed. */
export function sameStatus(a: unknown, b: unknown): boolean {
  return stableJson(a) === stableJson(b);
}

function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (v instanceof Date) return JSON.stringify(v.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    // null is how a merge patch clears a field: the stored status has no such key
    .filter((k) => o[k] !== undefined && o[k] !== null && !(typeof o[k] === 'object' && !Array.isArray(o[k]) && Object.keys(o[k] as object).length === 0))
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}
