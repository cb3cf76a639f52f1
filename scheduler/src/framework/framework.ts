// Runs a profile's plugins at each extension point. Filters stop at the first plugin that
// rejects a node; scores are normalised per plugin, weighted and summed.
import type { NodeInfo } from '../cache/node-info.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import type {
  AnyPlugin,
  BindPlugin,
  ClusterView,
  CycleState,
  FilterPlugin,
  NodeScore,
  PostFilterPlugin,
  PostFilterResult,
  PreFilterPlugin,
  PreScorePlugin,
  ReservePlugin,
  ScorePlugin,
} from './interface.ts';
import { Status, errorStatus } from './status.ts';

export interface WeightedScorePlugin {
  plugin: ScorePlugin;
  weight: number;
}

export interface FrameworkPlugins {
  preFilter: PreFilterPlugin[];
  filter: FilterPlugin[];
  postFilter: PostFilterPlugin[];
  preScore: PreScorePlugin[];
  score: WeightedScorePlugin[];
  reserve: ReservePlugin[];
  bind: BindPlugin[];
}

export interface PreFilterOutcome {
  status?: Status;
  nodeNames?: Set<string>;
}

export class Framework {
  readonly schedulerName: string;
  readonly plugins: FrameworkPlugins;
  readonly percentageOfNodesToScore: number;

  constructor(schedulerName: string, plugins: FrameworkPlugins, percentageOfNodesToScore = 0) {
    this.schedulerName = schedulerName;
    this.plugins = plugins;
    this.percentageOfNodesToScore = percentageOfNodesToScore;
  }

  runPreFilter(state: CycleState, pod: PodInfo, view: ClusterView): PreFilterOutcome {
    let nodeNames: Set<string> | undefined;
    for (const p of this.plugins.preFilter) {
      const r = p.preFilter(state, pod, view);
      if (r === null) continue;
      if (r instanceof Status) {
        if (r.code === 'Skip') {
          state.skipFilter.add(p.name);
          continue;
        }
        if (r.isSuccess()) continue;
        return { status: r.withPlugin(p.name) };
      }
      if (r.nodeNames) nodeNames = nodeNames ? new Set([...nodeNames].filter((n) => r.nodeNames!.has(n))) : r.nodeNames;
    }
    return { nodeNames };
  }

  /** null when the node fits. */
  runFilter(state: CycleState, pod: PodInfo, node: NodeInfo, view: ClusterView): Status | null {
    for (const p of this.plugins.filter) {
      if (state.skipFilter.has(p.name)) continue;
      const s = p.filter(state, pod, node, view);
      if (s && !s.isSuccess()) return s.withPlugin(p.name);
    }
    return null;
  }

  async runPostFilter(state: CycleState, pod: PodInfo, filtered: Map<string, Status>, view: ClusterView): Promise<PostFilterResult | undefined> {
    let last: PostFilterResult | undefined;
    for (const p of this.plugins.postFilter) {
      const r = await p.postFilter(state, pod, filtered, view);
      if (r.status.isSuccess()) return r;
      last = r;
    }
    return last;
  }

  /** Total weighted score per node, in the order of `nodes`. */
  runScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], view: ClusterView): number[] {
    const totals = new Array<number>(nodes.length).fill(0);
    for (const p of this.plugins.preScore) {
      const s = p.preScore(state, pod, nodes, view);
      if (s?.code === 'Skip') state.skipScore.add(p.name);
    }
    for (const { plugin, weight } of this.plugins.score) {
      if (state.skipScore.has(plugin.name)) continue;
      const scores: NodeScore[] = nodes.map((node) => ({ node, score: plugin.score(state, pod, node, view) }));
      plugin.normalizeScore?.(state, pod, scores);
      for (let i = 0; i < scores.length; i++) totals[i]! += scores[i]!.score * weight;
    }
    return totals;
  }

  runReserve(state: CycleState, pod: PodInfo, nodeName: string): Status | null {
    for (let i = 0; i < this.plugins.reserve.length; i++) {
      const s = this.plugins.reserve[i]!.reserve(state, pod, nodeName);
      if (s && !s.isSuccess()) {
        for (let j = i; j >= 0; j--) this.plugins.reserve[j]!.unreserve(state, pod, nodeName);
        return s.withPlugin(this.plugins.reserve[i]!.name);
      }
    }
    return null;
  }

  runUnreserve(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (let j = this.plugins.reserve.length - 1; j >= 0; j--) this.plugins.reserve[j]!.unreserve(state, pod, nodeName);
  }

  async runBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | null> {
    for (const p of this.plugins.bind) {
      const s = await p.bind(state, pod, nodeName);
      if (s?.code === 'Skip') continue;
      return s ? s.withPlugin(p.name) : null;
    }
    return errorStatus('no bind plugin bound the pod');
  }
}

export function implementsPoint(p: AnyPlugin, point: keyof FrameworkPlugins): boolean {
  switch (point) {
    case 'preFilter':
      return typeof p.preFilter === 'function';
    case 'filter':
      return typeof p.filter === 'function';
    case 'postFilter':
      return typeof p.postFilter === 'function';
    case 'preScore':
      return typeof p.preScore === 'function';
    case 'score':
      return typeof p.score === 'function';
    case 'reserve':
      return typeof p.reserve === 'function';
    case 'bind':
      return typeof p.bind === 'function';
  }
}
