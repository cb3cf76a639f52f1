// The cluster's pods as the PodMetrics API needs them (namespace, name, labels), kept by list
// and watch as metrics-server keeps a metadata informer of pods. Before, every PodMetrics list
// read the pods' metadata from the apiserver: at 5,000 pods one body of several MiB, parsed at
// once, the metrics server's peak of memory. A field selector other than metadata.name and
// metadata.namespace (what upstream filters its cache on) is still answered by the apiserver.
import { parseFieldSelector } from '@skiff/common/apimachinery/field-selector';
import { parseSelector, SelectorError } from '@skiff/common/apimachinery/label-selector';
import { ApiError } from '@skiff/common/apimachinery/status';
import type { Logger } from '@skiff/common/log';
import type { PodMeta } from './api.ts';
import { METADATA_LIST, type ApiserverClient } from './apiserver-client.ts';
import { ListWatchCache, type WatchedObject } from './list-watch.ts';

export function podMeta(o: WatchedObject): PodMeta {
  const m = o.metadata ?? {};
  return { name: m.name ?? '', namespace: m.namespace ?? '', ...(m.labels && Object.keys(m.labels).length ? { labels: m.labels } : {}) };
}

/**
 * The pods of `namespace` (all if absent) that match both selectors, by namespace and name;
 * undefined when the field selector names another field than metadata.name or metadata.namespace.
 */
export function selectPods(
  pods: Iterable<PodMeta>,
  namespace: string | undefined,
  labelSelector: string | undefined,
  fieldSelector: string | undefined,
): PodMeta[] | undefined {
  const fields = parseFieldSelector(fieldSelector ?? '');
  if (fields.requirements.some((r) => r.field !== 'metadata.name' && r.field !== 'metadata.namespace')) return undefined;
  const labels = labelSelector ? parseSelector(labelSelector) : undefined;
  const out: PodMeta[] = [];
  for (const p of pods) {
    if (namespace && p.namespace !== namespace) continue;
    if (labels && !labels.matches(p.labels ?? {})) continue;
    if (!fields.isEmpty() && !fields.matches({ 'metadata.name': p.name, 'metadata.namespace': p.namespace })) continue;
    out.push(p);
  }
  return out.sort((a, b) => (a.namespace === b.namespace ? (a.name < b.name ? -1 : 1) : a.namespace < b.namespace ? -1 : 1));
}

export class PodCache extends ListWatchCache<PodMeta> {
  private readonly api: ApiserverClient;

  constructor(api: ApiserverClient, log: Logger, pageSize?: number) {
    // lists as metadata only; the watch sends whole pods, one at a time, of which the same is kept
    super({ api, path: '/api/v1/pods', listAccept: METADATA_LIST, pick: podMeta, log, ...(pageSize ? { pageSize } : {}) });
    this.api = api;
  }

  /** Pods' metadata from the cache, or from the apiserver for what the cache cannot select on. */
  async select(namespace: string | undefined, labelSelector: string | undefined, fieldSelector: string | undefined): Promise<PodMeta[]> {
    let cached: PodMeta[] | undefined;
    try {
      cached = this.hasSynced() ? selectPods(this.list(), namespace, labelSelector, fieldSelector) : undefined;
    } catch (e) {
      if (e instanceof SelectorError) throw new ApiError(400, 'BadRequest', e.message);
      throw e;
    }
    return cached ?? this.api.listPods(namespace, labelSelector, fieldSelector);
  }
}
