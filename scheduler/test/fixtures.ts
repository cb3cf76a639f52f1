// Builders for pods and nodes in unit tests, and a cluster view over a plain node list.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { NodeInfo } from '../src/cache/node-info.ts';
import { newPodInfo } from '../src/cache/pod-info.ts';
import type { PodInfo } from '../src/cache/pod-info.ts';
import type { ClusterView } from '../src/framework/interface.ts';

export function makeNode(
  name: string,
  o: {
    cpu?: string;
    memory?: string;
    pods?: number;
    labels?: Record<string, string>;
    taints?: any[];
    unschedulable?: boolean;
    images?: { names: string[]; sizeBytes: number }[];
  } = {},
): V1Node {
  const allocatable = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: String(o.pods ?? 110), 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { allocatable, capacity: allocatable, images: o.images },
  } as V1Node;
}

export function makePod(
  name: string,
  o: { ns?: string; cpu?: string; memory?: string; labels?: Record<string, string>; priority?: number; spec?: Record<string, any>; nodeName?: string } = {},
): V1Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.ns ?? 'default', uid: `uid-${name}`, labels: o.labels },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests } }], priority: o.priority ?? 0, nodeName: o.nodeName, ...(o.spec ?? {}) },
    status: { phase: 'Pending' },
  } as V1Pod;
}

export const pi = (pod: V1Pod): PodInfo => newPodInfo(pod);

export function nodeInfo(node: V1Node, pods: V1Pod[] = []): NodeInfo {
  const n = new NodeInfo(node.metadata!.name!);
  n.setNode(node);
  for (const p of pods) n.addPod(newPodInfo(p));
  return n;
}

export function viewOf(nodes: NodeInfo[], nsLabels: Record<string, Record<string, string>> = {}): ClusterView {
  const counts = new Map<string, number>();
  for (const n of nodes) for (const img of n.images.keys()) counts.set(img, (counts.get(img) ?? 0) + 1);
  return {
    nodes: () => nodes,
    node: (name) => nodes.find((n) => n.name === name),
    namespaceLabels: (ns) => nsLabels[ns],
    imageNodeCount: (img) => counts.get(img) ?? 0,
    nodesWithAffinityPods: () => nodes.filter((n) => n.podsWithAffinity.size > 0),
  };
}
