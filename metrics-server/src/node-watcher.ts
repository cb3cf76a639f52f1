// The cluster's Nodes, kept by list and watch (list-watch.ts) with nothing but what the scraper
// and the API need (name, labels, addresses, kubelet port): a full V1Node is several KiB, and
// 500 of them would weigh on the memory budget.
import type { Logger } from '@skiff/common/log';
import type { ApiserverClient } from './apiserver-client.ts';
import { ListWatchCache, type WatchedObject } from './list-watch.ts';

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

export class NodeWatcher extends ListWatchCache<NodeInfo> {
  constructor(api: ApiserverClient, log: Logger) {
    super({ api, path: '/api/v1/nodes', pick: (o: WatchedObject) => nodeInfo(o as NodeObject), log });
  }
}
