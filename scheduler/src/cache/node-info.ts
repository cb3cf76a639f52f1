// A node with the pods the scheduler knows on it (bound or assumed) and the sums its plugins
// need: requested resources, used host ports, images.
import type { V1Node, V1Taint } from '@kubernetes/client-node';
import type { Labels } from '../labels.ts';
import { addInto, emptyResources, readResourceList } from '../resources.ts';
import type { Resources } from '../resources.ts';
import type { HostPort, PodInfo } from './pod-info.ts';

/** An image name as the kubelet reports it: a tag is implied when absent. */
export function normalizedImageName(name: string): string {
  const lastSlash = name.lastIndexOf('/');
  const tail = name.slice(lastSlash + 1);
  if (name.includes('@') || tail.includes(':')) return name;
  return `${name}:latest`;
}

export class NodeInfo {
  readonly name: string;
  node?: V1Node;
  labels: Labels;
  taints: V1Taint[] = [];
  unschedulable = false;
  allocatable: Resources = emptyResources();
  allowedPodNumber = 0;
  /** image name -> size in bytes */
  images = new Map<string, number>();

  readonly pods = new Map<string, PodInfo>();
  requested: Resources = emptyResources();
  nonZeroCpu = 0;
  nonZeroMemory = 0;
  /** `${protocol}/${port}` -> host IP -> number of pods using it */
  readonly usedPorts = new Map<string, Map<string, number>>();
  /** pods that have pod affinity or anti-affinity terms (looked at by InterPodAffinity) */
  readonly podsWithAffinity = new Set<PodInfo>();
  readonly podsWithRequiredAntiAffinity = new Set<PodInfo>();
  /** bumped on every change, so that observers can tell a stale view */
  generation = 0;

  constructor(name: string) {
    this.name = name;
  }

  setNode(node: V1Node): void {
    this.node = node;
    this.labels = node.metadata?.labels;
    this.taints = node.spec?.taints ?? [];
    this.unschedulable = !!node.spec?.unschedulable;
    const alloc: Record<string, string> = (node.status?.allocatable ?? node.status?.capacity ?? {}) as any;
    this.allocatable = readResourceList(alloc);
    this.allowedPodNumber = alloc.pods !== undefined ? Number.parseInt(String(alloc.pods), 10) || 0 : 0;
    this.images = new Map();
    for (const img of node.status?.images ?? []) {
      for (const n of img.names ?? []) this.images.set(normalizedImageName(n), img.sizeBytes ?? 0);
    }
    this.generation++;
  }

  addPod(pi: PodInfo): void {
    const old = this.pods.get(pi.key);
    if (old) this.removePod(pi.key);
    this.pods.set(pi.key, pi);
    addInto(this.requested, pi.requests);
    this.nonZeroCpu += pi.nonZeroCpu;
    this.nonZeroMemory += pi.nonZeroMemory;
    for (const p of pi.hostPorts) this.updatePort(p, 1);
    if (pi.requiredAffinity.length || pi.requiredAntiAffinity.length || pi.preferredAffinity.length || pi.preferredAntiAffinity.length) {
      this.podsWithAffinity.add(pi);
    }
    if (pi.requiredAntiAffinity.length) this.podsWithRequiredAntiAffinity.add(pi);
    this.generation++;
  }

  removePod(key: string): PodInfo | undefined {
    const pi = this.pods.get(key);
    if (!pi) return undefined;
    this.pods.delete(key);
    addInto(this.requested, pi.requests, -1);
    this.nonZeroCpu -= pi.nonZeroCpu;
    this.nonZeroMemory -= pi.nonZeroMemory;
    for (const p of pi.hostPorts) this.updatePort(p, -1);
    this.podsWithAffinity.delete(pi);
    this.podsWithRequiredAntiAffinity.delete(pi);
    this.generation++;
    return pi;
  }

  private updatePort(p: HostPort, delta: number): void {
    const k = `${p.protocol}/${p.port}`;
    let byIp = this.usedPorts.get(k);
    if (!byIp) {
      byIp = new Map();
      this.usedPorts.set(k, byIp);
    }
    const n = (byIp.get(p.ip) ?? 0) + delta;
    if (n > 0) byIp.set(p.ip, n);
    else byIp.delete(p.ip);
    if (byIp.size === 0) this.usedPorts.delete(k);
  }

  /** 0.0.0.0 conflicts with every address on the same protocol and port, as Kubernetes' HostPortInfo does. */
  portConflicts(p: HostPort): boolean {
    const byIp = this.usedPorts.get(`${p.protocol}/${p.port}`);
    if (!byIp) return false;
    if (p.ip === '0.0.0.0') return byIp.size > 0;
    return byIp.has(p.ip) || byIp.has('0.0.0.0');
  }

  /** A copy to try "what if these pods were gone" on (preemption); the node object is shared. */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.node = this.node;
    c.labels = this.labels;
    c.taints = this.taints;
    c.unschedulable = this.unschedulable;
    c.allocatable = this.allocatable;
    c.allowedPodNumber = this.allowedPodNumber;
    c.images = this.images;
    for (const pi of this.pods.values()) c.addPod(pi);
    return c;
  }
}
