// Pod startup latency as Kubernetes' SLO (and clusterloader2's PodStartupLatency) defines it:
// from the pod's creationTimestamp to the moment a watch shows it Running. creationTimestamp
// has whole seconds, so each figure may be up to 1 s longer than the real one, as upstream's.
// The time from the first watch event of the pod (its creation as this process saw it) is kept
// beside it, to the millisecond.

interface PodTimes {
  /** creationTimestamp (ms since the epoch, whole seconds) */
  created: number;
  /** when this process first saw the pod */
  firstSeen: number;
  bound?: number;
  running?: number;
}

interface WatchEvent {
  type?: string;
  object?: {
    metadata?: { namespace?: string; name?: string; creationTimestamp?: string };
    spec?: { nodeName?: string };
    status?: { phase?: string };
  };
}

export interface StartupFigures {
  pods: number;
  running: number;
  /** creation to Running, ms */
  fromCreation: number[];
  /** first watch event to Running, ms */
  fromFirstSight: number[];
  /** first watch event to bound, ms */
  toBind: number[];
}

export class PodStartupTracker {
  private readonly pods = new Map<string, PodTimes>();

  /** One line of a pods watch (all namespaces); `now` is when it arrived. */
  observeLine(line: string, now = Date.now()): void {
    let ev: WatchEvent;
    try {
      ev = JSON.parse(line) as WatchEvent;
    } catch {
      return;
    }
    const m = ev.object?.metadata;
    if (!m?.name || !m.namespace || ev.type === 'DELETED' || ev.type === 'BOOKMARK') return;
    const key = `${m.namespace}/${m.name}`;
    let t = this.pods.get(key);
    if (!t) {
      t = { created: Date.parse(m.creationTimestamp ?? '') || now, firstSeen: now };
      this.pods.set(key, t);
    }
    if (ev.object?.spec?.nodeName) t.bound ??= now;
    if (ev.object?.status?.phase === 'Running') t.running ??= now;
  }

  /** How many pods of namespaces starting with `prefix` are Running. */
  running(prefix: string): number {
    let n = 0;
    for (const [key, t] of this.pods) if (key.startsWith(prefix) && t.running !== undefined) n++;
    return n;
  }

  figures(prefix: string): StartupFigures {
    const out: StartupFigures = { pods: 0, running: 0, fromCreation: [], fromFirstSight: [], toBind: [] };
    for (const [key, t] of this.pods) {
      if (!key.startsWith(prefix)) continue;
      out.pods++;
      if (t.bound !== undefined) out.toBind.push(t.bound - t.firstSeen);
      if (t.running === undefined) continue;
      out.running++;
      out.fromCreation.push(t.running - t.created);
      out.fromFirstSight.push(t.running - t.firstSeen);
    }
    return out;
  }
}
