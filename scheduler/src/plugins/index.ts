// Every plugin by name, with the default profile's plugins and score weights (those of
// kube-scheduler's v1 configuration).
import type { AnyPlugin } from '../framework/interface.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import { nodeUnschedulable } from './node-unschedulable.ts';
import { nodeName } from './node-name.ts';
import { taintToleration } from './taint-toleration.ts';
import { nodeAffinity } from './node-affinity.ts';
import { nodePorts } from './node-ports.ts';
import { nodeResourcesFit } from './node-resources-fit.ts';
import { podTopologySpread } from './pod-topology-spread.ts';
import { interPodAffinity } from './inter-pod-affinity.ts';
import { defaultPreemption } from './default-preemption.ts';
import type { PreemptionDeps } from './default-preemption.ts';
import { balancedAllocation } from './balanced-allocation.ts';
import { imageLocality } from './image-locality.ts';
import { defaultBinder } from './default-binder.ts';
import { volumeBinding } from './volume-binding.ts';
import type { VolumeLookup } from '../volumes.ts';

export interface PluginDeps extends PreemptionDeps {
  bind(pod: PodInfo, nodeName: string): Promise<void>;
  /** claims, volumes and classes (VolumeBinding) */
  volumes?: VolumeLookup;
}

export type PluginFactory = (args: any, deps: PluginDeps) => AnyPlugin;

export const pluginRegistry: Record<string, PluginFactory> = {
  NodeUnschedulable: () => nodeUnschedulable(),
  NodeName: () => nodeName(),
  TaintToleration: () => taintToleration(),
  NodeAffinity: () => nodeAffinity(),
  NodePorts: () => nodePorts(),
  NodeResourcesFit: (args) => nodeResourcesFit(args ?? {}),
  PodTopologySpread: () => podTopologySpread(),
  InterPodAffinity: () => interPodAffinity(),
  DefaultPreemption: (_args, deps) => defaultPreemption(deps),
  NodeResourcesBalancedAllocation: () => balancedAllocation(),
  ImageLocality: () => imageLocality(),
  DefaultBinder: (_args, deps) => defaultBinder(deps.bind),
  VolumeBinding: (_args, deps) => volumeBinding(deps.volumes),
};

/** The default multiPoint list, in kube-scheduler's order, with score weights. */
export const defaultPlugins: { name: string; weight?: number }[] = [
  { name: 'NodeUnschedulable' },
  { name: 'NodeName' },
  { name: 'TaintToleration', weight: 3 },
  { name: 'NodeAffinity', weight: 2 },
  { name: 'NodePorts' },
  { name: 'NodeResourcesFit', weight: 1 },
  { name: 'VolumeBinding' },
  { name: 'PodTopologySpread', weight: 2 },
  { name: 'InterPodAffinity', weight: 2 },
  { name: 'DefaultPreemption' },
  { name: 'NodeResourcesBalancedAllocation', weight: 1 },
  { name: 'ImageLocality', weight: 1 },
  { name: 'DefaultBinder' },
];
