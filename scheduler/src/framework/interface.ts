// The extension points of the scheduling framework, as Kubernetes defines them. A filter
// returns null for "fits" so that the common case allocates nothing.
import type { NodeInfo } from '../cache/node-info.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import type { Labels } from '../labels.ts';
import type { Status } from './status.ts';

/** Per-attempt scratch space plugins share between their extension points. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** plugins whose PreFilter said Skip: their Filter is not run */
  readonly skipFilter = new Set<string>();
  readonly skipScore = new Set<string>();
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, v: unknown): void {
    this.data.set(key, v);
  }
}

/** What plugins may read besides the pod and node at hand. */
export interface ClusterView {
  /** every node; PreFilter of topology plugins counts pods on all of them */
  nodes(): readonly NodeInfo[];
  node(name: string): NodeInfo | undefined;
  namespaceLabels(ns: string): Labels;
  /** image -> number of nodes having it */
  imageNodeCount(image: string): number;
  /** nodes with at least one pod that has pod (anti-)affinity terms; a subset of nodes() */
  nodesWithAffinityPods(): Iterable<NodeInfo>;
}

export interface Plugin {
  readonly name: string;
}

export interface PreFilterResult {
  /** only these nodes can fit (NodeName, NodeAffinity on metadata.name) */
  nodeNames?: Set<string>;
}

export interface PreFilterPlugin extends Plugin {
  /** null, a Status (Skip, or a rejection for every node) or a narrowed node set */
  preFilter(state: CycleState, pod: PodInfo, view: ClusterView): Status | PreFilterResult | null;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo, view: ClusterView): Status | null;
}

export interface NodeScore {
  node: NodeInfo;
  score: number;
}

export interface PostFilterResult {
  nominatedNodeName?: string;
  status: Status;
  victims?: number;
}

export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: PodInfo, filtered: Map<string, Status>, view: ClusterView): Promise<PostFilterResult>;
}

export interface PreScorePlugin extends Plugin {
  /** Skip status: this plugin's Score does not run for this pod */
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], view: ClusterView): Status | null;
}

export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: PodInfo, node: NodeInfo, view: ClusterView): number;
  /** rescales raw scores to 0..100 in place */
  normalizeScore?(state: CycleState, pod: PodInfo, scores: NodeScore[]): void;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status | null;
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export interface BindPlugin extends Plugin {
  /** Skip status: let the next bind plugin do it */
  bind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | null>;
}

export const maxNodeScore = 100;

export type AnyPlugin = Partial<PreFilterPlugin & FilterPlugin & PostFilterPlugin & PreScorePlugin & ScorePlugin & ReservePlugin & BindPlugin> & Plugin;
