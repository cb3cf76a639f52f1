import client from 'prom-client';

export interface ProxyMetrics {
  registry: client.Registry;
  syncDuration: client.Histogram;
  syncFailures: client.Counter;
  lastSync: client.Gauge;
  rules: client.Gauge;
  routes: client.Gauge;
}

export function createProxyMetrics(): ProxyMetrics {
  const registry = new client.Registry();
  return {
    registry,
    syncDuration: new client.Histogram({
      name: 'skiff_proxy_sync_proxy_rules_duration_seconds',
      help: 'time to compute and apply the whole ruleset',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    syncFailures: new client.Counter({ name: 'skiff_proxy_sync_failures_total', help: 'rule or route syncs that failed', registers: [registry] }),
    lastSync: new client.Gauge({
      name: 'skiff_proxy_sync_proxy_rules_last_timestamp_seconds',
      help: 'when the rules were last applied successfully',
      registers: [registry],
    }),
    rules: new client.Gauge({ name: 'skiff_proxy_iptables_rules', help: 'rules of ours per table', labelNames: ['table'], registers: [registry] }),
    routes: new client.Gauge({ name: 'skiff_proxy_host_gw_routes', help: 'pod CIDR routes installed to other nodes', registers: [registry] }),
  };
}
