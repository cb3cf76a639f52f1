// Prometheus metrics, named as kube-apiserver names them.
import client from 'prom-client';
import { collectProcessMetrics } from '@skiff/common/process-metrics';
import type { RequestInfo } from './server/request-info.ts';

export function createApiserverMetrics() {
  const registry = new client.Registry();
  collectProcessMetrics(registry);
  const requests = new client.Counter({
    name: 'apiserver_request_total',
    help: 'Counter of apiserver requests broken out by verb, resource and HTTP response code.',
    labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'code'] as const,
    registers: [registry],
  });
  const latency = new client.Histogram({
    name: 'apiserver_request_duration_seconds',
    help: 'Response latency distribution in seconds for each verb and resource.',
    labelNames: ['verb', 'group', 'version', 'resource', 'subresource'] as const,
    registers: [registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.5, 2, 4, 8, 15, 30, 60],
  });
  const watchers = new client.Gauge({
    name: 'apiserver_registered_watchers',
    help: 'Number of currently registered watchers for a given resource',
    labelNames: ['resource'] as const,
    registers: [registry],
  });
  return {
    registry,
    observe(info: RequestInfo, code: number, seconds: number) {
      const verb = info.isResourceRequest ? info.verb.toUpperCase() : info.verb.toUpperCase();
      const labels = { verb, group: info.group, version: info.version, resource: info.resource, subresource: info.subresource ?? '' };
      requests.inc({ ...labels, code: String(code) });
      if (info.verb !== 'watch') latency.observe(labels, seconds);
    },
    watchCounter: {
      inc: (resource: string) => watchers.inc({ resource }),
      dec: (resource: string) => watchers.dec({ resource }),
    },
  };
}
