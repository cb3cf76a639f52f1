// A real node's Summary: the running containers this kubelet made (CRI ListContainers),
// their CPU and memory from CRI ListContainerStats, and, for a figure containerd leaves out,
// the container's cgroup files (its path from the verbose ContainerStatus: the OCI spec's
// linux.cgroupsPath). Pods are the sums of their containers; the node comes from /proc, and
// the kubelet itself from its own process counters (systemContainers "kubelet").
import type { V1Pod } from '@kubernetes/client-node';
import type { CriClient } from '../cri/client.ts';
import type { ContainerStats as CriContainerStats } from '../cri/types.ts';
import * as L from '../runtime/labels.ts';
import { cgroupVersion, DEFAULT_CGROUP_ROOT, readCgroup, type CgroupUsage } from './cgroup.ts';
import { CpuRates } from './cpu-rates.ts';
import { nodeUsage } from './node-usage.ts';
import { podTotals, type ContainerStats, type PodStats, type StatsProvider, type Summary } from './summary.ts';

export interface CriStatsOptions {
  cri: CriClient;
  nodeName: string;
  startTime: string;
  /** the pods the kubelet runs, for their start times */
  pods: () => V1Pod[];
  cgroupRoot?: string;
  /** where the node's figures come from (tests point it elsewhere) */
  nodeUsage?: typeof nodeUsage;
}

interface ContainerFacts {
  cgroupPath: string;
  startedAt?: string;
}

const value = (v: { value: string | number } | null | undefined): number | undefined => {
  const n = v ? Number(v.value) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
};

/** CRI timestamps are int64 nanoseconds since the epoch. */
const nanosToIso = (ns: string | number | undefined): string | undefined => {
  const n = Number(ns);
  return n > 0 ? new Date(Math.floor(n / 1e6)).toISOString() : undefined;
};

export class CriStatsProvider implements StatsProvider {
  private readonly rates = new CpuRates();
  private readonly facts = new Map<string, ContainerFacts>();
  private readonly cgroupRoot: string;
  private readonly cgroupVersion: 1 | 2;
  private readonly o: CriStatsOptions;

  constructor(o: CriStatsOptions) {
    this.o = o;
    this.cgroupRoot = o.cgroupRoot ?? DEFAULT_CGROUP_ROOT;
    this.cgroupVersion = cgroupVersion(this.cgroupRoot);
  }

  async summary(): Promise<Summary> {
    const managed = { [L.MANAGED_BY]: L.MANAGED_BY_VALUE };
    const [running, stats] = await Promise.all([
      this.o.cri.listContainers({ state: { state: 'CONTAINER_RUNNING' }, labelSelector: managed }),
      this.o.cri.listContainerStats({ labelSelector: managed }),
    ]);
    const statsById = new Map(stats.filter((s) => s.attributes).map((s) => [s.attributes!.id, s]));
    const podStartTimes = new Map(this.o.pods().map((p) => [p.metadata?.uid ?? '', p.status?.startTime as unknown as string | undefined]));
    const byPod = new Map<string, PodStats>();
    for (const c of running) {
      const uid = c.labels[L.POD_UID];
      if (!uid) continue;
      const container = await this.containerStats(c.id, c.labels[L.CONTAINER_NAME] ?? c.metadata?.name ?? '', statsById.get(c.id));
      if (!container) continue;
      let pod = byPod.get(uid);
      if (!pod) {
        pod = {
          podRef: { name: c.labels[L.POD_NAME] ?? '', namespace: c.labels[L.POD_NAMESPACE] ?? '', uid },
          startTime: podStartTimes.get(uid),
          containers: [],
        };
        byPod.set(uid, pod);
      }
      pod.containers.push(container);
    }
    const alive = new Set(running.map((c) => c.id));
    this.rates.retain(new Set([...alive, 'node', 'kubelet']));
    for (const id of this.facts.keys()) if (!alive.has(id)) this.facts.delete(id);
    const now = new Date().toISOString();
    const pods = [...byPod.values()].map((p) => ({ ...p, ...podTotals(now, p.containers) }));
    return { node: this.nodeStats(), pods };
  }

  private async containerStats(id: string, name: string, cri: CriContainerStats | undefined): Promise<ContainerStats | undefined> {
    let coreNs = value(cri?.cpu?.usageCoreNanoSeconds);
    let workingSet = value(cri?.memory?.workingSetBytes);
    let usage = value(cri?.memory?.usageBytes);
    let rss = value(cri?.memory?.rssBytes);
    const facts = await this.factsOf(id);
    let atMs = cri?.cpu?.timestamp ? Math.floor(Number(cri.cpu.timestamp) / 1e6) : Date.now();
    if (coreNs === undefined || workingSet === undefined) {
      // containerd left a figure out: read the cgroup it put the container in
      const cg: CgroupUsage | undefined = facts ? readCgroup(facts.cgroupPath, this.cgroupRoot, this.cgroupVersion) : undefined;
      if (!cg) return undefined;
      atMs = Date.now();
      coreNs ??= cg.cpuUsageCoreNanoSeconds;
      workingSet ??= cg.memoryWorkingSetBytes;
      usage ??= cg.memoryUsageBytes;
      rss ??= cg.memoryRssBytes;
    }
    const time = new Date(atMs).toISOString();
    const nanoCores = this.rates.rate(id, coreNs, atMs);
    return {
      name,
      startTime: facts?.startedAt,
      cpu: { time, usageCoreNanoSeconds: coreNs, ...(nanoCores !== undefined ? { usageNanoCores: nanoCores } : {}) },
      memory: { time, workingSetBytes: workingSet, ...(usage !== undefined ? { usageBytes: usage } : {}), ...(rss !== undefined ? { rssBytes: rss } : {}) },
    };
  }

  /** The container's cgroup and start time, asked once per container. */
  private async factsOf(id: string): Promise<ContainerFacts | undefined> {
    const known = this.facts.get(id);
    if (known) return known;
    const st = await this.o.cri.containerStatus(id, true).catch(() => undefined);
    if (!st?.status) return undefined;
    let cgroupPath = '';
    try {
      const info = JSON.parse(st.info.info ?? '{}') as { runtimeSpec?: { linux?: { cgroupsPath?: string } } };
      cgroupPath = info.runtimeSpec?.linux?.cgroupsPath ?? '';
    } catch {
      // no verbose info: containerd's default place for a CRI container without a cgroup parent
    }
    const facts = { cgroupPath: cgroupPath || `/k8s.io/${id}`, startedAt: nanosToIso(st.status.startedAt) };
    this.facts.set(id, facts);
    return facts;
  }

  private nodeStats(): Summary['node'] {
    const atMs = Date.now();
    const time = new Date(atMs).toISOString();
    const n = (this.o.nodeUsage ?? nodeUsage)();
    const nodeRate = this.rates.rate('node', n.cpuUsageCoreNanoSeconds, atMs);
    const self = process.cpuUsage();
    const selfNs = (self.user + self.system) * 1000;
    const selfRate = this.rates.rate('kubelet', selfNs, atMs);
    const rss = process.memoryUsage.rss();
    return {
      nodeName: this.o.nodeName,
      startTime: this.o.startTime,
      cpu: { time, usageCoreNanoSeconds: n.cpuUsageCoreNanoSeconds, ...(nodeRate !== undefined ? { usageNanoCores: nodeRate } : {}) },
      memory: { time, usageBytes: n.memoryUsageBytes, workingSetBytes: n.memoryWorkingSetBytes, availableBytes: n.memoryAvailableBytes },
      systemContainers: [
        {
          name: 'kubelet',
          startTime: this.o.startTime,
          cpu: { time, usageCoreNanoSeconds: selfNs, ...(selfRate !== undefined ? { usageNanoCores: selfRate } : {}) },
          memory: { time, workingSetBytes: rss, rssBytes: rss },
        },
      ],
    };
  }
}
