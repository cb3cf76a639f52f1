// NodeResourcesFit: the pod's requests must fit the node's allocatable minus what the pods
// already there (and those assumed) request. Its score is the LeastAllocated (default) or
// MostAllocated strategy over cpu and memory, counting containers without requests at
// 100m / 200Mi so that best-effort pods still spread.
import type { FilterPlugin, ScorePlugin } from '../framework/interface.ts';
import { maxNodeScore } from '../framework/interface.ts';
import { unschedulable } from '../framework/status.ts';
import type { NodeInfo } from '../cache/node-info.ts';
import type { PodInfo } from '../cache/pod-info.ts';

export type ScoringStrategy = 'LeastAllocated' | 'MostAllocated';

export interface NodeResourcesFitArgs {
  scoringStrategy?: { type?: ScoringStrategy; resources?: { name: string; weight: number }[] };
}

/** Why the pod does not fit, one reason per short resource, in Kubernetes' words. */
export function insufficientResources(pod: PodInfo, node: NodeInfo): string[] {
  const out: string[] = [];
  if (node.pods.size + 1 > node.allowedPodNumber) out.push('Too many pods');
  const r = pod.requests;
  const a = node.allocatable;
  const used = node.requested;
  if (r.milliCPU > 0 && r.milliCPU > a.milliCPU - used.milliCPU) out.push('Insufficient cpu');
  if (r.memory > 0 && r.memory > a.memory - used.memory) out.push('Insufficient memory');
  if (r.ephemeralStorage > 0 && r.ephemeralStorage > a.ephemeralStorage - used.ephemeralStorage) out.push('Insufficient ephemeral-storage');
  for (const [name, want] of r.scalar) {
    if (want > 0 && want > (a.scalar.get(name) ?? 0) - (used.scalar.get(name) ?? 0)) out.push(`Insufficient ${name}`);
  }
  return out;
}

function requestedOf(pod: PodInfo, node: NodeInfo, resource: string): [requested: number, allocatable: number] {
  switch (resource) {
    case 'cpu':
      return [node.nonZeroCpu + pod.nonZeroCpu, node.allocatable.milliCPU];
    case 'memory':
      return [node.nonZeroMemory + pod.nonZeroMemory, node.allocatable.memory];
    case 'ephemeral-storage':
      return [node.requested.ephemeralStorage + pod.requests.ephemeralStorage, node.allocatable.ephemeralStorage];
    default:
      return [(node.requested.scalar.get(resource) ?? 0) + (pod.requests.scalar.get(resource) ?? 0), node.allocatable.scalar.get(resource) ?? 0];
  }
}

export function leastAllocatedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * maxNodeScore) / capacity);
}

export function mostAllocatedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  // more than capacity (possible with the non-zero defaults) counts as full
  return Math.floor((Math.min(requested, capacity) * maxNodeScore) / capacity);
}

export function nodeResourcesFit(args: NodeResourcesFitArgs = {}): FilterPlugin & ScorePlugin {
  const type = args.scoringStrategy?.type ?? 'LeastAllocated';
  if (type !== 'LeastAllocated' && type !== 'MostAllocated') throw new Error(`NodeResourcesFit: scoring strategy "${type}" is not supported`);
  const resources = args.scoringStrategy?.resources ?? [
    { name: 'cpu', weight: 1 },
    { name: 'memory', weight: 1 },
  ];
  const scoreOne = type === 'LeastAllocated' ? leastAllocatedScore : mostAllocatedScore;
  return {
    name: 'NodeResourcesFit',
    filter(_state, pod, node) {
      const reasons = insufficientResources(pod, node);
      return reasons.length ? unschedulable(...reasons) : null;
    },
    score(_state, pod, node) {
      let sum = 0;
      let weights = 0;
      for (const { name, weight } of resources) {
        const [req, cap] = requestedOf(pod, node, name);
        if (cap === 0 && name !== 'cpu' && name !== 'memory') continue; // extended resource the node lacks
        sum += scoreOne(req, cap) * weight;
        weights += weight;
      }
      return weights === 0 ? 0 : Math.floor(sum / weights);
    },
  };
}
