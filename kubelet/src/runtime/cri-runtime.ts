// The CRI runtime: each syncPod call reads the pod's sandboxes and containers back from
// containerd (labels carry the pod UID) and takes the next steps toward the spec, so a
// restarted kubelet adopts what runs instead of starting it again.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Container, V1ContainerState, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { createLogger, type Logger } from '@skiff/common';
import { type CriClient, CriError } from '../cri/client.ts';
import type { Container, ContainerStatus, PodSandbox } from '../cri/types.ts';
import type { PodObjectSource } from '../api/objects.ts';
import { ContainerConfigError, resolveEnv } from '../pods/env.ts';
import { etcHostsFor } from '../pods/etc-hosts.ts';
import { goDuration, podDesc, PodEvents } from '../pods/events.ts';
import type { NodeFacts } from '../pods/field-paths.ts';
import { VolumeManager } from '../volumes/volume-manager.ts';
import { Backoff } from './backoff.ts';
import { containerConfig, sandboxConfig, type SandboxSettings } from './cri-configs.ts';
import { runHook } from './hooks.ts';
import type { PodRuntime, RuntimePodStatus } from './interface.ts';
import * as L from './labels.ts';
import { ProbeManager, type ProbeKind } from './probes.ts';
import { tailLogLines } from '../server/cri-log.ts';

export interface CriRuntimeOptions {
  cri: CriClient;
  rootDir: string;
  sandbox: SandboxSettings;
  node: NodeFacts;
  objects: PodObjectSource;
  /** wakes the pod's worker (a probe result changed, a back-off expired) */
  wake: (uid: string) => void;
  /** false until the node's pod network is configured: no pod sandbox is created before */
  networkReady?: () => boolean;
  backoff?: Backoff;
  /** Events for `kubectl describe pod` (none when absent) */
  events?: PodEvents;
  logger?: Logger;
}

interface Observed {
  container: Container;
  status: ContainerStatus;
  restartCount: number;
}
interface Waiting {
  reason: string;
  message: string;
}

const MAX_TERMINATION_MESSAGE = 4096;

export function criTime(ns: string | undefined): string | undefined {
  if (!ns || ns === '0') return undefined;
  const ms = Number(BigInt(ns) / 1_000_000n);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
function criMs(ns: string | undefined): number {
  return ns && ns !== '0' ? Number(BigInt(ns) / 1_000_000n) : 0;
}

export function defaultPullPolicy(image: string): string {
  const last = image.split('/').pop() ?? '';
  if (last.includes('@')) return 'IfNotPresent';
  const tag = last.includes(':') ? last.split(':').pop() : '';
  return !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export class CriRuntime implements PodRuntime {
  readonly kind = 'cri' as const;
  readonly cri: CriClient;
  readonly volumes: VolumeManager;
  private readonly o: CriRuntimeOptions;
  private readonly backoff: Backoff;
  private readonly probes = new ProbeManager();
  private readonly waiting = new Map<string, Waiting>();
  /** key -> the episode (a container attempt, a pull back-off) an event was last recorded for */
  private readonly episodes = new Map<string, string>();
  private readonly events: PodEvents;
  private readonly log: Logger;

  constructor(o: CriRuntimeOptions) {
    this.o = o;
    this.cri = o.cri;
    this.backoff = o.backoff ?? new Backoff();
    this.log = o.logger ?? createLogger('kubelet-cri');
    this.events = o.events ?? new PodEvents();
    this.volumes = new VolumeManager(o.rootDir, o.objects, o.node);
  }

  async version(): Promise<{ runtimeName: string; runtimeVersion: string }> {
    const v = await this.cri.version();
    return { runtimeName: v.runtimeName, runtimeVersion: v.runtimeVersion };
  }

  close(): void {
    this.volumes.localPath.close();
    this.probes.clear();
    this.cri.close();
  }

  forget(uid: string): void {
    this.probes.retainPod(uid, new Set());
    this.backoff.forgetPrefix(`${uid}/`);
    for (const k of [...this.waiting.keys()]) if (k.startsWith(`${uid}/`)) this.waiting.delete(k);
    for (const k of [...this.episodes.keys()]) if (k.startsWith(`${uid}/`)) this.episodes.delete(k);
  }

  async relist(): Promise<Map<string, string>> {
    const sel = { labelSelector: { [L.MANAGED_BY]: L.MANAGED_BY_VALUE } };
    const [sandboxes, containers] = await Promise.all([this.cri.listPodSandbox(sel), this.cri.listContainers(sel)]);
    const parts = new Map<string, string[]>();
    const add = (uid: string | undefined, part: string) => {
      if (!uid) return;
      let list = parts.get(uid);
      if (!list) parts.set(uid, (list = []));
      list.push(part);
    };
    for (const s of sandboxes) add(s.labels[L.POD_UID], `s ${s.id} ${s.state}`);
    for (const c of containers) add(c.labels[L.POD_UID], `c ${c.id} ${c.state}`);
    return new Map([...parts].map(([uid, list]) => [uid, list.sort().join(',')]));
  }

  async podUids(): Promise<Set<string>> {
    const sel = { labelSelector: { [L.MANAGED_BY]: L.MANAGED_BY_VALUE } };
    const [sandboxes, containers] = await Promise.all([this.cri.listPodSandbox(sel), this.cri.listContainers(sel)]);
    return new Set([...sandboxes, ...containers].map((x) => x.labels[L.POD_UID]!).filter(Boolean));
  }

  /** The newest running container with that name, for exec/attach/logs. */
  async findContainer(uid: string, name: string, previous = false): Promise<{ id: string; logPath: string; sandboxId: string } | undefined> {
    const list = await this.cri.listContainers({ labelSelector: { [L.POD_UID]: uid, [L.CONTAINER_NAME]: name } });
    list.sort((a, b) => Number(BigInt(b.createdAt) - BigInt(a.createdAt)));
    const c = list[previous ? 1 : 0];
    if (!c) return undefined;
    const { status } = await this.cri.containerStatus(c.id);
    return { id: c.id, logPath: status?.logPath ?? '', sandboxId: c.podSandboxId };
  }

  async readySandbox(uid: string): Promise<PodSandbox | undefined> {
    const list = await this.cri.listPodSandbox({ labelSelector: { [L.POD_UID]: uid }, state: { state: 'SANDBOX_READY' } });
    return list.sort((a, b) => Number(BigInt(b.createdAt) - BigInt(a.createdAt)))[0];
  }

  async syncPod(pod: V1Pod): Promise<RuntimePodStatus> {
    const uid = pod.metadata!.uid!;
    const spec = pod.spec!;
    const policy = spec.restartPolicy ?? 'Always';
    const sandboxes = await this.cri.listPodSandbox({ labelSelector: { [L.POD_UID]: uid } });
    sandboxes.sort((a, b) => Number(BigInt(b.createdAt) - BigInt(a.createdAt)));
    let sandbox = sandboxes.find((s) => s.state === 'SANDBOX_READY');
    const allContainers = await this.cri.listContainers({ labelSelector: { [L.POD_UID]: uid } });

    if (!sandbox) {
      // A pod that ran to completion under restartPolicy Never keeps its last state.
      const previous = await this.observe(allContainers);
      if (sandboxes.length > 0 && this.podFinished(pod, previous)) return this.report(pod, previous, '', true);
      if (!spec.hostNetwork && this.o.networkReady && !this.o.networkReady()) {
        throw new Error("network is not ready: the pod network (CNI config for the node's podCIDR) is not configured yet");
      }
      if (sandboxes.length > 0) this.events.pod(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
      for (const old of sandboxes)
        await this.removeSandbox(
          old.id,
          allContainers.filter((c) => c.podSandboxId === old.id),
        );
      const config = sandboxConfig(pod, sandboxes.length, this.o.sandbox);
      mkdirSync(config.logDirectory!, { recursive: true });
      const id = await this.cri.runPodSandbox(config).catch((e: unknown) => {
        this.events.pod(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${criMessage(e)}`);
        throw e;
      });
      sandbox = {
        id,
        metadata: config.metadata,
        state: 'SANDBOX_READY',
        createdAt: '0',
        labels: config.labels!,
        annotations: config.annotations!,
        runtimeHandler: '',
      };
    }
    const sandboxStatus = (await this.cri.podSandboxStatus(sandbox.id)).status;
    const podIP = sandboxStatus?.network?.ip ?? '';
    const containers = allContainers.filter((c) => c.podSandboxId === sandbox.id);
    const observed = await this.observe(containers);

    const volumes = await this.volumes.prepare(pod, podIP).catch((e: unknown) => {
      if (e instanceof ContainerConfigError) return e;
      throw e;
    });
    const sandboxConf = sandboxConfig(pod, Number(sandbox.metadata?.attempt ?? 0), this.o.sandbox);
    const ctx = { pod, sandboxId: sandbox.id, sandboxConf, podIP, volumes };

    // Init containers, strictly in order.
    let initialized = true;
    for (const c of spec.initContainers ?? []) {
      const latest = observed.get(c.name)?.[0];
      if (latest?.status.state === 'CONTAINER_EXITED' && latest.status.exitCode === 0) continue;
      initialized = false;
      if (latest?.status.state === 'CONTAINER_RUNNING') break;
      if (latest?.status.state === 'CONTAINER_EXITED' && policy === 'Never') break; // pod failed
      await this.startWithBackoff(ctx, c, true, latest);
      break;
    }

    if (initialized) {
      for (const c of spec.containers) {
        const list = observed.get(c.name) ?? [];
        const latest = list[0];
        if (!latest) {
          await this.startWithBackoff(ctx, c, false, undefined);
          continue;
        }
        // Keep the latest two attempts (status and `logs --previous`), remove older ones.
        for (const old of list.slice(2)) await this.cri.removeContainer(old.container.id).catch(ignoreNotFound);
        const st = latest.status;
        if (st.state === 'CONTAINER_RUNNING') {
          this.probes.ensure(
            {
              containerId: st.id,
              podUid: uid,
              podIP,
              container: c,
              startedAt: criMs(st.startedAt),
              exec: (cmd, t) => this.execOutput(st.id, cmd, t),
              onFailure: (kind, message) => this.events.container(pod, c.name, 'Warning', 'Unhealthy', `${probeName(kind)} probe failed: ${message}`),
            },
            () => this.o.wake(uid),
          );
          if (criMs(st.startedAt) && Date.now() - criMs(st.startedAt) > this.backoff.resetAfterMs) this.backoff.reset(`${uid}/${c.name}`);
          const failed = this.probes.failed(st.id);
          if (failed) {
            this.log.info('probe failed, killing container', { pod: pod.metadata?.name, container: c.name, probe: failed.kind, message: failed.message });
            this.probes.remove(st.id);
            const restart = policy !== 'Never' ? ', will be restarted' : '';
            await this.stopContainer(
              pod,
              c,
              st.id,
              podIP,
              spec.terminationGracePeriodSeconds ?? 30,
              `Container ${c.name} failed ${failed.kind} probe${restart}`,
            );
          }
          continue;
        }
        if (st.state === 'CONTAINER_CREATED') {
          await this.startCreated(pod, c, st.id);
          continue;
        }
        if (st.state === 'CONTAINER_EXITED') {
          this.probes.remove(st.id);
          const restart = policy === 'Always' || (policy === 'OnFailure' && st.exitCode !== 0);
          // the new attempt makes `latest` the previous one: older ones go first, so that
          // no moment holds more than two attempts
          if (restart) for (const old of list.slice(1)) await this.cri.removeContainer(old.container.id).catch(ignoreNotFound);
          if (restart) await this.startWithBackoff(ctx, c, false, latest);
        }
      }
    }
    const after = await this.observe(await this.cri.listContainers({ labelSelector: { [L.POD_UID]: uid }, podSandboxId: sandbox.id }));
    this.probes.retainPod(
      uid,
      new Set(
        [...after.values()]
          .flat()
          .filter((o) => o.status.state === 'CONTAINER_RUNNING')
          .map((o) => o.status.id),
      ),
    );
    const status = this.report(pod, after, podIP, false);
    // A pod that ran to completion gives its sandbox up, as upstream's kubelet stops a terminal
    // pod's sandbox (its network and IP freed); the exited containers stay for status and logs,
    // and the next sync finds the pod finished without a ready sandbox. `make chaos` found every
    // Job pod's pause container still running.
    if (status.phase === 'Succeeded' || status.phase === 'Failed') await this.cri.stopPodSandbox(sandbox.id).catch(ignoreNotFound);
    return status;
  }

  async killPod(uid: string, pod: V1Pod | undefined, gracePeriodSeconds: number): Promise<void> {
    const sandboxes = await this.cri.listPodSandbox({ labelSelector: { [L.POD_UID]: uid } });
    const containers = await this.cri.listContainers({ labelSelector: { [L.POD_UID]: uid } });
    const podIP = sandboxes.length ? ((await this.cri.podSandboxStatus(sandboxes[0]!.id).catch(() => null))?.status?.network?.ip ?? '') : '';
    const deadline = Date.now() + gracePeriodSeconds * 1000;
    await Promise.all(
      containers
        .filter((c) => c.state === 'CONTAINER_RUNNING')
        .map(async (c) => {
          const spec =
            pod?.spec?.containers.find((x) => x.name === c.labels[L.CONTAINER_NAME]) ??
            pod?.spec?.initContainers?.find((x) => x.name === c.labels[L.CONTAINER_NAME]);
          this.probes.remove(c.id);
          const remaining = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
          if (spec) await this.stopContainer(pod!, spec, c.id, podIP, remaining);
          else await this.cri.stopContainer(c.id, remaining).catch(ignoreNotFound);
        }),
    );
    for (const s of sandboxes)
      await this.removeSandbox(
        s.id,
        containers.filter((c) => c.podSandboxId === s.id),
      );
    for (const c of containers) await this.cri.removeContainer(c.id).catch(ignoreNotFound);
    await this.volumes.cleanup(uid);
    this.forget(uid);
  }

  // ---- steps ----

  private async removeSandbox(id: string, containers: Container[]): Promise<void> {
    for (const c of containers) {
      this.probes.remove(c.id);
      await this.cri.stopContainer(c.id, 0).catch(ignoreNotFound);
      await this.cri.removeContainer(c.id).catch(ignoreNotFound);
    }
    await this.cri.stopPodSandbox(id).catch(ignoreNotFound);
    await this.cri.removePodSandbox(id).catch(ignoreNotFound);
  }

  /** preStop hook within the grace period, then SIGTERM and SIGKILL after what is left of it. */
  private async stopContainer(
    pod: V1Pod,
    c: V1Container,
    id: string,
    podIP: string,
    graceSeconds: number,
    why = `Stopping container ${c.name}`,
  ): Promise<void> {
    const started = Date.now();
    // Recorded before the preStop hook, as the kubelet does: it says what is under way.
    this.events.container(pod, c.name, 'Normal', 'Killing', why);
    const preStop = c.lifecycle?.preStop;
    if (preStop && graceSeconds > 0) {
      const r = await runHook(preStop, c, id, podIP, (cmd, t) => this.execOutput(id, cmd, t), graceSeconds);
      if (!r.ok) {
        this.log.warn('preStop hook failed', { pod: pod.metadata?.name, container: c.name, message: r.message });
        // the hook's output may hold secrets: the event says only that it failed (as upstream)
        this.events.container(pod, c.name, 'Warning', 'FailedPreStopHook', 'PreStopHook failed');
      }
    }
    const left = Math.max(2, graceSeconds - Math.floor((Date.now() - started) / 1000));
    await this.cri.stopContainer(id, graceSeconds === 0 ? 0 : left).catch(ignoreNotFound);
  }

  private async execOutput(id: string, cmd: string[], timeoutSeconds: number): Promise<{ exitCode: number; output: string }> {
    const r = await this.cri.execSync(id, cmd, timeoutSeconds);
    return { exitCode: r.exitCode, output: Buffer.concat([r.stdout, r.stderr]).toString() };
  }

  private async startWithBackoff(ctx: StartContext, c: V1Container, init: boolean, latest: Observed | undefined): Promise<void> {
    const uid = ctx.pod.metadata!.uid!;
    const key = `${uid}/${c.name}`;
    if (latest) {
      const finished = criMs(latest.status.finishedAt) || Date.now();
      if (this.backoff.inBackoff(key, finished)) {
        const delay = this.backoff.delayOf(key);
        this.waiting.set(key, {
          reason: 'CrashLoopBackOff',
          message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.name} pod=${podDesc(ctx.pod)}`,
        });
        // Every sync pass sees the back-off; one event per failed attempt makes count the number of waits.
        if (this.firstTime(`${key}#crash`, latest.container.id)) {
          this.events.container(ctx.pod, c.name, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${podDesc(ctx.pod)}`);
        }
        this.wakeAfter(uid, finished + delay - Date.now());
        return;
      }
      this.backoff.next(key);
    }
    const restartCount = latest ? latest.restartCount + 1 : 0;
    try {
      await this.startContainer(ctx, c, init, restartCount);
      this.waiting.delete(key);
    } catch (e) {
      this.startFailed(ctx.pod, c, e);
      if (e instanceof ImagePullError) {
        this.waiting.set(key, { reason: e.reason, message: e.message });
        this.wakeAfter(uid, (this.backoff.pendingUntil(`${key}#pull`) ?? Date.now() + 2000) - Date.now());
      } else if (e instanceof ContainerConfigError) {
        this.waiting.set(key, { reason: 'CreateContainerConfigError', message: e.message });
        this.wakeAfter(uid, 2000);
      } else {
        this.waiting.set(key, { reason: 'CreateContainerError', message: (e as Error).message });
        this.log.warn('starting container failed', { pod: ctx.pod.metadata?.name, container: c.name, err: e as Error });
        this.wakeAfter(uid, 2000);
      }
    }
  }

  /** `Error: <why>` for a container that could not be started; a pull back-off once per wait. */
  private startFailed(pod: V1Pod, c: V1Container, e: unknown): void {
    const key = `${pod.metadata!.uid}/${c.name}`;
    if (e instanceof ImagePullError && e.reason === 'ImagePullBackOff') {
      if (!this.firstTime(`${key}#pull-backoff`, String(this.backoff.pendingUntil(`${key}#pull`)))) return;
      this.events.container(pod, c.name, 'Normal', 'BackOff', e.message);
    }
    this.events.container(pod, c.name, 'Warning', 'Failed', `Error: ${e instanceof ImagePullError ? e.reason : criMessage(e)}`);
  }

  /** True once per episode of `key`: for states the level-triggered sync sees on every pass. */
  private firstTime(key: string, episode: string): boolean {
    if (this.episodes.get(key) === episode) return false;
    this.episodes.set(key, episode);
    return true;
  }

  /** A container created but never started (the kubelet stopped in between). */
  private async startCreated(pod: V1Pod, c: V1Container, id: string): Promise<void> {
    try {
      await this.cri.startContainer(id);
      this.events.container(pod, c.name, 'Normal', 'Started', `Started container ${c.name}`);
    } catch (e) {
      this.events.container(pod, c.name, 'Warning', 'Failed', `Error: ${criMessage(e)}`);
    }
  }

  private wakeAfter(uid: string, ms: number): void {
    setTimeout(() => this.o.wake(uid), Math.max(0, ms) + 50).unref();
  }

  /** Writes the pod's managed /etc/hosts (again before each container, as the kubelet does); its path, or undefined for none. */
  private writeEtcHosts(pod: V1Pod, podIP: string): string | undefined {
    const ips = podIP ? [podIP] : pod.spec?.hostNetwork ? [this.o.node.hostIP] : [];
    const content = etcHostsFor(pod, ips, this.o.sandbox.clusterDomain, () => readFileSync('/etc/hosts', 'utf8'));
    if (content === undefined) return undefined;
    const path = join(this.volumes.podDir(pod.metadata!.uid!), 'etc-hosts');
    writeFileSync(path, content, { mode: 0o644 });
    return path;
  }

  private async startContainer(ctx: StartContext, c: V1Container, init: boolean, restartCount: number): Promise<void> {
    if (ctx.volumes instanceof Error) throw ctx.volumes;
    const image = await this.ensureImage(c, ctx);
    const env = await resolveEnv(ctx.pod, c, ctx.podIP, this.o.node, this.o.objects);
    const uid = ctx.pod.metadata!.uid!;
    const msgDir = join(this.volumes.podDir(uid), 'containers', c.name);
    mkdirSync(msgDir, { recursive: true });
    const msgFile = join(msgDir, `termination-${restartCount}`);
    writeFileSync(msgFile, '', { mode: 0o666 });
    const config = containerConfig({
      pod: ctx.pod,
      container: c,
      init,
      restartCount,
      image,
      env,
      volumes: ctx.volumes,
      terminationMessageHostPath: msgFile,
      etcHostsHostPath: this.writeEtcHosts(ctx.pod, ctx.podIP),
    });
    const id = await this.cri.createContainer(ctx.sandboxId, config, ctx.sandboxConf);
    // upstream's wording: "Created container: NAME" but "Started container NAME"
    this.events.container(ctx.pod, c.name, 'Normal', 'Created', `Created container: ${c.name}`);
    await this.cri.startContainer(id).catch((e: unknown) => {
      throw withoutId(e, id, c.name);
    });
    this.events.container(ctx.pod, c.name, 'Normal', 'Started', `Started container ${c.name}`);
    const postStart = c.lifecycle?.postStart;
    if (postStart) {
      const r = await runHook(postStart, c, id, ctx.podIP, (cmd, t) => this.execOutput(id, cmd, t), ctx.pod.spec?.terminationGracePeriodSeconds ?? 30);
      if (!r.ok) {
        this.log.warn('postStart hook failed, killing container', { pod: ctx.pod.metadata?.name, container: c.name, message: r.message });
        this.events.container(ctx.pod, c.name, 'Warning', 'FailedPostStartHook', 'PostStartHook failed');
        this.events.container(ctx.pod, c.name, 'Normal', 'Killing', 'FailedPostStartHook');
        await this.cri.stopContainer(id, 0).catch(ignoreNotFound);
      }
    }
  }

  private async ensureImage(c: V1Container, ctx: StartContext): Promise<string> {
    const image = c.image ?? '';
    const policy = c.imagePullPolicy ?? defaultPullPolicy(image);
    const pod = ctx.pod;
    if (policy !== 'Always') {
      const present = await this.cri.imageStatus(image);
      if (present) {
        this.events.container(pod, c.name, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
        return present.id;
      }
      if (policy === 'Never') {
        const message = `Container image "${image}" is not present with pull policy of Never`;
        this.events.container(pod, c.name, 'Warning', 'ErrImageNeverPull', message);
        throw new ImagePullError(message, 'ErrImageNeverPull');
      }
    }
    // After a failed pull the next one waits out the back-off (ImagePullBackOff), as upstream.
    const pullKey = `${pod.metadata!.uid}/${c.name}#pull`;
    if (this.backoff.pendingUntil(pullKey) !== undefined) throw new ImagePullError(`Back-off pulling image "${image}"`, 'ImagePullBackOff');
    this.events.container(pod, c.name, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const started = Date.now();
    let ref: string;
    try {
      ref = await this.cri.pullImage(image, undefined, ctx.sandboxConf);
    } catch (e) {
      const message = `Failed to pull image "${image}": ${criMessage(e)}`;
      this.events.container(pod, c.name, 'Warning', 'Failed', message);
      this.backoff.next(pullKey);
      throw new ImagePullError(message, 'ErrImagePull');
    }
    this.backoff.reset(pullKey);
    const took = goDuration(Date.now() - started);
    const size = (await this.cri.imageStatus(ref).catch(() => null))?.size ?? '0';
    // No pull queue here: the time spent waiting is the pull time.
    this.events.container(
      pod,
      c.name,
      'Normal',
      'Pulled',
      `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${size} bytes.`,
    );
    return ref;
  }

  // ---- observation ----

  /** container name -> its attempts, newest first, with their CRI status. */
  private async observe(containers: Container[]): Promise<Map<string, Observed[]>> {
    const out = new Map<string, Observed[]>();
    const statuses = await Promise.all(
      containers.map((c) =>
        this.cri.containerStatus(c.id).then(
          (r) => r.status,
          () => null,
        ),
      ),
    );
    containers.forEach((container, i) => {
      const status = statuses[i];
      if (!status) return;
      const name = container.labels[L.CONTAINER_NAME] ?? '';
      const restartCount = Number(container.annotations[L.ANNOTATION_RESTART_COUNT] ?? container.metadata?.attempt ?? 0);
      const list = out.get(name) ?? [];
      list.push({ container, status, restartCount });
      out.set(name, list);
    });
    for (const list of out.values()) list.sort((a, b) => b.restartCount - a.restartCount || Number(BigInt(b.status.createdAt) - BigInt(a.status.createdAt)));
    return out;
  }

  private podFinished(pod: V1Pod, observed: Map<string, Observed[]>): boolean {
    const policy = pod.spec?.restartPolicy ?? 'Always';
    if (policy === 'Always') return false;
    const initFailed = (pod.spec?.initContainers ?? []).some((c) => {
      const l = observed.get(c.name)?.[0];
      return l?.status.state === 'CONTAINER_EXITED' && l.status.exitCode !== 0 && policy === 'Never';
    });
    if (initFailed) return true;
    return pod.spec!.containers.every((c) => {
      const l = observed.get(c.name)?.[0];
      return l?.status.state === 'CONTAINER_EXITED' && (policy === 'Never' || l.status.exitCode === 0);
    });
  }

  private terminationMessage(o: Observed, c: V1Container | undefined): string {
    const file = o.container.annotations[L.ANNOTATION_TERMINATION_MESSAGE_PATH];
    let msg = '';
    try {
      if (file && existsSync(file)) msg = readFileSync(file).subarray(0, MAX_TERMINATION_MESSAGE).toString();
    } catch {
      msg = '';
    }
    if (!msg && c?.terminationMessagePolicy === 'FallbackToLogsOnError' && o.status.exitCode !== 0 && o.status.logPath) {
      msg = tailLogLines(o.status.logPath, 80).slice(-MAX_TERMINATION_MESSAGE);
    }
    return msg;
  }

  private terminated(o: Observed, c: V1Container | undefined): V1ContainerState {
    const st = o.status;
    const message = this.terminationMessage(o, c);
    return {
      terminated: {
        exitCode: st.exitCode,
        reason: st.reason || (st.exitCode === 0 ? 'Completed' : 'Error'),
        ...(message ? { message } : {}),
        startedAt: criTime(st.startedAt) as unknown as Date,
        finishedAt: criTime(st.finishedAt) as unknown as Date,
        containerID: `containerd://${st.id}`,
      },
    };
  }

  private containerStatus(pod: V1Pod, c: V1Container, list: Observed[] | undefined, initialized: boolean, init: boolean): V1ContainerStatus {
    const key = `${pod.metadata!.uid}/${c.name}`;
    const latest = list?.[0];
    const previous = list?.[1];
    const waiting = this.waiting.get(key);
    let state: V1ContainerState;
    let ready = false;
    let started = false;
    if (latest?.status.state === 'CONTAINER_RUNNING') {
      state = { running: { startedAt: criTime(latest.status.startedAt) as unknown as Date } };
      const podWasReady = pod.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;
      ready = this.probes.readyAcrossRestart(latest.status.id, criMs(latest.status.startedAt), podWasReady);
      started = this.probes.started(latest.status.id);
      if (init) ready = false;
    } else if (waiting && !(latest?.status.state === 'CONTAINER_EXITED' && !this.willRestart(pod, latest))) {
      state = { waiting: { reason: waiting.reason, message: waiting.message } };
    } else if (latest?.status.state === 'CONTAINER_EXITED') {
      state = this.terminated(latest, c);
      if (init && latest.status.exitCode === 0) ready = true;
    } else {
      state = { waiting: { reason: initialized || init ? 'ContainerCreating' : 'PodInitializing' } };
    }
    const lastSource = latest?.status.state === 'CONTAINER_EXITED' && 'waiting' in state && state.waiting ? latest : previous;
    const status: V1ContainerStatus = {
      name: c.name,
      state,
      lastState: lastSource?.status.state === 'CONTAINER_EXITED' ? this.terminated(lastSource, c) : {},
      ready,
      restartCount: latest?.restartCount ?? 0,
      image: c.image ?? '',
      imageID: latest?.status.imageRef ?? '',
      started,
    };
    if (latest) status.containerID = `containerd://${latest.status.id}`;
    return status;
  }

  private willRestart(pod: V1Pod, o: Observed): boolean {
    const policy = pod.spec?.restartPolicy ?? 'Always';
    return policy === 'Always' || (policy === 'OnFailure' && o.status.exitCode !== 0);
  }

  private report(pod: V1Pod, observed: Map<string, Observed[]>, podIP: string, sandboxGone: boolean): RuntimePodStatus {
    const spec = pod.spec!;
    const policy = spec.restartPolicy ?? 'Always';
    const initStatuses = (spec.initContainers ?? []).map((c) => this.containerStatus(pod, c, observed.get(c.name), false, true));
    const initialized = (spec.initContainers ?? []).every((c) => {
      const l = observed.get(c.name)?.[0];
      return l?.status.state === 'CONTAINER_EXITED' && l.status.exitCode === 0;
    });
    const statuses = spec.containers.map((c) => this.containerStatus(pod, c, observed.get(c.name), initialized, false));
    const initFailed =
      policy === 'Never' &&
      (spec.initContainers ?? []).some((c) => {
        const l = observed.get(c.name)?.[0];
        return l?.status.state === 'CONTAINER_EXITED' && l.status.exitCode !== 0;
      });
    let phase: RuntimePodStatus['phase'] = 'Pending';
    if (initFailed) phase = 'Failed';
    else if (initialized) {
      const latest = spec.containers.map((c) => observed.get(c.name)?.[0]);
      const done = latest.every((l) => l?.status.state === 'CONTAINER_EXITED' && !this.willRestart(pod, l));
      if (done) phase = latest.every((l) => l!.status.exitCode === 0) ? 'Succeeded' : 'Failed';
      else if (latest.some((l) => l && (l.status.state === 'CONTAINER_RUNNING' || l.status.state === 'CONTAINER_EXITED'))) phase = 'Running';
    }
    return { phase, podIP: sandboxGone ? undefined : podIP || undefined, initialized, initContainerStatuses: initStatuses, containerStatuses: statuses };
  }
}

interface StartContext {
  pod: V1Pod;
  sandboxId: string;
  sandboxConf: ReturnType<typeof sandboxConfig>;
  podIP: string;
  volumes: Map<string, import('../volumes/volume-manager.ts').PreparedVolume> | ContainerConfigError;
}

export type ImagePullReason = 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull';

/** The image is not there to start the container; `reason` is the container's waiting reason. */
export class ImagePullError extends Error {
  readonly reason: ImagePullReason;
  constructor(message: string, reason: ImagePullReason) {
    super(message);
    this.reason = reason;
  }
}

/** An error as an event shows it: the runtime's own words, without our CRI call prefix. */
function criMessage(e: unknown): string {
  return e instanceof CriError && e.details ? e.details : (e as Error).message;
}

/** The runtime's error with the container's id replaced by its name: one event per failure kind, not per attempt (as upstream). */
function withoutId(e: unknown, id: string, name: string): unknown {
  return e instanceof CriError ? new CriError(e.method, e.code, e.details.replaceAll(id, name)) : e;
}

function probeName(kind: ProbeKind): string {
  return kind[0]!.toUpperCase() + kind.slice(1);
}

function ignoreNotFound(e: unknown): void {
  if (e instanceof CriError && e.notFound) return;
  throw e;
}
