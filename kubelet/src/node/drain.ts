// Graceful node shutdown, Skiff's design (--drain-on-shutdown): on SIGTERM the kubelet cordons
// its Node, evicts its pods through the eviction API and waits for them to be gone, within
// --shutdown-grace-period, before it stops.
//
// Upstream's GracefulNodeShutdown differs on purpose: it holds a systemd inhibitor lock, hears
// of the machine's shutdown from logind, and kills the pods itself (phase Failed, condition
// DisruptionTarget reason TerminationByKubelet), which no PodDisruptionBudget can refuse. Here
// the eviction API decides: a budget's 429 is retried with back-off until the budget of time
// ends, and a pod it protects is left running rather than broken. The evicted pods are
// deleted with their grace period; this kubelet's own pod workers then kill their containers
// (honouring terminationGracePeriodSeconds) and remove them from the API, as for any delete.
//
// The cordon is marked as the kubelet's own (SHUTDOWN_CORDON_ANNOTATION) unless the node was
// cordoned already; the kubelet lifts only its own cordon when it starts again (NodeAgent), so
// that `systemctl restart` moves the pods but leaves the node in service, while a cordon an
// admin set (kubectl drain before maintenance) stays until kubectl uncordon.
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { Logger } from '@skiff/common';
import { apiFailure, mergePatch } from '../api/client.ts';
import type { EventWriter } from '../pods/events.ts';
import { drainPlan, evictionGraceSeconds, podKey } from './drain-plan.ts';

export interface NodeDrainerOptions {
  nodeName: string;
  core: CoreV1Api;
  /** the pods bound to this node that the API still has (the kubelet's informer) */
  boundPods: () => readonly V1Pod[];
  events?: EventWriter;
  log: Logger;
  /** first wait before asking again after a refused eviction; doubles up to retryMaxMs */
  retryInitialMs?: number;
  /** kubectl drain asks again every 5 s */
  retryMaxMs?: number;
  /** how often the drain looks whether the evicted pods are gone */
  pollMs?: number;
}

export interface DrainResult {
  /** pods evicted (namespace/name) */
  evicted: string[];
  /** pods still on the node when the drain ended, with the last reason */
  left: { pod: string; reason: string }[];
  /** pods not evicted by design (mirror, DaemonSet, finished) */
  skipped: { pod: string; reason: string }[];
  /** why the drain ended before every pod was gone */
  cutShort?: 'budget' | 'signal';
  ms: number;
}

/** On a Node the kubelet cordoned for its shutdown: lifted when it starts again. */
export const SHUTDOWN_CORDON_ANNOTATION = 'skiff.io/shutdown-cordon';

interface Refusal {
  reason: string;
  attempts: number;
  nextAt: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** The message of a failed API call: the Status's message and causes when the body is one. */
function failureMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  try {
    const s = JSON.parse(String(body)) as { message?: string; details?: { causes?: { message?: string }[] } };
    const causes = (s.details?.causes ?? []).map((c) => c.message).filter(Boolean);
    if (s.message) return causes.length ? `${s.message} (${causes.join('; ')})` : s.message;
  } catch {
    /* not a Status */
  }
  return (err as Error).message ?? String(err);
}

export class NodeDrainer {
  private readonly o: NodeDrainerOptions;

  constructor(o: NodeDrainerOptions) {
    this.o = o;
  }

  private get nodeRef() {
    // the kubelet refers to its Node with the node name as uid, as upstream's kubelet does
    return { apiVersion: 'v1', kind: 'Node', name: this.o.nodeName, uid: this.o.nodeName };
  }

  /**
   * kubectl cordon: spec.unschedulable (the node lifecycle controller adds the taint
   * node.kubernetes.io/unschedulable, which NodeRestriction would not let a kubelet set).
   */
  private async cordon(): Promise<void> {
    const node = await this.o.core.readNode({ name: this.o.nodeName });
    if (node.spec?.unschedulable) {
      this.o.log.info('node cordoned already: it stays cordoned when the kubelet starts again');
      return;
    }
    const body = { metadata: { annotations: { [SHUTDOWN_CORDON_ANNOTATION]: new Date().toISOString() } }, spec: { unschedulable: true } };
    await this.o.core.patchNode({ name: this.o.nodeName, body }, mergePatch);
  }

  /** Evicts one pod; true once it is evicted (or already gone). */
  private async evict(pod: V1Pod, remainingMs: number, refusals: Map<string, Refusal>): Promise<boolean> {
    const m = pod.metadata!;
    const key = podKey(pod);
    const grace = evictionGraceSeconds(pod, remainingMs);
    try {
      await this.o.core.createNamespacedPodEviction({
        name: m.name!,
        namespace: m.namespace!,
        body: {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: m.name!, namespace: m.namespace! },
          deleteOptions: { gracePeriodSeconds: grace, preconditions: { uid: m.uid } },
        },
      });
      this.o.log.info('evicted pod', { pod: key, grace });
      return true;
    } catch (e) {
      const code = apiFailure(e)?.code;
      if (code === 404) return true;
      const prev = refusals.get(m.uid!);
      const attempts = (prev?.attempts ?? 0) + 1;
      const delay = Math.min(this.o.retryMaxMs ?? 5000, (this.o.retryInitialMs ?? 1000) * 2 ** (attempts - 1));
      const reason = failureMessage(e);
      refusals.set(m.uid!, { reason, attempts, nextAt: Date.now() + delay });
      // a budget's 429 is expected and retried; say it once, then at debug level
      const level = attempts === 1 || code !== 429 ? 'info' : 'debug';
      this.o.log[level]('eviction refused, asking again later', { pod: key, code, reason, retryInMs: delay });
      return false;
    }
  }

  /**
   * Cordons the node, evicts its pods and waits for them to be gone, until every one is gone,
   * `budgetMs` has passed, or `signal` aborts. Never throws for an API failure: a shutdown goes on.
   */
  async drain(budgetMs: number, signal: AbortSignal): Promise<DrainResult> {
    const started = Date.now();
    const deadline = started + budgetMs;
    try {
      await this.cordon();
    } catch (e) {
      this.o.log.warn('could not cordon the node; evicting anyway', { err: failureMessage(e) });
    }
    const first = drainPlan(this.o.boundPods());
    const skipped = first.skipped.map((s) => ({ pod: podKey(s.pod), reason: s.reason }));
    const toGo = first.evict.length + first.terminating.length;
    this.o.log.info('draining the node before the kubelet stops', {
      evict: first.evict.map(podKey),
      terminating: first.terminating.map(podKey),
      skipped: skipped.map((s) => `${s.pod} (${s.reason})`),
      budgetMs,
    });
    this.o.events?.event(
      this.nodeRef,
      'Normal',
      'Shutdown',
      `Kubelet is stopping (--drain-on-shutdown): node cordoned, ${toGo} pod(s) to go within ${Math.round(budgetMs / 1000)}s`,
    );

    // by uid: a pod of the same name bound here later is another pod
    const evicted = new Map<string, string>();
    const refusals = new Map<string, Refusal>();
    let waiting: V1Pod[] = [];
    let cutShort: DrainResult['cutShort'];
    for (;;) {
      // planned again each round: a pod bound to the node meanwhile goes too
      const plan = drainPlan(this.o.boundPods());
      const now = Date.now();
      const due = plan.evict.filter((p) => !evicted.has(p.metadata!.uid!) && (refusals.get(p.metadata!.uid!)?.nextAt ?? 0) <= now);
      const results = await Promise.all(due.map((p) => this.evict(p, deadline - now, refusals)));
      due.forEach((p, i) => {
        if (results[i]) {
          evicted.set(p.metadata!.uid!, podKey(p));
          refusals.delete(p.metadata!.uid!);
        }
      });
      waiting = [...plan.evict, ...plan.terminating];
      if (!waiting.length) break;
      if (signal.aborted) {
        cutShort = 'signal';
        break;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        cutShort = 'budget';
        break;
      }
      await sleep(Math.min(this.o.pollMs ?? 250, left), signal);
    }

    const left = waiting.map((p) => {
      const uid = p.metadata!.uid!;
      const reason = refusals.get(uid)?.reason ?? (evicted.has(uid) || p.metadata?.deletionTimestamp ? 'still terminating' : 'not evicted yet');
      return { pod: podKey(p), reason };
    });
    const result: DrainResult = { evicted: [...evicted.values()].sort(), left, skipped, ...(cutShort ? { cutShort } : {}), ms: Date.now() - started };
    if (cutShort) {
      const why = cutShort === 'budget' ? `the ${Math.round(budgetMs / 1000)}s budget (--shutdown-grace-period) ended` : 'a second signal';
      this.o.log.warn('drain incomplete, stopping anyway', {
        cutShort,
        left: left.map((l) => `${l.pod}: ${l.reason}`),
        evicted: result.evicted,
        ms: result.ms,
      });
      this.o.events?.event(
        this.nodeRef,
        'Warning',
        'DrainIncomplete',
        `Kubelet stopped before its pods were gone (${why}); left: ${left.map((l) => `${l.pod} (${l.reason})`).join(', ')}`,
      );
    } else {
      this.o.log.info('drained the node', { evicted: result.evicted, ms: result.ms });
      this.o.events?.event(this.nodeRef, 'Normal', 'Drained', `Kubelet drained the node before stopping: ${result.evicted.length} pod(s) evicted`);
    }
    return result;
  }
}
