// The collector's monitors: one informer per served resource it can list, watch and delete,
// kept in step with discovery as kube's GraphBuilder.syncMonitors does it: a resource that
// appears (a CRD created later, an aggregated group back up) gets a monitor, one that vanished
// (its CRD deleted) has its monitor stopped; the others, and the graph they built, stay.
import type { Informer } from '@skiff/common';
import type { InformerSet } from './context.ts';
import { type ApiResource, collectionPath, hasVerbs } from './discovery.ts';

/** Events come in great numbers and own nothing; Kubernetes skips them too. */
const IGNORED = new Set(['events', 'events.events.k8s.io']);

export function monitorable(r: ApiResource): boolean {
  return hasVerbs(r, 'list', 'watch', 'delete') && !IGNORED.has(r.group ? `${r.resource}.${r.group}` : r.resource);
}

/** Hands a new monitor's informer to its user; `live()` turns false once the monitor is stopped. */
export type AttachMonitor = (informer: Informer<any>, resource: ApiResource, live: () => boolean) => void;

interface Monitor {
  resource: ApiResource;
  informer: Informer<any>;
  live: boolean;
}

export class ResourceMonitors {
  private readonly informers: InformerSet;
  private readonly list: (r: ApiResource) => () => Promise<any>;
  private readonly attach: AttachMonitor;
  private readonly wanted: (r: ApiResource) => boolean;
  /** by collection path, which names group, version and resource */
  private readonly monitors = new Map<string, Monitor>();

  /** `wanted`: which served resources get a monitor (the collector's choice by default) */
  constructor(informers: InformerSet, list: (r: ApiResource) => () => Promise<any>, attach: AttachMonitor, wanted: (r: ApiResource) => boolean = monitorable) {
    this.informers = informers;
    this.list = list;
    this.attach = attach;
    this.wanted = wanted;
  }

  /** Starts monitors for the wanted resources not watched yet, stops those not served any more. */
  sync(resources: readonly ApiResource[]): { added: ApiResource[]; removed: ApiResource[] } {
    const wanted = new Map(resources.filter(this.wanted).map((r) => [collectionPath(r), r]));
    const added: ApiResource[] = [];
    const removed: ApiResource[] = [];
    for (const [path, m] of this.monitors) {
      if (wanted.has(path)) continue;
      // a shared informer may outlive us (others use it): our handlers must go quiet regardless
      m.live = false;
      this.informers.drop(m.informer, path);
      this.monitors.delete(path);
      removed.push(m.resource);
    }
    for (const [path, r] of wanted) {
      if (this.monitors.has(path)) continue;
      const m: Monitor = { resource: r, informer: this.informers.on<any>(path, this.list(r)), live: true };
      this.monitors.set(path, m);
      this.attach(m.informer, r, () => m.live);
      added.push(r);
    }
    return { added, removed };
  }

  size(): number {
    return this.monitors.size;
  }
}

/**
 * Runs `sync` every `periodMs`, skipping a tick while the previous sync still runs (a discovery
 * that hangs on a dead apiserver must not pile syncs up). The returned stop waits for a running one.
 */
export function everyPeriod(sync: () => Promise<void>, periodMs: number): () => Promise<void> {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= sync().finally(() => {
      running = undefined;
    });
  }, periodMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
