// The last two points of every node and container, in memory, as metrics-server keeps them:
// CPU usage is the rate between the two (its window is the time between them), memory the
// last working set. A node or container seen once has no rate yet and is not reported. A
// counter that went backwards, or a new container start time, starts the series over. Each
// scrape of a node replaces what is known of that node's pods, so pods that left it go away;
// a node that failed a scrape cycle, or is gone, is forgotten (retainNodes).
import type { NodeScrape, Point } from './decode.ts';

interface Series {
  prev?: Point;
  last: Point;
}

export interface Usage {
  /** nanocores */
  cpu: number;
  /** bytes */
  memory: number;
  timestampMs: number;
  windowMs: number;
}

export interface PodUsage {
  namespace: string;
  name: string;
  timestampMs: number;
  windowMs: number;
  containers: { name: string; usage: Usage }[];
}

interface NodeEntry {
  node?: Series;
  pods: Map<string, Map<string, Series>>;
}

function advance(old: Series | undefined, p: Point): Series {
  if (!old) return { last: p };
  // the kubelet served the same sample again: nothing new
  if (p.timestampMs <= old.last.timestampMs) return old;
  const restarted =
    p.cpuSeconds < old.last.cpuSeconds || (p.startTimeMs !== undefined && old.last.startTimeMs !== undefined && p.startTimeMs !== old.last.startTimeMs);
  return restarted ? { last: p } : { prev: old.last, last: p };
}

export function usageOf(s: Series | undefined): Usage | undefined {
  if (!s?.prev) return undefined;
  const windowMs = s.last.timestampMs - s.prev.timestampMs;
  if (windowMs <= 0) return undefined;
  const cpu = Math.max(0, Math.round(((s.last.cpuSeconds - s.prev.cpuSeconds) / (windowMs / 1000)) * 1e9));
  return { cpu, memory: Math.round(s.last.memoryBytes), timestampMs: s.last.timestampMs, windowMs };
}

export class MetricsStorage {
  private readonly nodes = new Map<string, NodeEntry>();
  /** "namespace/pod" -> the node whose scrape last reported it */
  private readonly podNodes = new Map<string, string>();

  store(nodeName: string, scrape: NodeScrape): void {
    const old = this.nodes.get(nodeName);
    const pods = new Map<string, Map<string, Series>>();
    for (const [key, containers] of scrape.pods) {
      const before = old?.pods.get(key);
      const series = new Map<string, Series>();
      for (const [name, p] of containers) series.set(name, advance(before?.get(name), p));
      pods.set(key, series);
      this.podNodes.set(key, nodeName);
    }
    if (old) for (const key of old.pods.keys()) if (!pods.has(key) && this.podNodes.get(key) === nodeName) this.podNodes.delete(key);
    this.nodes.set(nodeName, { node: scrape.node ? advance(old?.node, scrape.node) : undefined, pods });
  }

  /** Forgets every node not in `names` (failed this cycle, or deleted). */
  retainNodes(names: Set<string>): void {
    for (const [name, entry] of this.nodes) {
      if (names.has(name)) continue;
      for (const key of entry.pods.keys()) if (this.podNodes.get(key) === name) this.podNodes.delete(key);
      this.nodes.delete(name);
    }
  }

  nodeUsage(name: string): Usage | undefined {
    return usageOf(this.nodes.get(name)?.node);
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  podUsage(namespace: string, name: string): PodUsage | undefined {
    const key = `${namespace}/${name}`;
    const node = this.podNodes.get(key);
    const containers = node ? this.nodes.get(node)?.pods.get(key) : undefined;
    if (!containers?.size) return undefined;
    const out: PodUsage = { namespace, name, timestampMs: 0, windowMs: 0, containers: [] };
    for (const [cname, s] of containers) {
      const usage = usageOf(s);
      // a pod is reported only when every container has a rate, as metrics-server does
      if (!usage) return undefined;
      out.containers.push({ name: cname, usage });
      out.timestampMs = Math.max(out.timestampMs, usage.timestampMs);
      out.windowMs = Math.max(out.windowMs, usage.windowMs);
    }
    out.containers.sort((a, b) => a.name.localeCompare(b.name));
    return out;
  }

  /** Every pod with usage, in `namespace` or all of them. */
  pods(namespace?: string): PodUsage[] {
    const out: PodUsage[] = [];
    for (const key of this.podNodes.keys()) {
      const slash = key.indexOf('/');
      const ns = key.slice(0, slash);
      if (namespace && ns !== namespace) continue;
      const u = this.podUsage(ns, key.slice(slash + 1));
      if (u) out.push(u);
    }
    return out;
  }

  get podCount(): number {
    return this.podNodes.size;
  }
}
