import client from 'prom-client';

export interface DnsMetrics {
  registry: client.Registry;
  requests: client.Counter;
}

export function createDnsMetrics(): DnsMetrics {
  const registry = new client.Registry();
  return {
    registry,
    requests: new client.Counter({
      name: 'skiff_dns_responses_total',
      help: 'answers by query type, rcode and source (zone or upstream)',
      labelNames: ['type', 'rcode', 'source'],
      registers: [registry],
    }),
  };
}
