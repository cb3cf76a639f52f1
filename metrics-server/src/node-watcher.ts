// The cluster's Nodes, kept by list and watch with nothing but what the scraper and the API
// need (name, labels, addresses, kubelet port): a full V1Node is several KiB, and 500 of them
// would weigh on the memory budget. A failed or ended watch lists again after a back-off
// (1 s doubling to 30 s; at once after a clean end).
import type { Logger } from '@skiff/common/log';
import type { ApiserverClient } from './apiserver-client.ts';

export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  addresses: { type: string; address: string }[];
  kubeletPort?: number;
}

interface NodeObject {
  metadata?: { name?: string; labels?: Record<string, string>; resourceVersion?: string };
  status?: { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
}

export function nodeInfo(n: NodeObject): NodeInfo {
  return {
    name: n.metadata?.name ?? '',
    labels: n.metadata?.labels ?? {},
    addresses: (n.status?.addresses ?? []).map((a) => ({ type: a.type, address: a.address })),
    kubeletPort: n.status?.daemonEndpoints?.kubeletEndpoint?.Port,
  };
}

export class NodeWatcher {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly api: ApiserverClient;
  private readonly log: Logger;
  private synced = false;
  private stopped = false;
  private delay = 1000;
  private timer?: NodeJS.Timeout;
  private abort?: () => void;

  constructor(api: ApiserverClient, log: Logger) {
    this.api = api;
    this.log = log;
  }

  list(): NodeInfo[] {
    return [...this.nodes.values()];
  }

  get(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves after the first successful list. */
  start(): Promise<void> {
    return new Promise((resolve) => {
      const run = async () => {
        if (this.stopped) return;
        try {
          const list = await this.api.get<{ metadata?: { resourceVersion?: string }; items?: NodeObject[] }>('/api/v1/nodes');
          this.nodes.clear();
          for (const n of list.items ?? []) this.nodes.set(n.metadata?.name ?? '', nodeInfo(n));
          this.synced = true;
          resolve();
          this.delay = 1000;
          await this.watch(list.metadata?.resourceVersion ?? '');
          this.timer = setTimeout(() => void run(), 0);
        } catch (e) {
          if (this.stopped) return;
          this.log.warn('node list/watch failed, retrying', { delayMs: this.delay, err: (e as Error).message });
          this.timer = setTimeout(() => void run(), this.delay);
          this.delay = Math.min(this.delay * 2, 30_000);
        }
      };
      void run();
    });
  }

  private watch(resourceVersion: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream = this.api.stream(`/api/v1/nodes?watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}`, (line) => {
        const ev = JSON.parse(line) as { type: string; object: NodeObject & { code?: number } };
        if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.nodes.set(ev.object.metadata?.name ?? '', nodeInfo(ev.object));
        else if (ev.type === 'DELETED') this.nodes.delete(ev.object.metadata?.name ?? '');
        else if (ev.type === 'ERROR') stream.close(new Error(`watch error ${ev.object.code ?? ''}: relisting`));
      });
      this.abort = () => stream.close();
      stream.done.then(resolve, reject);
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort?.();
  }
}
