// /stats/summary: node and per-pod / per-container CPU and memory from CRI stats, in the
// shape of the kubelet's Summary API (the fields metrics consumers read).
import os from 'node:os';
import type { V1Pod } from '@kubernetes/client-node';
import type { CriClient } from '../cri/client.ts';
import * as L from '../runtime/labels.ts';

interface Usage {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}
interface Mem {
  time: string;
  workingSetBytes?: number;
  usageBytes?: number;
  rssBytes?: number;
  availableBytes?: number;
}

export interface Summary {
  node: { nodeName: string; startTime: string; cpu: Usage; memory: Mem };
  pods: {
    podRef: { name: string; namespace: string; uid: string };
    startTime?: string;
    containers: { name: string; startTime?: string; cpu: Usage; memory: Mem }[];
    cpu: Usage;
    memory: Mem;
  }[];
}

const num = (v: { value: string | number } | null | undefined) => (v ? Number(v.value) : undefined);

export async function statsSummary(nodeName: string, startTime: string, pods: V1Pod[], cri: CriClient | undefined): Promise<Summary> {
  const now = new Date().toISOString();
  const totalMem = os.totalmem();
  const summary: Summary = {
    node: {
      nodeName,
      startTime,
      cpu: { time: now, usageNanoCores: Math.round(os.loadavg()[0]! * 1e9) },
      memory: { time: now, workingSetBytes: totalMem - os.freemem(), availableBytes: os.freemem(), usageBytes: totalMem - os.freemem() },
    },
    pods: [],
  };
  const stats = cri ? await cri.listContainerStats({ labelSelector: { [L.MANAGED_BY]: L.MANAGED_BY_VALUE } }) : [];
  for (const pod of pods) {
    const uid = pod.metadata!.uid!;
    const containers = stats
      .filter((s) => s.attributes?.labels[L.POD_UID] === uid)
      .map((s) => ({
        name: s.attributes?.labels[L.CONTAINER_NAME] ?? s.attributes?.metadata?.name ?? '',
        cpu: { time: now, usageNanoCores: num(s.cpu?.usageNanoCores), usageCoreNanoSeconds: num(s.cpu?.usageCoreNanoSeconds) },
        memory: { time: now, workingSetBytes: num(s.memory?.workingSetBytes), usageBytes: num(s.memory?.usageBytes), rssBytes: num(s.memory?.rssBytes) },
      }));
    const sum = (f: (c: (typeof containers)[number]) => number | undefined) => containers.reduce((a, c) => a + (f(c) ?? 0), 0);
    summary.pods.push({
      podRef: { name: pod.metadata!.name!, namespace: pod.metadata!.namespace ?? 'default', uid },
      startTime: pod.status?.startTime as unknown as string | undefined,
      containers,
      cpu: { time: now, usageNanoCores: sum((c) => c.cpu.usageNanoCores), usageCoreNanoSeconds: sum((c) => c.cpu.usageCoreNanoSeconds) },
      memory: { time: now, workingSetBytes: sum((c) => c.memory.workingSetBytes), usageBytes: sum((c) => c.memory.usageBytes) },
    });
  }
  return summary;
}
