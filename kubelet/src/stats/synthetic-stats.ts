// A hollow node's Summary: no containers run, so every running container "uses" its
// requests times a factor (--hollow-usage-factor): CPU at a steady rate of factor x
// requests.cpu (cumulative since the container started, so rates computed from two scrapes
// agree with it) and a working set of factor x requests.memory. A container without
// requests uses nothing. The node is the sum of its pods. This is what lets autoscaling and
// the metrics pipeline be exercised at scale.
import type { V1Pod } from '@kubernetes/client-node';
import { millisOf, unitsOf } from '@skiff/common/apimachinery/quantity';
import { podTotals, type ContainerStats, type StatsProvider, type Summary } from './summary.ts';

export interface SyntheticStatsOptions {
  nodeName: string;
  startTime: string;
  pods: () => V1Pod[];
  /** usage as a fraction of requests */
  factor: number;
  now?: () => number;
}

export class SyntheticStatsProvider implements StatsProvider {
  private readonly o: SyntheticStatsOptions;

  constructor(o: SyntheticStatsOptions) {
    this.o = o;
  }

  async summary(): Promise<Summary> {
    const nowMs = (this.o.now ?? Date.now)();
    const time = new Date(nowMs).toISOString();
    const pods: Summary['pods'] = [];
    for (const pod of this.o.pods()) {
      if (pod.status?.phase !== 'Running') continue;
      const started = new Map((pod.status.containerStatuses ?? []).map((s) => [s.name, s.state?.running?.startedAt]));
      const containers: ContainerStats[] = [];
      for (const c of pod.spec?.containers ?? []) {
        const startedAt = started.get(c.name);
        if (!startedAt) continue;
        const startMs = new Date(startedAt as unknown as string).getTime();
        const nanoCores = Math.round(millisOf(c.resources?.requests?.cpu) * 1e6 * this.o.factor);
        const seconds = Math.max(0, (nowMs - startMs) / 1000);
        const workingSet = Math.round(unitsOf(c.resources?.requests?.memory) * this.o.factor);
        containers.push({
          name: c.name,
          startTime: new Date(startMs).toISOString(),
          cpu: { time, usageNanoCores: nanoCores, usageCoreNanoSeconds: Math.round(nanoCores * seconds) },
          memory: { time, workingSetBytes: workingSet, usageBytes: workingSet, rssBytes: workingSet },
        });
      }
      if (!containers.length) continue;
      pods.push({
        podRef: { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? 'default', uid: pod.metadata?.uid ?? '' },
        startTime: pod.status.startTime as unknown as string | undefined,
        containers,
        ...podTotals(time, containers),
      });
    }
    const node = podTotals(
      time,
      pods.map((p) => ({ name: p.podRef.name, cpu: p.cpu, memory: p.memory })),
    );
    return { node: { nodeName: this.o.nodeName, startTime: this.o.startTime, cpu: node.cpu, memory: node.memory }, pods };
  }
}
