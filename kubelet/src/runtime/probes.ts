// Liveness, readiness and startup probes (exec through CRI ExecSync, httpGet, tcpSocket),
// one timer loop per container and probe kind with the spec's timing fields. Results are
// read by the pod sync; a change wakes the pod's worker.
import net from 'node:net';
import http from 'node:http';
import https from 'node:https';
import type { V1Container, V1Probe } from '@kubernetes/client-node';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type ProbeResult = 'success' | 'failure' | 'unknown';

export interface ProbeTarget {
  containerId: string;
  /** the pod the container belongs to: loops are retained and dropped per pod */
  podUid: string;
  podIP: string;
  container: V1Container;
  /** when the container started (ms since epoch) */
  startedAt: number;
  exec(cmd: string[], timeoutSeconds: number): Promise<{ exitCode: number; output: string }>;
  /** every failed run, not only the one crossing the threshold (the kubelet's Unhealthy events) */
  onFailure?: (kind: ProbeKind, message: string) => void;
}

/** What a single probe run needs (lifecycle hooks share it). */
export type ProbeEndpoint = Pick<ProbeTarget, 'podIP' | 'container' | 'exec'>;

/** Runs one probe once: 'success' or 'failure' with a reason. */
export async function runProbe(probe: V1Probe, target: ProbeEndpoint): Promise<{ ok: boolean; message: string }> {
  const timeoutSeconds = probe.timeoutSeconds ?? 1;
  if (probe.exec) {
    try {
      const r = await target.exec(probe.exec.command ?? [], timeoutSeconds);
      return { ok: r.exitCode === 0, message: r.exitCode === 0 ? '' : `command exited ${r.exitCode}: ${r.output.slice(0, 200)}` };
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  }
  if (probe.httpGet) {
    const g = probe.httpGet;
    const port = resolvePort(g.port, target.container);
    const host = g.host || target.podIP;
    const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.33', Accept: '*/*' };
    for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
    return new Promise((resolve) => {
      const lib = g.scheme === 'HTTPS' ? https : http;
      const req = lib.request({ host, port, path: g.path || '/', method: 'GET', headers, timeout: timeoutSeconds * 1000, rejectUnauthorized: false }, (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve({ ok: code >= 200 && code < 400, message: `HTTP probe failed with statuscode: ${code}` });
      });
      req.on('timeout', () => req.destroy(new Error(`Get "http://${host}:${port}${g.path ?? '/'}": context deadline exceeded`)));
      req.on('error', (e) => resolve({ ok: false, message: e.message }));
      req.end();
    });
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port, target.container);
    const host = probe.tcpSocket.host || target.podIP;
    return new Promise((resolve) => {
      const sock = net.connect({ host, port, timeout: timeoutSeconds * 1000 });
      sock.on('connect', () => {
        sock.destroy();
        resolve({ ok: true, message: '' });
      });
      sock.on('timeout', () => {
        sock.destroy();
        resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
      });
      sock.on('error', (e) => resolve({ ok: false, message: e.message }));
    });
  }
  if (probe.grpc) return { ok: false, message: 'grpc probes are not supported by this kubelet' };
  return { ok: false, message: 'probe has no handler' };
}

/** A port number, or the number of the container port with that name. */
export function resolvePort(port: number | string | object, container: V1Container): number {
  if (typeof port === 'number') return port;
  const s = String(port);
  if (/^\d+$/.test(s)) return Number(s);
  const named = container.ports?.find((p) => p.name === s);
  if (!named) throw new Error(`port "${s}" is not a named port of container ${container.name}`);
  return named.containerPort;
}

class ProbeLoop {
  result: ProbeResult;
  lastMessage = '';
  /** the probe has run at least once */
  ran = false;
  private successes = 0;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly kind: ProbeKind;
  private readonly probe: V1Probe;
  private readonly target: ProbeTarget;
  private readonly gate: () => boolean;
  private readonly onChange: () => void;

  constructor(kind: ProbeKind, probe: V1Probe, target: ProbeTarget, gate: () => boolean, onChange: () => void) {
    this.kind = kind;
    this.probe = probe;
    this.target = target;
    this.gate = gate;
    this.onChange = onChange;
    // Readiness starts false, liveness starts passing (as in the kubelet).
    this.result = kind === 'liveness' ? 'success' : 'unknown';
    const delay = Math.max(0, target.startedAt + (probe.initialDelaySeconds ?? 0) * 1000 - Date.now());
    this.schedule(delay);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.gate()) {
      const r = await runProbe(this.probe, this.target);
      if (this.stopped) return;
      this.ran = true;
      this.lastMessage = r.message;
      if (r.ok) {
        this.successes++;
        this.failures = 0;
      } else {
        this.failures++;
        this.successes = 0;
        this.target.onFailure?.(this.kind, r.message);
      }
      let next = this.result;
      if (r.ok && this.successes >= (this.probe.successThreshold ?? 1)) next = 'success';
      if (!r.ok && this.failures >= (this.probe.failureThreshold ?? 3)) next = 'failure';
      if (next !== this.result) {
        this.result = next;
        this.onChange();
      }
      // A startup probe stops once it succeeded; liveness failure leads to a restart (new loop).
      if (this.kind === 'startup' && this.result === 'success') return;
    }
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }
}

interface ContainerProbes {
  podUid: string;
  startup?: ProbeLoop;
  liveness?: ProbeLoop;
  readiness?: ProbeLoop;
}

/** a container started this long before the kubelet ran before it (upstream's kubeletRestartGracePeriod) */
export const KUBELET_RESTART_GRACE_MS = 10_000;

export class ProbeManager {
  private readonly byContainer = new Map<string, ContainerProbes>();
  /** when this kubelet started probing */
  private readonly since: number;

  constructor(now = Date.now()) {
    this.since = now;
  }

  /** Starts the probe loops of a running container once (keyed by container id). */
  ensure(target: ProbeTarget, onChange: () => void): void {
    if (this.byContainer.has(target.containerId)) return;
    const c = target.container;
    const probes: ContainerProbes = { podUid: target.podUid };
    const started = () => !probes.startup || probes.startup.result === 'success';
    if (c.startupProbe) probes.startup = new ProbeLoop('startup', c.startupProbe, target, () => true, onChange);
    if (c.livenessProbe) probes.liveness = new ProbeLoop('liveness', c.livenessProbe, target, started, onChange);
    if (c.readinessProbe) probes.readiness = new ProbeLoop('readiness', c.readinessProbe, target, started, onChange);
    this.byContainer.set(target.containerId, probes);
  }

  /** started per the startup probe (true without one). */
  started(containerId: string): boolean {
    const p = this.byContainer.get(containerId);
    return !p?.startup || p.startup.result === 'success';
  }

  /** ready per the readiness probe (true without one, once started). */
  ready(containerId: string): boolean {
    const p = this.byContainer.get(containerId);
    if (!p) return false;
    if (!this.started(containerId)) return false;
    return !p.readiness || p.readiness.result === 'success';
  }

  /**
   * Ready across a kubelet restart, as the upstream prober's setReadyStateOnKubeletRestart: a
   * container that ran before this kubelet started (KUBELET_RESTART_GRACE_MS before it) and
   * whose readiness probe has not run here yet keeps the state its pod had, Ready when the pod's
   * Ready condition is True, instead of flapping to not ready until the first probe (which
   * emptied a Service's endpoints on every kubelet restart). Once the probe ran, it decides.
   */
  readyAcrossRestart(containerId: string, containerStartedAt: number, podWasReady: boolean): boolean {
    if (this.ready(containerId)) return true;
    if (!containerStartedAt || containerStartedAt >= this.since - KUBELET_RESTART_GRACE_MS) return false;
    const p = this.byContainer.get(containerId);
    if (p && !this.started(containerId)) return false;
    return !p?.readiness?.ran && podWasReady;
  }

  /** A failed liveness or startup probe: the container must be restarted. */
  failed(containerId: string): { kind: ProbeKind; message: string } | undefined {
    const p = this.byContainer.get(containerId);
    if (p?.startup?.result === 'failure') return { kind: 'startup', message: p.startup.lastMessage };
    if (p?.liveness?.result === 'failure') return { kind: 'liveness', message: p.liveness.lastMessage };
    return undefined;
  }

  remove(containerId: string): void {
    const p = this.byContainer.get(containerId);
    if (!p) return;
    p.startup?.stop();
    p.liveness?.stop();
    p.readiness?.stop();
    this.byContainer.delete(containerId);
  }

  /** Stops the loops of the pod's containers that are not in `live` (other pods' loops stay). */
  retainPod(podUid: string, live: Set<string>): void {
    for (const [id, p] of [...this.byContainer]) if (p.podUid === podUid && !live.has(id)) this.remove(id);
  }

  /** Stops every loop (runtime shutdown). */
  clear(): void {
    for (const id of [...this.byContainer.keys()]) this.remove(id);
  }
}
