// The scheduler's view of the cluster: nodes with the pods on them, including pods it has
// assumed onto a node while their binding is still in flight, so the next pod sees the
// capacity as taken.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Labels } from '../labels.ts';
import { NodeInfo } from './node-info.ts';
import { newPodInfo, podKey } from './pod-info.ts';
import type { PodInfo } from './pod-info.ts';

interface PodState {
  info: PodInfo;
  nodeName: string;
  assumed: boolean;
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  /** nodes that exist as Node objects, in a stable order for round-robin sampling */
  private nodeList: NodeInfo[] = [];
  private readonly podStates = new Map<string, PodState>();
  /** image -> number of nodes that have it (ImageLocality spreads by it) */
  readonly imageNodeCount = new Map<string, number>();
  private readonly namespaces = new Map<string, Labels>();
  /** nodes holding pods with affinity terms, so topology plugins need not visit every node */
  private readonly affinityNodes = new Set<NodeInfo>();

  nodesWithAffinityPods(): Iterable<NodeInfo> {
    return [...this.affinityNodes].filter((n) => n.node);
  }

  private trackAffinity(ni: NodeInfo): void {
    if (ni.podsWithAffinity.size > 0) this.affinityNodes.add(ni);
    else this.affinityNodes.delete(ni);
  }

  /** Every node with a Node object; do not mutate the array. */
  listNodes(): readonly NodeInfo[] {
    return this.nodeList;
  }
  nodeCount(): number {
    return this.nodeList.length;
  }
  getNode(name: string): NodeInfo | undefined {
    const n = this.nodes.get(name);
    return n?.node ? n : undefined;
  }

  namespaceLabels = (ns: string): Labels => this.namespaces.get(ns);
  setNamespace(name: string, labels: Labels): void {
    this.namespaces.set(name, labels);
  }
  removeNamespace(name: string): void {
    this.namespaces.delete(name);
  }

  private nodeInfoFor(name: string): NodeInfo {
    let n = this.nodes.get(name);
    if (!n) {
      n = new NodeInfo(name);
      this.nodes.set(name, n);
    }
    return n;
  }

  addOrUpdateNode(node: V1Node): NodeInfo {
    const name = node.metadata?.name ?? '';
    const ni = this.nodeInfoFor(name);
    const isNew = !ni.node;
    if (!isNew) this.countImages(ni, -1);
    ni.setNode(node);
    this.countImages(ni, 1);
    if (isNew) this.nodeList.push(ni);
    return ni;
  }

  removeNode(name: string): void {
    const ni = this.nodes.get(name);
    if (!ni?.node) return;
    this.countImages(ni, -1);
    ni.node = undefined;
    this.nodeList = this.nodeList.filter((n) => n !== ni);
    // pods still listed on it keep a placeholder until their deletion arrives, as Kubernetes does
    if (ni.pods.size === 0) this.nodes.delete(name);
  }

  private countImages(ni: NodeInfo, delta: number): void {
    for (const img of ni.images.keys()) {
      const n = (this.imageNodeCount.get(img) ?? 0) + delta;
      if (n > 0) this.imageNodeCount.set(img, n);
      else this.imageNodeCount.delete(img);
    }
  }

  /** Puts a pod on a node before its binding is confirmed. */
  assumePod(info: PodInfo, nodeName: string): void {
    if (this.podStates.has(info.key)) throw new Error(`pod ${info.key} is already in the cache`);
    const ni = this.nodeInfoFor(nodeName);
    ni.addPod(info);
    this.trackAffinity(ni);
    this.podStates.set(info.key, { info, nodeName, assumed: true });
  }

  /** Undoes assumePod after a failed binding. */
  forgetPod(key: string): void {
    const st = this.podStates.get(key);
    if (!st?.assumed) return;
    this.removeFromNode(key, st.nodeName);
    this.podStates.delete(key);
  }

  isAssumed(key: string): boolean {
    return this.podStates.get(key)?.assumed === true;
  }
  /** Bound or assumed. */
  hasPod(key: string): boolean {
    return this.podStates.has(key);
  }
  nodeOfPod(key: string): string | undefined {
    return this.podStates.get(key)?.nodeName;
  }

  /** A pod with spec.nodeName seen through the informer: confirms an assumption or adds it. */
  addOrUpdateBoundPod(pod: V1Pod): void {
    const key = podKey(pod);
    const nodeName = pod.spec?.nodeName ?? '';
    const st = this.podStates.get(key);
    if (st) this.removeFromNode(key, st.nodeName);
    // confirming our own assumption: same pod, same requests, no need to recompute them
    const reuse = st?.assumed && st.nodeName === nodeName && st.info.uid === pod.metadata?.uid;
    const info = reuse ? { ...st.info, pod, labels: pod.metadata?.labels } : newPodInfo(pod);
    const ni = this.nodeInfoFor(nodeName);
    ni.addPod(info);
    this.trackAffinity(ni);
    this.podStates.set(key, { info, nodeName, assumed: false });
  }

  removePod(key: string): PodInfo | undefined {
    const st = this.podStates.get(key);
    if (!st) return undefined;
    this.removeFromNode(key, st.nodeName);
    this.podStates.delete(key);
    return st.info;
  }

  private removeFromNode(key: string, nodeName: string): void {
    const ni = this.nodes.get(nodeName);
    if (!ni) return;
    ni.removePod(key);
    this.trackAffinity(ni);
    if (!ni.node && ni.pods.size === 0) {
      this.nodes.delete(nodeName);
      this.affinityNodes.delete(ni);
    }
  }

  podCount(): number {
    return this.podStates.size;
  }
}
