// A runtime without containers, for hollow nodes (as kwok and kubemark do): a pod reports
// Running after `readyDelayMs` with every container running and ready, and a fake pod IP
// from the node's own range; killing it only forgets it. The events a real start would
// record (image present, created, started; stopping) are recorded once, on paper too.
// A pod that does not restart (restartPolicy Never or OnFailure, a Job's) runs to completion:
// its containers exit 0 another `readyDelayMs` after they started, and the pod Succeeds.
import type { V1Pod } from '@kubernetes/client-node';
import { PodEvents } from '../pods/events.ts';
import type { PodRuntime, RuntimePodStatus } from './interface.ts';

export interface SimulatedRuntimeOptions {
  readyDelayMs?: number;
  /** first three octets of fake pod IPs, e.g. "10.200.3" */
  ipPrefix: string;
  wake: (uid: string) => void;
  now?: () => number;
  events?: PodEvents;
}

interface SimulatedPod {
  since: number;
  ip: string;
  started: boolean;
}

export class SimulatedRuntime implements PodRuntime {
  readonly kind = 'simulated' as const;
  private readonly o: SimulatedRuntimeOptions;
  private readonly pods = new Map<string, SimulatedPod>();
  private readonly events: PodEvents;
  private nextHost = 2;

  constructor(o: SimulatedRuntimeOptions) {
    this.o = o;
    this.events = o.events ?? new PodEvents();
  }

  async version(): Promise<{ runtimeName: string; runtimeVersion: string }> {
    return { runtimeName: 'simulated', runtimeVersion: '1.0.0' };
  }

  async syncPod(pod: V1Pod): Promise<RuntimePodStatus> {
    const uid = pod.metadata!.uid!;
    const now = (this.o.now ?? Date.now)();
    let entry = this.pods.get(uid);
    if (!entry) {
      entry = { since: now, ip: `${this.o.ipPrefix}.${this.nextHost}`, started: false };
      this.nextHost = this.nextHost >= 254 ? 2 : this.nextHost + 1;
      this.pods.set(uid, entry);
      const delay = this.o.readyDelayMs ?? 1000;
      setTimeout(() => this.o.wake(uid), delay + 10).unref();
      if (runsToCompletion(pod)) setTimeout(() => this.o.wake(uid), 2 * delay + 10).unref();
    }
    const running = now - entry.since >= (this.o.readyDelayMs ?? 1000);
    const finished = runsToCompletion(pod) && now - entry.since >= 2 * (this.o.readyDelayMs ?? 1000);
    if (running && !entry.started) {
      entry.started = true;
      this.recordStart(pod);
    }
    const startedAt = new Date(entry.since + (this.o.readyDelayMs ?? 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z') as unknown as Date;
    if (finished) return this.completed(pod, entry, startedAt);
    const statuses = pod.spec!.containers.map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      restartCount: 0,
      ready: running,
      started: running,
      state: running ? { running: { startedAt } } : { waiting: { reason: 'ContainerCreating' } },
      lastState: {},
      ...(running ? { containerID: `simulated://${uid}-${c.name}` } : {}),
    }));
    const init = (pod.spec!.initContainers ?? []).map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      restartCount: 0,
      ready: running,
      started: false,
      state: running ? { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt: startedAt } } : { waiting: { reason: 'PodInitializing' } },
      lastState: {},
    }));
    return {
      phase: running ? 'Running' : 'Pending',
      podIP: running ? entry.ip : undefined,
      initialized: running,
      containerStatuses: statuses,
      initContainerStatuses: init,
    };
  }

  private completed(pod: V1Pod, entry: SimulatedPod, startedAt: Date): RuntimePodStatus {
    const finishedAt = new Date(entry.since + 2 * (this.o.readyDelayMs ?? 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z') as unknown as Date;
    const terminated = (c: { name: string; image?: string }) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      restartCount: 0,
      ready: false,
      started: false,
      state: { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt, containerID: `simulated://${pod.metadata!.uid}-${c.name}` } },
      lastState: {},
      containerID: `simulated://${pod.metadata!.uid}-${c.name}`,
    });
    return {
      phase: 'Succeeded',
      podIP: entry.ip,
      initialized: true,
      containerStatuses: pod.spec!.containers.map(terminated),
      initContainerStatuses: (pod.spec!.initContainers ?? []).map(terminated),
    };
  }

  async killPod(uid: string, pod: V1Pod | undefined): Promise<void> {
    if (pod && this.pods.get(uid)?.started) {
      for (const c of pod.spec?.containers ?? []) this.events.container(pod, c.name, 'Normal', 'Killing', `Stopping container ${c.name}`);
    }
    this.pods.delete(uid);
  }

  private recordStart(pod: V1Pod): void {
    for (const c of [...(pod.spec?.initContainers ?? []), ...pod.spec!.containers]) {
      this.events.container(pod, c.name, 'Normal', 'Pulled', `Container image "${c.image ?? ''}" already present on machine`);
      this.events.container(pod, c.name, 'Normal', 'Created', `Created container: ${c.name}`);
      this.events.container(pod, c.name, 'Normal', 'Started', `Started container ${c.name}`);
    }
  }
  async podUids(): Promise<Set<string>> {
    return new Set(this.pods.keys());
  }
  forget(uid: string): void {
    this.pods.delete(uid);
  }
  close(): void {
    this.pods.clear();
  }
}

function runsToCompletion(pod: V1Pod): boolean {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  return policy === 'Never' || policy === 'OnFailure';
}
