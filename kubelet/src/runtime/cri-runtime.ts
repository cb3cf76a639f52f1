// The CRI runtime: each syncPod call reads the pod's sandboxes and containers back from
// containerd (labels carry the pod UID) and takes the next steps toward the spec, so a
// restarted kubelet adopts what runs instead of starting it again.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Container, V1ContainerState, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { createLogger, type Logger } from '@skiff/common';
import { CriClient, CriError } from '../cri/client.ts';
import type { Container, ContainerStatus, PodSandbox } from '../cri/types.ts';
import type { PodObjectSource } from '../api/objects.ts';
import { ContainerConfigError, resolveEnv } from '../pods/env.ts';
import type { NodeFacts } from '../pods/field-paths.ts';
import { VolumeManager } from '../volumes/volume-manager.ts';
import { Backoff } from './backoff.ts';
import { containerConfig, sandboxConfig, type SandboxSettings } from './cri-configs.ts';
import { runHook } from './hooks.ts';
import type { PodRuntime, RuntimePodStatus } from './interface.ts';
import * as L from './labels.ts';
import { ProbeManager } from './probes.ts';
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
  logger?: Logger;
}

interface Observed { container: Container; status: ContainerStatus; restartCount: number }
interface Waiting { reason: string; message: string }

const MAX_TERMINATION_MESSAGE = 4096;

export function criTime(ns: string | undefined): string | undefined {
  if (!ns || ns === '0') return undefined;
  const ms = Number(BigInt(ns) / 1_000_000n);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
function criMs(ns: string | undefined): number { return ns && ns !== '0' ? Number(BigInt(ns) / 1_000_000n) : 0; }

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
  private readonly log: Logger;

  constructor(o: CriRuntimeOptions) {
    this.o = o;
    this.cri = o.cri;
    this.backoff = o.backoff ?? new Backoff();
    this.log = o.logger ?? createLogger('kubelet-cri');
    this.volumes = new VolumeManager(o.rootDir, o.objects, o.node);
  }

  async version(): Promise<{ runtimeName: string; runtimeVersion: string }> {
    const v = await this.cri.version();
    return { runtimeName: v.runtimeName, runtimeVersion: v.runtimeVersion };
  }

  close(): void { this.probes.clear(); this.cri.close(); }

  forget(uid: string): void {
    this.probes.retainPod(uid, new Set());
    this.backoff.forgetPrefix(`${uid}/`);
    for (const k of [...this.waiting.keys()]) if (k.startsWith(`${uid}/`)) this.waiting.delete(k);
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
        throw new Error('network is not ready: the pod network (CNI config for the node\'s podCIDR) is not configured yet');
      }
      for (const old of sandboxes) await this.removeSandbox(old.id, allContainers.filter((c) => c.podSandboxId === old.id));
      const config = sandboxConfig(pod, sandboxes.length, this.o.sandbox);
      mkdirSync(config.logDirectory!, { recursive: true });
      const id = await this.cri.runPodSandbox(config);
      sandbox = { id, metadata: config.metadata, state: 'SANDBOX_READY', createdAt: '0', labels: config.labels!, annotations: config.annotations!, runtimeHandler: '' };
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
        if (!latest) { await this.startWithBackoff(ctx, c, false, undefined); continue; }
        // Keep the latest two attempts (status and `logs --previous`), remove older ones.
        for (const old of list.slice(2)) await this.cri.removeContainer(old.container.id).catch(ignoreNotFound);
        const st = latest.status;
        if (st.state === 'CONTAINER_RUNNING') {
          this.probes.ensure({
            containerId: st.id, podUid: uid, podIP, container: c, startedAt: criMs(st.startedAt),
            exec: (cmd, t) => this.execOutput(st.id, cmd, t),
          }, () => this.o.wake(uid));
          if (criMs(st.startedAt) && Date.now() - criMs(st.startedAt) > this.backoff.resetAfterMs) this.backoff.reset(`${uid}/${c.name}`);
          const failed = this.probes.failed(st.id);
          if (failed) {
            this.log.info('probe failed, killing container', { pod: pod.metadata?.name, container: c.name, probe: failed.kind, message: failed.message });
            this.probes.remove(st.id);
            await this.stopContainer(pod, c, st.id, podIP, spec.terminationGracePeriodSeconds ?? 30);
          }
          continue;
        }
        if (st.state === 'CONTAINER_CREATED') { await this.cri.startContainer(st.id).catch(() => undefined); continue; }
        if (st.state === 'CONTAINER_EXITED') {
          this.probes.remove(st.id);
          const restart = policy === 'Always' || (policy === 'OnFailure' && st.exitCode !== 0);
          if (restart) await this.startWithBackoff(ctx, c, false, latest);
        }
      }
    }
    const after = await this.observe(await this.cri.listContainers({ labelSelector: { [L.POD_UID]: uid }, podSandboxId: sandbox.id }));
    this.probes.retainPod(uid, new Set([...after.values()].flat().filter((o) => o.status.state === 'CONTAINER_RUNNING').map((o) => o.status.id)));
    return this.report(pod, after, podIP, false);
  }

  async killPod(uid: string, pod: V1Pod | undefined, gracePeriodSeconds: number): Promise<void> {
    const sandboxes = await this.cri.listPodSandbox({ labelSelector: { [L.POD_UID]: uid } });
    const containers = await this.cri.listContainers({ labelSelector: { [L.POD_UID]: uid } });
    const podIP = sandboxes.length ? (await this.cri.podSandboxStatus(sandboxes[0]!.id).catch(() => null))?.status?.network?.ip ?? '' : '';
    const deadline = Date.now() + gracePeriodSeconds * 1000;
    await Promise.all(containers.filter((c) => c.state === 'CONTAINER_RUNNING').map(async (c) => {
      const spec = pod?.spec?.containers.find((x) => x.name === c.labels[L.CONTAINER_NAME]) ?? pod?.spec?.initContainers?.find((x) => x.name === c.labels[L.CONTAINER_NAME]);
      this.probes.remove(c.id);
      const remaining = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      if (spec) await this.stopContainer(pod!, spec, c.id, podIP, remaining);
      else await this.cri.stopContainer(c.id, remaining).catch(ignoreNotFound);
    }));
    for (const s of sandboxes) await this.removeSandbox(s.id, containers.filter((c) => c.podSandboxId === s.id));
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
  private async stopContainer(pod: V1Pod, c: V1Container, id: string, podIP: string, graceSeconds: number): Promise<void> {
    const started = Date.now();
    const preStop = c.lifecycle?.preStop;
    if (preStop && graceSeconds > 0) {
      const r = await runHook(preStop, c, id, podIP, (cmd, t) => this.execOutput(id, cmd, t), graceSeconds);
      if (!r.ok) this.log.warn('preStop hook failed', { pod: pod.metadata?.name, container: c.name, message: r.message });
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
        this.waiting.set(key, { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.name} pod=${ctx.pod.metadata?.name}_${ctx.pod.metadata?.namespace}(${uid})` });
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
      const w = this.waiting.get(key);
      if (e instanceof ImagePullError) {
        const pullKey = `${key}#pull`;
        const inBackoff = w?.reason === 'ErrImagePull' || w?.reason === 'ImagePullBackOff';
        const delay = this.backoff.next(pullKey);
        this.waiting.set(key, { reason: inBackoff ? 'ImagePullBackOff' : 'ErrImagePull', message: inBackoff ? `Back-off pulling image "${c.image}"` : e.message });
        this.wakeAfter(uid, delay);
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

  private wakeAfter(uid: string, ms: number): void {
    setTimeout(() => this.o.wake(uid), Math.max(0, ms) + 50).unref();
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
    const config = containerConfig({ pod: ctx.pod, container: c, init, restartCount, image, env, volumes: ctx.volumes, terminationMessageHostPath: msgFile });
    const id = await this.cri.createContainer(ctx.sandboxId, config, ctx.sandboxConf);
    await this.cri.startContainer(id);
    const postStart = c.lifecycle?.postStart;
    if (postStart) {
      const r = await runHook(postStart, c, id, ctx.podIP, (cmd, t) => this.execOutput(id, cmd, t), ctx.pod.spec?.terminationGracePeriodSeconds ?? 30);
      if (!r.ok) {
        this.log.warn('postStart hook failed, killing container', { pod: ctx.pod.metadata?.name, container: c.name, message: r.message });
        await this.cri.stopContainer(id, 0).catch(ignoreNotFound);
      }
    }
  }

  private async ensureImage(c: V1Container, ctx: StartContext): Promise<string> {
    const image = c.image ?? '';
    const policy = c.imagePullPolicy ?? defaultPullPolicy(image);
    if (policy !== 'Always') {
      const present = await this.cri.imageStatus(image);
      if (present) return present.id;
      if (policy === 'Never') throw new ImagePullError(`Container image "${image}" is not present with pull policy of Never`);
    }
    try {
      return await this.cri.pullImage(image, undefined, ctx.sandboxConf);
    } catch (e) {
      throw new ImagePullError(`Failed to pull image "${image}": ${(e as Error).message}`);
    }
  }

  // ---- observation ----

  /** container name -> its attempts, newest first, with their CRI status. */
  private async observe(containers: Container[]): Promise<Map<string, Observed[]>> {
    const out = new Map<string, Observed[]>();
    const statuses = await Promise.all(containers.map((c) => this.cri.containerStatus(c.id).then((r) => r.status, () => null)));
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
    const initFailed = (pod.spec?.initContainers ?? []).some((c) => { const l = observed.get(c.name)?.[0]; return l?.status.state === 'CONTAINER_EXITED' && l.status.exitCode !== 0 && policy === 'Never'; });
    if (initFailed) return true;
    return pod.spec!.containers.every((c) => {
      const l = observed.get(c.name)?.[0];
      return l?.status.state === 'CONTAINER_EXITED' && (policy === 'Never' || l.status.exitCode === 0);
    });
  }

  private terminationMessage(o: Observed, c: V1Container | undefined): string {
    const file = o.container.annotations[L.ANNOTATION_TERMINATION_MESSAGE_PATH];
    let msg = '';
    try { if (file && existsSync(file)) msg = readFileSync(file).subarray(0, MAX_TERMINATION_MESSAGE).toString(); } catch { msg = ''; }
    if (!msg && (c?.terminationMessagePolicy === 'FallbackToLogsOnError') && o.status.exitCode !== 0 && o.status.logPath) {
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
      ready = this.probes.ready(latest.status.id);
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
    const initialized = (spec.initContainers ?? []).every((c) => { const l = observed.get(c.name)?.[0]; return l?.status.state === 'CONTAINER_EXITED' && l.status.exitCode === 0; });
    const statuses = spec.containers.map((c) => this.containerStatus(pod, c, observed.get(c.name), initialized, false));
    const initFailed = policy === 'Never' && (spec.initContainers ?? []).some((c) => { const l = observed.get(c.name)?.[0]; return l?.status.state === 'CONTAINER_EXITED' && l.status.exitCode !== 0; });
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

export class ImagePullError extends Error {}

function ignoreNotFound(e: unknown): void {
  if (e instanceof CriError && e.notFound) return;
  throw e;
}
