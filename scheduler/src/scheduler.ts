// The scheduling loop: pop the most important pending pod, filter a sample of nodes, score
// the feasible ones, assume the pod on the best node and bind it in the background while the
// next pod is scheduled. Failures get a FailedScheduling event, a PodScheduled=False
// condition and, through DefaultPreemption, maybe a nominated node.
import type { V1Node, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { EventRecorder } from '@skiff/common';
import type { EventObject, EventSink, Logger } from '@skiff/common';
import { SchedulerCache } from './cache/cache.ts';
import type { NodeInfo } from './cache/node-info.ts';
import { newPodInfo, podKey } from './cache/pod-info.ts';
import type { PodInfo } from './cache/pod-info.ts';
import { CycleState } from './framework/interface.ts';
import type { ClusterView } from './framework/interface.ts';
import type { Framework } from './framework/framework.ts';
import { buildFrameworks } from './framework/profile.ts';
import type { SchedulerConfig } from './framework/profile.ts';
import { unresolvable } from './framework/status.ts';
import type { Status } from './framework/status.ts';
import { FitError } from './fit-error.ts';
import { numFeasibleNodesToFind } from './node-sampling.ts';
import { SchedulingQueue } from './queue/scheduling-queue.ts';
import { VolumeView } from './volumes.ts';
import type { QueuedPod, QueueOptions } from './queue/scheduling-queue.ts';
import type { SchedulerMetrics } from './metrics.ts';

/** What the scheduler writes to the cluster (SchedulerApi in production). */
export interface SchedulerWriter {
  bind(pod: PodInfo, nodeName: string): Promise<void>;
  updatePodStatus(pod: PodInfo, condition: V1PodCondition, nominatedNodeName?: string): Promise<void>;
  deletePod(pod: PodInfo): Promise<void>;
  /** Events (Scheduled, FailedScheduling, Preempted) go here; repeats become counts */
  readonly eventSink: EventSink;
}

export interface SchedulerOptions {
  writer: SchedulerWriter;
  log: Logger;
  config?: SchedulerConfig;
  /** this scheduler's default profile name */
  schedulerName?: string;
  /** this process's identity (reportingInstance of its events) */
  instance?: string;
  percentageOfNodesToScore?: number;
  metrics?: SchedulerMetrics;
  queue?: QueueOptions;
  /** bindings allowed in flight at once */
  maxInFlightBinds?: number;
  /** filtering yields to the event loop after this long */
  timeSliceMs?: number;
}

const podRef = (pi: PodInfo): EventObject => ({ apiVersion: 'v1', kind: 'Pod', name: pi.name, namespace: pi.namespace, uid: pi.uid });

const topologyPlugins = new Set(['InterPodAffinity', 'PodTopologySpread']);
const isTerminal = (pod: V1Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly volumes = new VolumeView();
  readonly queue: SchedulingQueue;
  readonly frameworks: Map<string, Framework>;
  private readonly writer: SchedulerWriter;
  private readonly log: Logger;
  private readonly metrics?: SchedulerMetrics;
  private readonly events: EventRecorder;
  private readonly maxInFlightBinds: number;
  private readonly timeSliceMs: number;
  private inFlightBinds = 0;
  private bindSlotWaiter?: () => void;
  private nextStartNodeIndex = 0;
  private running = false;
  /** pods nominated to a node by preemption: node -> pod key -> pod */
  private readonly nominated = new Map<string, Map<string, PodInfo>>();
  private readonly nominatedNodeOf = new Map<string, string>();
  readonly view: ClusterView;
  /** for tests and the benchmark */
  onBound?: (pod: PodInfo, nodeName: string, queuedMs: number) => void;

  constructor(o: SchedulerOptions) {
    this.writer = o.writer;
    this.log = o.log;
    this.metrics = o.metrics;
    this.maxInFlightBinds = o.maxInFlightBinds ?? 64;
    this.timeSliceMs = o.timeSliceMs ?? 10;
    this.queue = new SchedulingQueue(o.queue);
    this.events = new EventRecorder(o.writer.eventSink, {
      component: o.schedulerName ?? 'default-scheduler',
      instance: o.instance,
      log: o.log,
    });
    this.view = {
      nodes: () => this.cache.listNodes(),
      node: (name) => this.cache.getNode(name),
      namespaceLabels: this.cache.namespaceLabels,
      imageNodeCount: (img) => this.cache.imageNodeCount.get(img) ?? 0,
      nodesWithAffinityPods: () => this.cache.nodesWithAffinityPods(),
    };
    this.frameworks = buildFrameworks(
      o.config ?? {},
      {
        bind: (pod, node) => this.writer.bind(pod, node),
        volumes: this.volumes,
        evict: (victim, preemptor, node) => this.evict(victim, preemptor, node),
        framework: (pod) => this.frameworks.get(pod.pod.spec?.schedulerName || 'default-scheduler')!,
      },
      o.schedulerName ?? 'default-scheduler',
      o.percentageOfNodesToScore,
    );
    if (this.metrics) this.queue.onChange = () => this.reportQueueSizes();
  }

  private reportQueueSizes(): void {
    const s = this.queue.sizes();
    for (const [q, n] of Object.entries(s)) this.metrics!.pendingPods.set({ queue: q }, n);
  }

  private responsibleFor(pod: V1Pod): boolean {
    return this.frameworks.has(pod.spec?.schedulerName || 'default-scheduler');
  }

  // ---------------- informer events ----------------

  onPodAdd = (pod: V1Pod): void => this.onPodUpdate(pod);

  onPodUpdate = (pod: V1Pod): void => {
    const key = podKey(pod);
    if (isTerminal(pod)) {
      this.onPodDelete(pod);
      return;
    }
    if (pod.spec?.nodeName) {
      const wasKnown = this.cache.hasPod(key) && !this.cache.isAssumed(key);
      this.cache.addOrUpdateBoundPod(pod);
      this.queue.delete(key);
      this.clearNomination(key);
      // a new neighbour can satisfy affinity or change spreading; capacity only shrank
      if (!wasKnown) this.queue.moveAllToActiveOrBackoff((p) => [...p.unschedulablePlugins].some((n) => topologyPlugins.has(n)));
      return;
    }
    if (!this.responsibleFor(pod) || pod.metadata?.deletionTimestamp) {
      this.queue.delete(key);
      return;
    }
    if ((pod.spec?.schedulingGates ?? []).length) {
      this.queue.delete(key);
      return;
    }
    if (this.cache.isAssumed(key)) return; // binding in flight; the bound version follows
    const nominated = (pod.status as any)?.nominatedNodeName as string | undefined;
    this.queue.add(pod);
    if (nominated) this.nominate(newPodInfo(pod), nominated);
    else this.clearNomination(key);
  };

  onPodDelete = (pod: V1Pod): void => {
    const key = podKey(pod);
    this.queue.delete(key);
    this.clearNomination(key);
    const wasBound = this.cache.hasPod(key) && !this.cache.isAssumed(key);
    if (wasBound) {
      this.cache.removePod(key);
      this.queue.moveAllToActiveOrBackoff();
    }
  };

  onNodeAdd = (node: V1Node): void => {
    this.cache.addOrUpdateNode(node);
    this.queue.moveAllToActiveOrBackoff();
  };

  onNodeUpdate = (node: V1Node): void => {
    const before = this.cache.getNode(node.metadata?.name ?? '');
    const old = before?.node;
    this.cache.addOrUpdateNode(node);
    // heartbeats change only status.conditions: no reason to wake parked pods for those
    if (
      !old ||
      JSON.stringify([old.spec, old.metadata?.labels, old.status?.allocatable]) !== JSON.stringify([node.spec, node.metadata?.labels, node.status?.allocatable])
    ) {
      this.queue.moveAllToActiveOrBackoff();
    }
  };

  onNodeDelete = (node: V1Node): void => {
    this.cache.removeNode(node.metadata?.name ?? '');
  };

  // ---------------- nominated pods ----------------

  private nominate(info: PodInfo, nodeName: string): void {
    this.clearNomination(info.key);
    if (!nodeName) return;
    let m = this.nominated.get(nodeName);
    if (!m) {
      m = new Map();
      this.nominated.set(nodeName, m);
    }
    m.set(info.key, info);
    this.nominatedNodeOf.set(info.key, nodeName);
  }

  private clearNomination(key: string): void {
    const n = this.nominatedNodeOf.get(key);
    if (n === undefined) return;
    this.nominatedNodeOf.delete(key);
    const m = this.nominated.get(n);
    m?.delete(key);
    if (m && m.size === 0) this.nominated.delete(n);
  }

  /** Filters a node as if the pods nominated to it with at least this priority were there. */
  private filterNode(fw: Framework, state: CycleState, pod: PodInfo, node: NodeInfo): Status | null {
    const nominated = this.nominated.get(node.name);
    if (nominated) {
      let withNominated: NodeInfo | undefined;
      for (const [k, np] of nominated) {
        if (k === pod.key || np.priority < pod.priority) continue;
        withNominated ??= node.clone();
        withNominated.addPod(np);
      }
      if (withNominated) {
        const s = fw.runFilter(state, pod, withNominated, this.view);
        if (s) return s;
      }
    }
    return fw.runFilter(state, pod, node, this.view);
  }

  // ---------------- the loop ----------------

  async run(): Promise<void> {
    this.running = true;
    while (this.running) {
      const qp = await this.queue.pop();
      if (!qp) return;
      try {
        await this.scheduleOne(qp);
      } catch (e) {
        this.log.error('scheduling attempt crashed', { pod: qp.key, err: e as Error });
        this.queue.addBackoff(qp);
      }
      if (this.inFlightBinds >= this.maxInFlightBinds)
        await new Promise<void>((r) => {
          this.bindSlotWaiter = r;
        });
    }
  }

  stop(): void {
    this.running = false;
    this.queue.close();
  }

  async scheduleOne(qp: QueuedPod): Promise<void> {
    const pi = qp.info;
    const fw = this.frameworks.get(pi.pod.spec?.schedulerName || 'default-scheduler');
    if (!fw || this.cache.hasPod(qp.key) || pi.pod.metadata?.deletionTimestamp) {
      this.queue.done(qp.key);
      return;
    }
    const started = performance.now();
    const state = new CycleState();
    let nodeName: string;
    try {
      nodeName = await this.schedulePod(fw, state, pi);
    } catch (e) {
      if (!(e instanceof FitError)) throw e;
      await this.handleFitError(fw, state, qp, e);
      this.observeAttempt(fw, 'unschedulable', started);
      return;
    }
    this.cache.assumePod(pi, nodeName);
    const reserved = fw.runReserve(state, pi, nodeName);
    if (reserved) {
      this.cache.forgetPod(pi.key);
      this.failed(qp, 'SchedulerError', reserved.message(), false);
      this.observeAttempt(fw, 'error', started);
      return;
    }
    this.inFlightBinds++;
    void this.bindingCycle(fw, state, qp, nodeName, started).finally(() => {
      this.inFlightBinds--;
      const w = this.bindSlotWaiter;
      this.bindSlotWaiter = undefined;
      w?.();
    });
  }

  /** The name of the best node, or a FitError saying why there is none. */
  async schedulePod(fw: Framework, state: CycleState, pod: PodInfo): Promise<string> {
    const all = this.cache.listNodes();
    if (all.length === 0) throw new FitError(0, new Map());
    const pre = fw.runPreFilter(state, pod, this.view);
    if (pre.status) {
      const statuses = new Map<string, Status>();
      for (const n of all) statuses.set(n.name, pre.status);
      throw new FitError(all.length, statuses, pre.status.message());
    }
    const statuses = new Map<string, Status>();
    const feasible = await this.findFeasible(fw, state, pod, all, pre.nodeNames, statuses);
    if (feasible.length === 0) throw new FitError(all.length, statuses);
    if (feasible.length === 1) return feasible[0]!.name;
    const totals = fw.runScore(state, pod, feasible, this.view);
    // the highest total; ties broken at random (reservoir sampling) so that equal nodes share load
    let best = 0;
    let ties = 1;
    for (let i = 1; i < totals.length; i++) {
      if (totals[i]! > totals[best]!) {
        best = i;
        ties = 1;
      } else if (totals[i] === totals[best]) {
        ties++;
        if (Math.random() * ties < 1) best = i;
      }
    }
    return feasible[best]!.name;
  }

  private async findFeasible(
    fw: Framework,
    state: CycleState,
    pod: PodInfo,
    all: readonly NodeInfo[],
    only: Set<string> | undefined,
    statuses: Map<string, Status>,
  ): Promise<NodeInfo[]> {
    const feasible: NodeInfo[] = [];
    if (only) {
      for (const name of only) {
        const n = this.cache.getNode(name);
        if (!n) continue;
        const s = this.filterNode(fw, state, pod, n);
        if (s) statuses.set(n.name, s);
        else feasible.push(n);
      }
      for (const n of all) if (!only.has(n.name)) statuses.set(n.name, unresolvable('node is filtered out by the prefilter result'));
      return feasible;
    }
    const total = all.length;
    const want = numFeasibleNodesToFind(fw.percentageOfNodesToScore, total);
    let sliceStart = performance.now();
    let processed = 0;
    const start = this.nextStartNodeIndex % total;
    for (; processed < total && feasible.length < want; processed++) {
      const n = all[(start + processed) % total]!;
      const s = this.filterNode(fw, state, pod, n);
      if (s) statuses.set(n.name, s);
      else feasible.push(n);
      if ((processed & 63) === 63 && performance.now() - sliceStart > this.timeSliceMs) {
        await yieldToEventLoop();
        sliceStart = performance.now();
        if (all !== this.cache.listNodes()) break; // the node list changed under us: use what we have
      }
    }
    this.nextStartNodeIndex = (start + processed) % Math.max(1, total);
    return feasible;
  }

  private observeAttempt(fw: Framework, result: 'scheduled' | 'unschedulable' | 'error', startedMs: number): void {
    if (!this.metrics) return;
    this.metrics.attempts.inc({ result, profile: fw.schedulerName });
    this.metrics.attemptDuration.observe({ result, profile: fw.schedulerName }, (performance.now() - startedMs) / 1000);
  }

  private async handleFitError(fw: Framework, state: CycleState, qp: QueuedPod, err: FitError): Promise<void> {
    const pi = qp.info;
    let nominated: string | undefined;
    if (err.numAllNodes > 0 && fw.plugins.postFilter.length) {
      this.metrics?.preemptionAttempts.inc();
      try {
        const r = await fw.runPostFilter(state, pi, err.statuses, this.view);
        if (r?.status.isSuccess()) {
          nominated = r.nominatedNodeName;
          if (nominated) {
            this.nominate(pi, nominated);
            this.metrics?.preemptionVictims.observe(r.victims ?? 0);
          }
        } else if (r) {
          err.postFilterMessage = r.status.message();
          // a failed preemption clears an old nomination, as Kubernetes does
          if (r.nominatedNodeName === '' && (pi.pod.status as any)?.nominatedNodeName) nominated = '';
        }
      } catch (e) {
        this.log.warn('preemption failed', { pod: pi.key, err: (e as Error).message });
      }
    }
    for (const s of err.statuses.values()) if (s.plugin) qp.unschedulablePlugins.add(s.plugin);
    this.failed(qp, 'Unschedulable', err.message, true, nominated);
  }

  /** Requeues the pod and tells the user why, as a FailedScheduling event and the PodScheduled condition. */
  private failed(qp: QueuedPod, reason: 'Unschedulable' | 'SchedulerError', message: string, unschedulable: boolean, nominated?: string): void {
    const pi = qp.info;
    this.log.debug('pod not scheduled', { pod: pi.key, reason, message });
    if (unschedulable) this.queue.addUnschedulable(qp);
    else this.queue.addBackoff(qp);
    this.events.event(podRef(pi), 'Warning', 'FailedScheduling', message);
    const current = (pi.pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
    const sameCondition = current?.status === 'False' && current.reason === reason && current.message === message;
    const currentNominated = (pi.pod.status as any)?.nominatedNodeName ?? '';
    if (sameCondition && (nominated === undefined || nominated === currentNominated)) return;
    const condition: V1PodCondition = { type: 'PodScheduled', status: 'False', reason, message, lastProbeTime: null as any, lastTransitionTime: new Date() };
    this.writer
      .updatePodStatus(pi, condition, nominated)
      .catch((e) => this.log.debug('updating pod status failed', { pod: pi.key, err: (e as Error).message }));
  }

  private async bindingCycle(fw: Framework, state: CycleState, qp: QueuedPod, nodeName: string, startedMs: number): Promise<void> {
    const pi = qp.info;
    let failure: Status | null;
    try {
      failure = await fw.runBind(state, pi, nodeName);
    } catch (e) {
      failure = unresolvable(`binding failed: ${(e as Error).message}`);
    }
    if (failure) {
      fw.runUnreserve(state, pi, nodeName);
      this.cache.forgetPod(pi.key);
      this.observeAttempt(fw, 'error', startedMs);
      this.failed(qp, 'SchedulerError', failure.message(), false);
      // the capacity it held is free again
      this.queue.moveAllToActiveOrBackoff();
      return;
    }
    this.queue.done(pi.key);
    this.clearNomination(pi.key);
    this.observeAttempt(fw, 'scheduled', startedMs);
    const queuedMs = Date.now() - qp.firstSeen;
    this.metrics?.e2eDuration.observe({ profile: fw.schedulerName }, queuedMs / 1000);
    this.onBound?.(pi, nodeName, queuedMs);
    this.events.event(podRef(pi), 'Normal', 'Scheduled', `Successfully assigned ${pi.namespace}/${pi.name} to ${nodeName}`);
  }

  private async evict(victim: PodInfo, preemptor: PodInfo, nodeName: string): Promise<void> {
    this.events.event(podRef(victim), 'Normal', 'Preempted', `Preempted by pod ${preemptor.uid} on node ${nodeName}`);
    await this.writer.deletePod(victim);
  }
}
