// Every Skiff component talks to the apiserver through the official client.
import type { AgentOptions } from 'node:https';
import { KubeConfig, type Cluster } from '@kubernetes/client-node';
import { APISERVER_ENDPOINTS_ENV, ApiserverEndpoints, failoverAgent, parseApiserverEndpoints, type ApiserverEndpoint } from './apiserver-failover.ts';
import { reuseConnections } from './connection-reuse.ts';
import { retryTooManyRequests } from './retry-after.ts';

/**
 * --kubeconfig, else $KUBECONFIG, else ~/.kube/config; API calls share kept-alive connections.
 * With $SKIFF_APISERVER_ENDPOINTS (or `endpoints`) listing several apiservers, connections
 * fail over between the kubeconfig's server and those (apiserver-failover.ts). A 429 with
 * Retry-After is retried (retry-after.ts).
 */
export function loadKubeConfig(path?: string, endpoints = process.env[APISERVER_ENDPOINTS_ENV]): KubeConfig {
  const kc = new KubeConfig();
  const file = path || process.env.KUBECONFIG;
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  const extra = parseApiserverEndpoints(endpoints);
  if (extra.length > 0) withApiserverFailover(kc, extra);
  return retryTooManyRequests(reuseConnections(kc));
}

/** Every agent the client builds (API calls and watches) connects to the first endpoint that answers. */
export function withApiserverFailover(kc: KubeConfig, extra: ApiserverEndpoint[]): ApiserverEndpoints {
  const server = kc.getCurrentCluster()?.server;
  const list = server ? parseApiserverEndpoints(server) : [];
  for (const ep of extra) if (!list.some((o) => o.host === ep.host && o.port === ep.port)) list.push(ep);
  const endpoints = new ApiserverEndpoints(list);
  // createAgent is private in the client's types; it is the one place its agents are made
  const client = kc as unknown as { createAgent(cluster: Cluster | null, opts: AgentOptions): unknown };
  const original = client.createAgent.bind(kc);
  client.createAgent = (cluster, opts) =>
    cluster?.proxyUrl || !cluster?.server.startsWith('https:') ? original(cluster, opts) : failoverAgent(opts, endpoints);
  return endpoints;
}

/** namespace/name, or name for cluster-scoped objects: the workqueue key format. */
export function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : (m.name ?? '');
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
