import client from 'prom-client';

export interface IngressMetrics {
  registry: client.Registry;
  requests: client.Counter<'code' | 'scheme'>;
  upstreamLatency: client.Histogram<'backend'>;
  upstreamRetries: client.Counter<'backend'>;
  upgrades: client.Counter<'backend'>;
}

export function createIngressMetrics(): IngressMetrics {
  const registry = new client.Registry();
  return {
    registry,
    requests: new client.Counter({
      name: 'skiff_ingress_requests_total',
      help: 'requests answered, by HTTP status code and scheme',
      labelNames: ['code', 'scheme'],
      registers: [registry],
    }),
    upstreamLatency: new client.Histogram({
      name: 'skiff_ingress_upstream_latency_seconds',
      help: 'time from forwarding a request to the response headers of the upstream pod, by backend (namespace/service:port)',
      labelNames: ['backend'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    upstreamRetries: new client.Counter({
      name: 'skiff_ingress_upstream_retries_total',
      help: 'requests sent to another endpoint after one could not be reached',
      labelNames: ['backend'],
      registers: [registry],
    }),
    upgrades: new client.Counter({
      name: 'skiff_ingress_upgrades_total',
      help: 'connections upgraded (WebSocket...) and tunnelled to a backend',
      labelNames: ['backend'],
      registers: [registry],
    }),
  };
}
