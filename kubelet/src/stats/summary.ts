// The kubelet's Summary API (/stats/summary, stats/v1alpha1), the CPU and memory part that
// metrics consumers read. Field names as in k8s.io/kubelet/pkg/apis/stats/v1alpha1.

export interface CpuStats {
  time: string;
  /** a rate over the interval since the previous sample; absent on the first one */
  usageNanoCores?: number;
  /** cumulative, since the container (or node) started */
  usageCoreNanoSeconds?: number;
}

export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  /** usage less inactive file pages: what the kubelet evicts on and metrics-server reports */
  workingSetBytes?: number;
  rssBytes?: number;
}

export interface ContainerStats {
  name: string;
  startTime?: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface PodStats {
  podRef: { name: string; namespace: string; uid: string };
  startTime?: string;
  containers: ContainerStats[];
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface NodeStats {
  nodeName: string;
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
  /** the kubelet itself, as systemContainers name "kubelet" */
  systemContainers?: ContainerStats[];
}

export interface Summary {
  node: NodeStats;
  pods: PodStats[];
}

/** What serves a node's Summary: containerd's figures on a real node, synthetic ones on a hollow node. */
export interface StatsProvider {
  summary(): Promise<Summary>;
}

/** The pod's figures as the sum of its containers' (CPU and working set add up; absent stays absent). */
export function podTotals(time: string, containers: ContainerStats[]): { cpu?: CpuStats; memory?: MemoryStats } {
  const sum = (pick: (c: ContainerStats) => number | undefined): number | undefined => {
    let total: number | undefined;
    for (const c of containers) {
      const v = pick(c);
      if (v !== undefined) total = (total ?? 0) + v;
    }
    return total;
  };
  const cpu: CpuStats = { time };
  const coreNs = sum((c) => c.cpu?.usageCoreNanoSeconds);
  const nanoCores = sum((c) => c.cpu?.usageNanoCores);
  if (coreNs !== undefined) cpu.usageCoreNanoSeconds = coreNs;
  if (nanoCores !== undefined) cpu.usageNanoCores = nanoCores;
  const memory: MemoryStats = { time };
  const ws = sum((c) => c.memory?.workingSetBytes);
  const usage = sum((c) => c.memory?.usageBytes);
  const rss = sum((c) => c.memory?.rssBytes);
  if (ws !== undefined) memory.workingSetBytes = ws;
  if (usage !== undefined) memory.usageBytes = usage;
  if (rss !== undefined) memory.rssBytes = rss;
  return { cpu, memory };
}
