// skiff-proxy: the node proxy. Programs the packet filter (and pod routes) of the network
// namespace it runs in; the lab starts one per node namespace with nsenter.
import os from 'node:os';
import { createLogger, FlagError, loadKubeConfig, onShutdown, parseFlags, startServiceEndpoints } from '@skiff/common';
import { cleanupAll } from './cleanup.ts';
import { isIPv4, parseCidr } from './ipv4.ts';
import { createProxyMetrics } from './metrics.ts';
import { NetworkPolicyAgent } from './netpol/agent.ts';
import { Proxier } from './proxier.ts';
import { LoadBalancerAgent } from './lb-agent.ts';
import { ensureSysctls } from './sysctl.ts';

const log = createLogger('proxy');

const flagSpec = {
  kubeconfig: { description: 'kubeconfig file to reach the apiserver' },
  'node-name': { default: os.hostname(), description: 'name of this node: its endpoints are the local ones, its own pod CIDR gets no route' },
  'node-ip': { default: '', description: 'IPv4 address of this node (no route is made through it)' },
  'cluster-cidr': { default: '10.244.0.0/16', description: 'pod network; traffic to a ClusterIP from outside it is masqueraded ("" to never)' },
  'service-cidr': { default: '10.96.0.0/12', description: 'service ClusterIP range (checked for sanity)' },
  'host-gw': { type: 'boolean' as const, default: true, description: "route to other nodes' spec.podCIDR via their InternalIP" },
  cleanup: { type: 'boolean' as const, default: false, description: 'remove every rule and route of ours, then exit' },
  port: { type: 'number' as const, default: 10256, description: 'port for /healthz and /metrics (0: any free port)' },
  'bind-address': { default: '0.0.0.0', description: 'address for /healthz and /metrics' },
  'sync-debounce-ms': { type: 'number' as const, default: 50, description: 'wait this long after a change to coalesce bursts of events' },
  'announce-load-balancer-ips': {
    type: 'boolean' as const,
    default: true,
    description: 'put the LoadBalancer addresses this node is elected for on the --node-ip interface, so it answers ARP for them',
  },
  'network-policy': { type: 'boolean' as const, default: true, description: 'enforce NetworkPolicy on this node with iptables and ipset' },
  'resync-period': { type: 'number' as const, default: 30, description: 'seconds between full resyncs without events' },
};

async function main(): Promise<void> {
  const flags = parseFlags('proxy', flagSpec);
  if (flags.cleanup) {
    await cleanupAll();
    log.info('removed all rules and routes of ours');
    return;
  }
  const clusterCIDR = flags['cluster-cidr'] ? parseCidr(flags['cluster-cidr']).text : undefined;
  parseCidr(flags['service-cidr']);
  if (flags['node-ip'] && !isIPv4(flags['node-ip'])) throw new FlagError(`--node-ip "${flags['node-ip']}" is not an IPv4 address`);
  ensureSysctls(log);
  const metrics = createProxyMetrics();
  const kc = loadKubeConfig(flags.kubeconfig);
  const proxier = new Proxier({
    kubeConfig: kc,
    nodeName: flags['node-name'],
    nodeIP: flags['node-ip'] || undefined,
    clusterCIDR,
    hostGateway: flags['host-gw'],
    log,
    metrics,
    debounceMs: flags['sync-debounce-ms'],
    networkPolicy: flags['network-policy']
      ? new NetworkPolicyAgent({ kubeConfig: kc, nodeName: flags['node-name'], clusterCIDR, log, registry: metrics.registry })
      : undefined,
    resyncMs: flags['resync-period'] * 1000,
  });
  const loadBalancers = new LoadBalancerAgent({
    kubeConfig: loadKubeConfig(flags.kubeconfig),
    nodeName: flags['node-name'],
    nodeIP: flags['node-ip'] || undefined,
    announce: flags['announce-load-balancer-ips'],
    log,
    registry: metrics.registry,
    debounceMs: flags['sync-debounce-ms'],
    resyncMs: flags['resync-period'] * 1000,
  });
  const endpoints = await startServiceEndpoints({
    port: flags.port,
    bindAddress: flags['bind-address'],
    log,
    registry: metrics.registry,
    // healthy once the rules were applied, and while syncs keep succeeding
    checks: [
      { name: 'proxy-rules', check: () => proxier.hasSynced() && Date.now() - proxier.lastSyncAt < Math.max(120_000, 4 * flags['resync-period'] * 1000) },
    ],
  });
  // a normal stop keeps the rules: traffic flows on while the proxy restarts
  onShutdown(log, async () => {
    proxier.stop();
    await loadBalancers.stop();
    await endpoints.close();
  });
  await proxier.start();
  await loadBalancers.start();
  log.info('proxy rules in place', { node: flags['node-name'], clusterCIDR });
}

main().catch((e) => {
  if (e instanceof FlagError || (e instanceof Error && /is not an IPv4 CIDR/.test(e.message))) {
    process.stderr.write(`proxy: ${e.message}\n`);
    process.exit(2);
  }
  log.error('proxy failed', { err: e as Error });
  process.exit(1);
});
