// A runtime without containers, for hollow nodes (as kwok and kubemark do): a pod reports
// Running after `readyDelayMs` with every container running and ready, and a fake pod IP
// from the node's own range; killing it only forgets it.
import type { V1Pod } from '@kubernetes/client-node';
import type { PodRuntime, RuntimePodStatus } from './interface.ts';

export interface SimulatedRuntimeOptions {
  readyDelayMs?: number;
  /** first three octets of fake pod IPs, e.g. "10.200.3" */
  ipPrefix: string;
  wake: (uid: string) => void;
  now?: () => number;
}

export class SimulatedRuntime implements PodRuntime {
  readonly kind = 'simulated' as const;
  private readonly o: SimulatedRuntimeOptions;
  private readonly pods = new Map<string, { since: number; ip: string }>();
  private nextHost = 2;

  constructor(o: SimulatedRuntimeOptions) { this.o = o; }

  async version(): Promise<{ runtimeName: string; runtimeVersion: string }> { return { runtimeName: 'simulated', runtimeVersion: '1.0.0' }; }

  async syncPod(pod: V1Pod): Promise<RuntimePodStatus> {
    const uid = pod.metadata!.uid!;
    const now = (this.o.now ?? Date.now)();
    let entry = this.pods.get(uid);
    if (!entry) {
      entry = { since: now, ip: `${this.o.ipPrefix}.${this.nextHost}` };
      this.nextHost = this.nextHost >= 254 ? 2 : this.nextHost + 1;
      this.pods.set(uid, entry);
      const delay = this.o.readyDelayMs ?? 1000;
      setTimeout(() => this.o.wake(uid), delay + 10).unref();
    }
    const running = now - entry.since >= (this.o.readyDelayMs ?? 1000);
    const startedAt = new Date(entry.since + (this.o.readyDelayMs ?? 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z') as unknown as Date;
    const statuses = pod.spec!.containers.map((c) => ({
      name: c.name, image: c.image ?? '', imageID: '', restartCount: 0, ready: running, started: running,
      state: running ? { running: { startedAt } } : { waiting: { reason: 'ContainerCreating' } },
      lastState: {},
      ...(running ? { containerID: `simulated://${uid}-${c.name}` } : {}),
    }));
    const init = (pod.spec!.initContainers ?? []).map((c) => ({
      name: c.name, image: c.image ?? '', imageID: '', restartCount: 0, ready: running, started: false,
      state: running ? { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt: startedAt } } : { waiting: { reason: 'PodInitializing' } },
      lastState: {},
    }));
    return { phase: running ? 'Running' : 'Pending', podIP: running ? entry.ip : undefined, initialized: running, containerStatuses: statuses, initContainerStatuses: init };
  }

  async killPod(uid: string): Promise<void> { this.pods.delete(uid); }
  async podUids(): Promise<Set<string>> { return new Set(this.pods.keys()); }
  forget(uid: string): void { this.pods.delete(uid); }
  close(): void { this.pods.clear(); }
}
