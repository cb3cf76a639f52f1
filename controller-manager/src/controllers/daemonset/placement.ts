// Which nodes run a DaemonSet's pod, and the pod each gets (Kubernetes'
// pkg/controller/daemon/util and NodeShouldRunDaemonPod in daemon_controller.go). Pure: the
// controller feeds it nodes and pods from its caches.
import type { V1Affinity, V1DaemonSet, V1Node, V1Pod, V1PodSpec, V1PodTemplateSpec, V1Toleration } from '@kubernetes/client-node';
import { requiredNodePlacement } from '@skiff/common/apimachinery/node-selector';
import { findUntoleratedTaint, type Taint } from '@skiff/common/apimachinery/taints';
import { SelectorError } from '@skiff/common/apimachinery/label-selector';
import { controllerRevisionHashLabel } from '../history/revisions.ts';

/** The pods' label carrying the DaemonSet's template generation (extensions' DaemonSetTemplateGenerationKey). */
export const templateGenerationLabel = 'pod-template-generation';
/** The DaemonSet annotation apps/v1 keeps the template generation in. */
export const templateGenerationAnnotation = 'deprecated.daemonset.template.generation';

const exists = (key: string, effect: string): V1Toleration => ({ key, operator: 'Exists', effect });

/**
 * AddOrUpdateDaemonPodTolerations: a daemon pod stays through the node conditions that would
 * evict or keep out other pods, and runs on cordoned nodes; host-network daemons (the network
 * plugin itself) run on a node whose network is not up yet.
 */
export function daemonPodTolerations(spec: Pick<V1PodSpec, 'hostNetwork'>): V1Toleration[] {
  const out = [
    exists('node.kubernetes.io/not-ready', 'NoExecute'),
    exists('node.kubernetes.io/unreachable', 'NoExecute'),
    exists('node.kubernetes.io/disk-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/pid-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/unschedulable', 'NoSchedule'),
  ];
  if (spec.hostNetwork) out.push(exists('node.kubernetes.io/network-unavailable', 'NoSchedule'));
  return out;
}

const sameToleration = (a: V1Toleration, b: V1Toleration) =>
  (a.key ?? '') === (b.key ?? '') && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');

/** AddOrUpdateTolerationInPodSpec for each daemon toleration: one matching the user's replaces it (dropping tolerationSeconds). */
export function withDaemonTolerations(spec: V1PodSpec): V1Toleration[] {
  let tolerations = [...(spec.tolerations ?? [])];
  for (const t of daemonPodTolerations(spec)) {
    if (tolerations.some((u) => sameToleration(u, t))) tolerations = tolerations.map((u) => (sameToleration(u, t) ? t : u));
    else tolerations.push(t);
  }
  return tolerations;
}

/** ReplaceDaemonSetPodNodeNameNodeAffinity: the pod may only land on `nodeName`, through the scheduler. */
export function nodeNameAffinity(affinity: V1Affinity | undefined, nodeName: string): V1Affinity {
  const required = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] };
  return { ...affinity, nodeAffinity: { ...affinity?.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: required } };
}

/** The node a daemon pod is for: its nodeName once bound, else the node its affinity pins it to (GetTargetNodeName). */
export function targetNodeName(pod: V1Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

export function templateGenerationOf(ds: V1DaemonSet): string | undefined {
  const v = ds.metadata?.annotations?.[templateGenerationAnnotation];
  return v && /^\d+$/.test(v) ? v : undefined;
}

/** CreatePodTemplate: the DaemonSet's template with the daemon tolerations and the generation and revision labels. */
export function daemonPodTemplate(ds: V1DaemonSet, hash: string): V1PodTemplateSpec {
  const t = structuredClone(ds.spec?.template ?? {}) as V1PodTemplateSpec;
  t.spec ??= { containers: [] };
  t.spec.tolerations = withDaemonTolerations(t.spec);
  const labels: Record<string, string> = { ...t.metadata?.labels };
  const generation = templateGenerationOf(ds);
  if (generation) labels[templateGenerationLabel] = generation;
  if (hash) labels[controllerRevisionHashLabel] = hash;
  t.metadata = { ...t.metadata, labels };
  return t;
}

/** The pod for one node, owned by the DaemonSet; bound by the scheduler through its node affinity. */
export function newDaemonPod(ds: V1DaemonSet, template: V1PodTemplateSpec, nodeName: string): V1Pod {
  const spec = structuredClone(template.spec ?? { containers: [] });
  spec.affinity = nodeNameAffinity(spec.affinity, nodeName);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata?.name}-`,
      namespace: ds.metadata?.namespace,
      labels: { ...template.metadata?.labels },
      annotations: template.metadata?.annotations ? { ...template.metadata.annotations } : undefined,
      finalizers: template.metadata?.finalizers ? [...template.metadata.finalizers] : undefined,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata?.name ?? '', uid: ds.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true },
      ],
    },
    spec,
  };
}

export interface Placement {
  /** The node should run the daemon pod: a missing one is created. */
  shouldRun: boolean;
  /** A daemon pod already there may stay (a NoSchedule taint added later keeps it). */
  shouldContinueRunning: boolean;
}

/**
 * NodeShouldRunDaemonPod: a node named by the template's nodeName (if any), matching the
 * nodeSelector and required node affinity, whose NoSchedule/NoExecute taints the daemon pod
 * (with the tolerations every daemon pod gets) tolerates. A node failing only on taints keeps
 * a running pod unless a NoExecute taint is not tolerated.
 */
export function nodeShouldRunDaemonPod(node: V1Node, ds: V1DaemonSet): Placement {
  const nodeName = node.metadata?.name ?? '';
  const spec = ds.spec?.template?.spec;
  const no = { shouldRun: false, shouldContinueRunning: false };
  if (spec?.nodeName && spec.nodeName !== nodeName) return no;
  let fits: boolean;
  try {
    fits = requiredNodePlacement(spec)?.(node.metadata?.labels, nodeName) ?? true;
  } catch (e) {
    // a selector the apiserver let through but that does not compile matches no node
    if (!(e instanceof SelectorError)) throw e;
    fits = false;
  }
  if (!fits) return no;
  const tolerations = withDaemonTolerations(spec ?? { containers: [] });
  const taints = (node.spec?.taints ?? []) as Taint[];
  const blocking = findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  if (!blocking) return { shouldRun: true, shouldContinueRunning: true };
  const evicting = findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute');
  return { shouldRun: false, shouldContinueRunning: !evicting };
}
