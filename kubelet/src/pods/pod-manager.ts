// Watches the pods bound to this node and runs one worker per pod. A worker is
// level-triggered: every pass asks the runtime for the actual state and converges, on pod
// changes, runtime wake-ups and a periodic resync. Pods the runtime holds but the apiserver
// no longer has (deleted while the kubelet was down) are killed.
// As upstream's PLEG does, one relist a second (two CRI calls for the whole node) wakes the
// workers of pods whose containers appeared, went or changed state, so the periodic resync
// can be slow: each worker's pass makes half a dozen CRI calls, and every pod making them
// every 2 s was most of what the kubelet and containerd did on a busy node.
import type { KubeConfig, V1ContainerStatus, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { Informer, type Logger } from '@skiff/common';
import { isConflict, isNotFound, mergePatch, type ApiClients } from '../api/client.ts';
import type { PodRuntime } from '../runtime/interface.ts';
import { buildPodStatus, sameStatus } from './status.ts';

export interface PodManagerOptions {
  kubeConfig: KubeConfig;
  api: ApiClients;
  nodeName: string;
  hostIP: () => string;
  runtime: PodRuntime;
  log: Logger;
  /** each worker's periodic pass; default 10 s with a relisting runtime, 2 s without */
  resyncMs?: number;
  /** how often the runtime is relisted (default 1 s) */
  relistMs?: number;
  /** called after each status patch (metrics, tests) */
  onStatus?: (pod: V1Pod) => void;
}

export class PodManager {
  private readonly o: PodManagerOptions;
  private readonly informer: Informer<V1Pod>;
  private readonly workers = new Map<string, PodWorker>();
  private orphanTimer?: NodeJS.Timeout;
  private relistTimer?: NodeJS.Timeout;
  private lastRelist?: Map<string, string>;
  private stopped = false;

  constructor(o: PodManagerOptions) {
    this.o = { ...o, resyncMs: o.resyncMs ?? (o.runtime.relist ? 10_000 : 2000) };
    const fieldSelector = `spec.nodeName=${o.nodeName}`;
    this.informer = new Informer<V1Pod>({
      kubeConfig: o.kubeConfig,
      path: '/api/v1/pods',
      fieldSelector,
      log: o.log,
      list: () => o.api.core.listPodForAllNamespaces({ fieldSelector }),
    });
    this.informer.on({
      add: (p) => this.upsert(p),
      update: (p) => this.upsert(p),
      delete: (p) => this.workers.get(p.metadata!.uid!)?.gone(),
    });
  }

  async start(): Promise<void> {
    await this.informer.start();
    await this.informer.waitForSync();
    await this.cleanupOrphans();
    this.orphanTimer = setInterval(() => void this.cleanupOrphans(), 30_000);
    this.orphanTimer.unref();
    if (this.o.runtime.relist) this.scheduleRelist();
  }

  private scheduleRelist(): void {
    if (this.stopped) return;
    this.relistTimer = setTimeout(() => void this.relist().finally(() => this.scheduleRelist()), this.o.relistMs ?? 1000);
    this.relistTimer.unref();
  }

  /** Wakes the workers of pods whose sandboxes or containers changed since the last relist. */
  private async relist(): Promise<void> {
    let now: Map<string, string>;
    try {
      now = await this.o.runtime.relist!();
    } catch (e) {
      // the periodic resync still runs; a runtime that is down is the workers' to report
      this.o.log.debug('relist failed', { err: e as Error });
      this.lastRelist = undefined;
      return;
    }
    const before = this.lastRelist;
    this.lastRelist = now;
    if (!before) return;
    for (const uid of new Set([...before.keys(), ...now.keys()])) {
      if (before.get(uid) !== now.get(uid)) this.workers.get(uid)?.kick();
    }
  }

  stop(): void {
    this.stopped = true;
    this.informer.stop();
    clearInterval(this.orphanTimer);
    clearTimeout(this.relistTimer);
    for (const w of this.workers.values()) w.stop();
  }

  get podCount(): number {
    return this.workers.size;
  }
  pods(): V1Pod[] {
    return [...this.workers.values()].map((w) => w.pod).filter((p): p is V1Pod => !!p);
  }
  /** The pods bound to this node that the API still has, terminating ones included (the informer's view). */
  boundPods(): readonly V1Pod[] {
    return this.informer.list();
  }
  findPod(namespace: string, name: string): V1Pod | undefined {
    return this.informer.get(name, namespace);
  }
  wake(uid: string): void {
    this.workers.get(uid)?.kick();
  }

  private upsert(pod: V1Pod): void {
    if (this.stopped) return;
    const uid = pod.metadata!.uid!;
    let w = this.workers.get(uid);
    if (!w) {
      w = new PodWorker(pod, this.o, () => this.workers.delete(uid));
      this.workers.set(uid, w);
    }
    w.update(pod);
  }

  private async cleanupOrphans(): Promise<void> {
    try {
      const known = new Set(this.informer.list().map((p) => p.metadata!.uid!));
      for (const uid of await this.o.runtime.podUids()) {
        if (known.has(uid) || this.workers.has(uid)) continue;
        this.o.log.info('killing pod that no longer exists in the API', { uid });
        await this.o.runtime.killPod(uid, undefined, 0);
      }
    } catch (e) {
      this.o.log.warn('orphan cleanup failed', { err: e as Error });
    }
  }
}

class PodWorker {
  pod: V1Pod;
  private readonly o: PodManagerOptions;
  private readonly done: () => void;
  private running = false;
  private dirty = false;
  private deleted = false;
  private finished = false;
  private timer?: NodeJS.Timeout;

  constructor(pod: V1Pod, o: PodManagerOptions, done: () => void) {
    this.pod = pod;
    this.o = o;
    this.done = done;
  }

  update(pod: V1Pod): void {
    // Keep the pod our last status patch returned if the informer's copy is older: the watch
    // lags behind our own writes, and syncing against a stale status would write it again
    // (and again for every stale event after it).
    if (isOlder(pod, this.pod)) return;
    this.pod = pod;
    this.kick();
  }

  gone(): void {
    this.deleted = true;
    this.kick();
  }
  stop(): void {
    this.finished = true;
    clearTimeout(this.timer);
  }

  kick(): void {
    if (this.finished) return;
    this.dirty = true;
    if (!this.running) void this.loop();
  }

  private async loop(): Promise<void> {
    this.running = true;
    clearTimeout(this.timer);
    while (this.dirty && !this.finished) {
      this.dirty = false;
      try {
        await this.syncOnce();
      } catch (e) {
        if (this.finished) break; // stopped mid-sync: the runtime may be closed under it
        this.o.log.warn('pod sync failed', { pod: `${this.pod.metadata?.namespace}/${this.pod.metadata?.name}`, err: e as Error });
        await new Promise((r) => setTimeout(r, 1000));
        this.dirty = true;
      }
    }
    this.running = false;
    if (!this.finished) {
      this.timer = setTimeout(() => this.kick(), this.o.resyncMs ?? 2000);
      this.timer.unref();
    }
  }

  private async syncOnce(): Promise<void> {
    const pod = this.pod;
    const m = pod.metadata!;
    const uid = m.uid!;
    if (this.deleted) {
      await this.o.runtime.killPod(uid, pod, 0);
      this.finish();
      return;
    }
    if (m.deletionTimestamp) {
      const grace = m.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      this.o.log.info('terminating pod', { pod: `${m.namespace}/${m.name}`, grace });
      await this.o.runtime.killPod(uid, pod, grace);
      await this.markTerminal(pod);
      try {
        await this.o.api.core.deleteNamespacedPod({ name: m.name!, namespace: m.namespace!, gracePeriodSeconds: 0, body: { preconditions: { uid } } });
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
      this.finish();
      return;
    }
    const r = await this.o.runtime.syncPod(pod);
    const status = buildPodStatus(pod, r, this.o.hostIP());
    if (sameStatus(pod.status, status)) return;
    const patch: Record<string, unknown> = { ...status };
    // merge patch keeps fields we omit; clear the ones that went away
    if (!status.podIP && pod.status?.podIP) {
      patch.podIP = null;
      patch.podIPs = null;
    }
    try {
      const updated = await this.o.api.core.patchNamespacedPodStatus(
        { name: m.name!, namespace: m.namespace!, body: { metadata: { uid }, status: patch } },
        mergePatch,
      );
      if (this.pod === pod) this.pod = updated;
      this.o.onStatus?.(updated);
    } catch (e) {
      if (isNotFound(e)) {
        this.deleted = true;
        this.dirty = true;
        return;
      }
      throw e;
    }
  }

  /**
   * A pod killed because it is being deleted ends in a terminal phase before it goes, as the
   * kubelet does since Kubernetes 1.27: a finalizer (a Job's) may keep it in the API, and its
   * owner must see that it will not run again (podReplacementPolicy: Failed waits for that).
   */
  private async markTerminal(pod: V1Pod): Promise<void> {
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const m = pod.metadata!;
    const finishedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    // a container that had not exited was killed
    const terminated = (s: V1ContainerStatus) =>
      s.state?.terminated ? s : { ...s, ready: false, started: false, state: { terminated: { exitCode: 137, reason: 'Error', finishedAt } } };
    const notReady = (c: V1PodCondition) =>
      (c.type === 'Ready' || c.type === 'ContainersReady') && c.status === 'True'
        ? { ...c, status: 'False', reason: 'PodCompleted', lastTransitionTime: finishedAt }
        : c;
    const status = {
      phase: 'Failed',
      conditions: (pod.status?.conditions ?? []).map(notReady),
      containerStatuses: (pod.status?.containerStatuses ?? []).map(terminated),
    };
    try {
      await this.o.api.core.patchNamespacedPodStatus({ name: m.name!, namespace: m.namespace!, body: { metadata: { uid: m.uid }, status } }, mergePatch);
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  private finish(): void {
    this.o.runtime.forget(this.pod.metadata!.uid!);
    this.stop();
    this.done();
  }
}

/**
 * Whether `a` is an older version of the pod than `b`. Our apiserver's resourceVersions are
 * etcd revisions, so they compare as integers; anything else is taken as not older.
 */
function isOlder(a: V1Pod, b: V1Pod): boolean {
  const ra = a.metadata?.resourceVersion;
  const rb = b.metadata?.resourceVersion;
  if (!ra || !rb || !/^\d+$/.test(ra) || !/^\d+$/.test(rb)) return false;
  return BigInt(ra) < BigInt(rb);
}
