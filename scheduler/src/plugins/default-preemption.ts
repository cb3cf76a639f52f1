// DefaultPreemption (PostFilter): when no node fits, find nodes where evicting pods of lower
// priority would make room, keep as many of them as still fit (highest priority first), pick
// the node whose victims matter least, evict them and nominate the node for the pod.
import type { ClusterView, PostFilterPlugin } from '../framework/interface.ts';
import { CycleState } from '../framework/interface.ts';
import type { Framework } from '../framework/framework.ts';
import { Status, unresolvable, unschedulable } from '../framework/status.ts';
import type { NodeInfo } from '../cache/node-info.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import { reasonsHistogram } from '../fit-error.ts';

export const errReasonNotHelpful = 'Preemption is not helpful for scheduling';
export const errReasonNoVictims = 'No preemption victims found for incoming pod';

export interface PreemptionDeps {
  framework(pod: PodInfo): Framework;
  /** deletes the victim; the pod informer then frees its resources */
  evict(victim: PodInfo, preemptor: PodInfo, nodeName: string): Promise<void>;
}

export interface Candidate {
  node: NodeInfo;
  victims: PodInfo[];
}

/** A view in which one node is replaced by a what-if copy. */
function viewWith(view: ClusterView, replaced: NodeInfo): ClusterView {
  const nodes = view.nodes().map((n) => (n.name === replaced.name ? replaced : n));
  return {
    ...view,
    nodes: () => nodes,
    node: (name) => (name === replaced.name ? replaced : view.node(name)),
    nodesWithAffinityPods: () => nodes.filter((n) => n.podsWithAffinity.size > 0),
  };
}

function fits(fw: Framework, pod: PodInfo, node: NodeInfo, view: ClusterView): Status | null {
  const v = viewWith(view, node);
  const state = new CycleState();
  const pre = fw.runPreFilter(state, pod, v);
  if (pre.status) return pre.status;
  if (pre.nodeNames && !pre.nodeNames.has(node.name)) return unresolvable('node(s) not in the pre-filter result');
  return fw.runFilter(state, pod, node, v);
}

const startTime = (p: PodInfo) => new Date((p.pod.status as any)?.startTime ?? p.pod.metadata?.creationTimestamp ?? 0).getTime();

/** Kubernetes' SelectVictimsOnNode: the fewest lower-priority pods whose removal lets `pod` fit. */
export function selectVictimsOnNode(fw: Framework, pod: PodInfo, node: NodeInfo, view: ClusterView): { victims?: PodInfo[]; status?: Status } {
  const whatIf = node.clone();
  const potential = [...node.pods.values()].filter((p) => p.priority < pod.priority);
  if (potential.length === 0) return { status: unresolvable(errReasonNoVictims) };
  for (const p of potential) whatIf.removePod(p.key);
  const s = fits(fw, pod, whatIf, view);
  if (s) return { status: s };
  // reprieve as many as possible, the most important first
  potential.sort((a, b) => b.priority - a.priority || startTime(a) - startTime(b));
  const victims: PodInfo[] = [];
  for (const p of potential) {
    whatIf.addPod(p);
    if (fits(fw, pod, whatIf, view)) {
      whatIf.removePod(p.key);
      victims.push(p);
    }
  }
  return { victims };
}

/** Kubernetes' pickOneNodeForPreemption without PDBs: lowest top victim, lowest sum, fewest, latest start. */
export function pickCandidate(cands: Candidate[]): Candidate | undefined {
  const shift = 2 ** 31; // priorities can be negative: make every one count as positive
  const key = (c: Candidate) => {
    const top = Math.max(...c.victims.map((v) => v.priority));
    const sum = c.victims.reduce((a, v) => a + v.priority + shift, 0);
    const latestTopStart = Math.min(...c.victims.filter((v) => v.priority === top).map(startTime));
    return [top, sum, c.victims.length, -latestTopStart];
  };
  const lexLess = (a: number[], b: number[]) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
    return false;
  };
  let best: Candidate | undefined;
  let bestKey: number[] = [];
  for (const c of cands) {
    const k = key(c);
    if (!best || lexLess(k, bestKey)) {
      best = c;
      bestKey = k;
    }
  }
  return best;
}

export function defaultPreemption(deps: PreemptionDeps): PostFilterPlugin {
  return {
    name: 'DefaultPreemption',
    async postFilter(_state, pod, filtered, view) {
      const spec: any = pod.pod.spec ?? {};
      if (spec.preemptionPolicy === 'Never') {
        return { status: unschedulable('preemption: not eligible due to preemptionPolicy=Never.') };
      }
      const nominated = (pod.pod.status as any)?.nominatedNodeName;
      if (nominated) {
        const n = view.node(nominated);
        const terminating = n && [...n.pods.values()].some((p) => p.pod.metadata?.deletionTimestamp && p.priority < pod.priority);
        if (terminating) return { status: unschedulable('preemption: not eligible due to a terminating pod on the nominated node.') };
      }
      const fw = deps.framework(pod);
      const statuses = new Map<string, Status>();
      const candidates: Candidate[] = [];
      for (const node of view.nodes()) {
        const s = filtered.get(node.name);
        if (!s || s.code === 'UnschedulableAndUnresolvable') {
          statuses.set(node.name, unresolvable(errReasonNotHelpful));
          continue;
        }
        const r = selectVictimsOnNode(fw, pod, node, view);
        if (r.victims?.length) candidates.push({ node, victims: r.victims });
        else statuses.set(node.name, r.status ?? unresolvable(errReasonNoVictims));
      }
      const best = pickCandidate(candidates);
      if (!best) {
        const n = view.nodes().length;
        return { nominatedNodeName: '', status: unschedulable(`preemption: 0/${n} nodes are available: ${reasonsHistogram(statuses)}.`) };
      }
      await Promise.all(best.victims.map((v) => deps.evict(v, pod, best.node.name)));
      return { nominatedNodeName: best.node.name, status: new Status('Success'), victims: best.victims.length };
    },
  };
}
