// What the scheduler needs to know about a pod, computed once when the pod is seen rather
// than on every node it is checked against.
import type { V1Pod, V1PodAffinityTerm } from '@kubernetes/client-node';
import { compileLabelSelector, matchEverything } from '../labels.ts';
import type { LabelPredicate, Labels } from '../labels.ts';
import { podRequests } from '../resources.ts';
import type { Resources } from '../resources.ts';

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

export interface AffinityTerm {
  selector: LabelPredicate;
  topologyKey: string;
  /** explicit namespaces (the pod's own when neither these nor a namespaceSelector are given) */
  namespaces: Set<string>;
  /** undefined: only `namespaces`; else namespaces whose labels match */
  namespaceSelector?: LabelPredicate;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

export interface PodInfo {
  pod: V1Pod;
  key: string;
  namespace: string;
  name: string;
  uid: string;
  priority: number;
  labels: Labels;
  requests: Resources;
  /** cpu and memory with the scoring defaults for containers without requests */
  nonZeroCpu: number;
  nonZeroMemory: number;
  hostPorts: HostPort[];
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: WeightedAffinityTerm[];
  preferredAntiAffinity: WeightedAffinityTerm[];
}

export function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

function affinityTerm(t: V1PodAffinityTerm, pod: V1Pod): AffinityTerm {
  const ns = pod.metadata?.namespace ?? 'default';
  const labels = pod.metadata?.labels;
  const selector = compileLabelSelector(t.labelSelector as any, labels, t.matchLabelKeys, t.mismatchLabelKeys);
  const namespaces = new Set(t.namespaces ?? []);
  let namespaceSelector: LabelPredicate | undefined;
  if (t.namespaceSelector) {
    const s = t.namespaceSelector as any;
    const empty = !s.matchLabels && !s.matchExpressions?.length;
    namespaceSelector = empty ? matchEverything : compileLabelSelector(s);
  } else if (namespaces.size === 0) {
    namespaces.add(ns);
  }
  return { selector, topologyKey: t.topologyKey, namespaces, namespaceSelector };
}

export function newPodInfo(pod: V1Pod): PodInfo {
  const spec: any = pod.spec ?? {};
  const requests = podRequests(spec);
  const nonZero = podRequests(spec, true);
  const hostPorts: HostPort[] = [];
  for (const c of spec.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.hostPort > 0) hostPorts.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  const pa = spec.affinity?.podAffinity;
  const paa = spec.affinity?.podAntiAffinity;
  const weighted = (list: any[] | undefined) => (list ?? []).map((w: any) => ({ ...affinityTerm(w.podAffinityTerm, pod), weight: w.weight ?? 0 }));
  return {
    pod,
    key: podKey(pod),
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? '',
    priority: spec.priority ?? 0,
    labels: pod.metadata?.labels,
    requests,
    nonZeroCpu: nonZero.milliCPU,
    nonZeroMemory: nonZero.memory,
    hostPorts,
    requiredAffinity: (pa?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t: any) => affinityTerm(t, pod)),
    requiredAntiAffinity: (paa?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t: any) => affinityTerm(t, pod)),
    preferredAffinity: weighted(pa?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinity: weighted(paa?.preferredDuringSchedulingIgnoredDuringExecution),
  };
}

/** Whether an affinity term of some pod selects `other` (namespace and labels). */
export function termMatches(term: AffinityTerm, other: PodInfo, namespaceLabels: (ns: string) => Labels): boolean {
  const nsOk = term.namespaces.has(other.namespace) || term.namespaceSelector?.(namespaceLabels(other.namespace)) === true;
  return nsOk && term.selector(other.labels);
}
