// What the autoscaler reads and writes through the apiserver besides informers: the target's
// scale subresource (any kind that serves one, found by discovery) and pod samples from the
// metrics APIs behind the aggregator (metrics.k8s.io for resources, custom.metrics.k8s.io for
// Pods metrics), as upstream's scale client and REST metrics client do.
import type { KubeConfig } from '@kubernetes/client-node';
import { callJson } from '@skiff/common/bootstrap/http';
import { parseGoDurationSeconds } from '@skiff/common/go-duration';
import { milliOf, type PodSamples } from './replica-calculator.ts';

export interface Scale {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; resourceVersion?: string; uid?: string };
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

export interface TargetRef {
  apiVersion?: string;
  kind: string;
  name: string;
}

/** Go's time.Duration text as metrics.k8s.io writes a window (15s, 1m0s, 1.5s, 500ms); 0 if not one. */
function durationMs(text: unknown): number {
  return typeof text === 'string' ? (parseGoDurationSeconds(text) ?? 0) * 1000 : 0;
}

export class ScaleClient {
  private readonly kc: KubeConfig;
  /** "apiVersion/Kind" → plural resource (misses are asked again: a CRD may appear) */
  private readonly resources = new Map<string, string>();

  constructor(kc: KubeConfig) {
    this.kc = kc;
  }

  private async path(namespace: string, ref: TargetRef): Promise<string> {
    const apiVersion = ref.apiVersion || 'v1';
    const key = `${apiVersion}/${ref.kind}`;
    const root = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    if (!this.resources.has(key)) {
      const list = await callJson<{ resources?: { name: string; kind: string }[] }>(this.kc, 'GET', root);
      const resources = list.resources ?? [];
      const found = resources.find((r) => r.kind === ref.kind && !r.name.includes('/'));
      if (!found) throw new Error(`no matches for kind "${ref.kind}" in group "${apiVersion.includes('/') ? apiVersion.split('/')[0] : ''}"`);
      if (!resources.some((r) => r.name === `${found.name}/scale`)) throw new Error(`${found.name} does not implement the scale subresource`);
      this.resources.set(key, found.name);
    }
    return `${root}/namespaces/${encodeURIComponent(namespace)}/${this.resources.get(key)}/${encodeURIComponent(ref.name)}/scale`;
  }

  async get(namespace: string, ref: TargetRef): Promise<Scale> {
    return callJson<Scale>(this.kc, 'GET', await this.path(namespace, ref));
  }

  async update(namespace: string, ref: TargetRef, scale: Scale, replicas: number): Promise<Scale> {
    const body = { ...scale, spec: { ...scale.spec, replicas } };
    return callJson<Scale>(this.kc, 'PUT', await this.path(namespace, ref), body);
  }
}

interface PodMetricsList {
  items?: { metadata?: { name?: string }; timestamp?: string; window?: string; containers?: { name: string; usage?: Record<string, string> }[] }[];
}

interface MetricValueList {
  items?: { describedObject?: { name?: string }; value?: string; timestamp?: string; windowSeconds?: number }[];
}

export class MetricsClient {
  private readonly kc: KubeConfig;

  constructor(kc: KubeConfig) {
    this.kc = kc;
  }

  /**
   * GetResourceMetric: each pod's usage summed over its containers (or the one container); a pod
   * whose sample lacks a container's figure is left out, as upstream leaves it out.
   */
  async resource(namespace: string, selector: string, resource: string, container?: string): Promise<PodSamples> {
    const q = selector ? `?labelSelector=${encodeURIComponent(selector)}` : '';
    const list = await callJson<PodMetricsList>(this.kc, 'GET', `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods${q}`);
    const items = list.items ?? [];
    if (items.length === 0) throw new Error('no metrics returned from resource metrics API');
    const out: PodSamples = new Map();
    for (const item of items) {
      let total = 0;
      let complete = true;
      let matched = false;
      for (const c of item.containers ?? []) {
        if (container && c.name !== container) continue;
        const v = c.usage?.[resource];
        if (v === undefined) {
          complete = false;
          break;
        }
        matched = true;
        total += milliOf(v);
      }
      if (!complete || !matched || !item.metadata?.name) continue;
      out.set(item.metadata.name, { value: total, timestampMs: new Date(item.timestamp ?? 0).getTime(), windowMs: durationMs(item.window) });
    }
    return out;
  }

  /** GetRawMetric for a Pods metric: custom.metrics.k8s.io, when a custom metrics API is registered. */
  async podsMetric(namespace: string, selector: string, metric: string, metricSelector?: string): Promise<PodSamples> {
    const params = new URLSearchParams();
    if (selector) params.set('labelSelector', selector);
    if (metricSelector) params.set('metricLabelSelector', metricSelector);
    const path = `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${encodeURIComponent(namespace)}/pods/*/${encodeURIComponent(metric)}?${params}`;
    const list = await callJson<MetricValueList>(this.kc, 'GET', path);
    const out: PodSamples = new Map();
    for (const item of list.items ?? []) {
      const name = item.describedObject?.name;
      if (!name || item.value === undefined) continue;
      out.set(name, { value: milliOf(item.value), timestampMs: new Date(item.timestamp ?? 0).getTime(), windowMs: (item.windowSeconds ?? 0) * 1000 });
    }
    if (out.size === 0) throw new Error(`no metrics returned from custom metrics API`);
    return out;
  }
}
