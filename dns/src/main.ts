// skiff-dns: the cluster DNS server, reached through the kube-dns Service (10.96.0.10).
import { createLogger, FlagError, loadKubeConfig, onShutdown, parseFlags, startServiceEndpoints } from '@skiff/common';
import net from 'node:net';
import { ensureKubeDns, KUBE_DNS } from './bootstrap.ts';
import { InformerClusterState } from './cluster-state.ts';
import { createDnsMetrics } from './metrics.ts';
import { ClusterZone } from './records.ts';
import { Resolver } from './resolver.ts';
import { startDnsServer } from './server.ts';
import { parseUpstream, resolvConfUpstream } from './upstream.ts';

const log = createLogger('dns');

const flagSpec = {
  kubeconfig: { description: 'kubeconfig file to reach the apiserver' },
  'bind-address': { default: '0.0.0.0', description: 'address to serve DNS on (UDP and TCP)' },
  port: { type: 'number' as const, default: 53, description: 'port to serve DNS on (0: any free port)' },
  'cluster-domain': { default: 'cluster.local', description: 'the cluster zone' },
  upstream: { description: 'resolver for other names, IP[:port]; default: first nameserver of /etc/resolv.conf; "none" to refuse them' },
  'metrics-port': { type: 'number' as const, default: 9153, description: 'port for /healthz and /metrics (0: any free port)' },
  'metrics-bind-address': { default: '127.0.0.1', description: 'address for /healthz and /metrics' },
  'advertise-address': { default: '', description: 'publish the kube-dns Service with this IP (reachable from all nodes) as its endpoint; empty: do not' },
  'cluster-ip': { default: KUBE_DNS.clusterIP, description: 'ClusterIP of the kube-dns Service it publishes' },
  'node-name': { default: '', description: 'nodeName of the published endpoint' },
};

async function main(): Promise<void> {
  const flags = parseFlags('dns', flagSpec);
  const upstream = flags.upstream === 'none' ? undefined : flags.upstream ? parseUpstream(flags.upstream) : resolvConfUpstream();
  if (flags['advertise-address'] && !net.isIPv4(flags['advertise-address']))
    throw new FlagError(`--advertise-address "${flags['advertise-address']}" is not an IPv4 address`);
  const kc = loadKubeConfig(flags.kubeconfig);
  const state = new InformerClusterState(kc, log);
  const metrics = createDnsMetrics();
  const zone = new ClusterZone(flags['cluster-domain'], state);
  const resolver = new Resolver({ zone, upstream, onAnswer: (a) => metrics.requests.inc({ type: a.type, rcode: a.rcode, source: a.source }) });
  await state.start();
  const server = await startDnsServer(resolver, flags['bind-address'], flags.port, log);
  if (upstream && (upstream.host === flags['bind-address'] || upstream.host.startsWith('127.')) && upstream.port === server.port) {
    log.warn('upstream is this server itself; outside names will fail', { upstream });
  }
  if (flags['advertise-address']) {
    await ensureKubeDns(kc, {
      endpointIP: flags['advertise-address'],
      endpointPort: server.port,
      clusterIP: flags['cluster-ip'],
      nodeName: flags['node-name'] || undefined,
    });
    log.info('published kube-dns', { clusterIP: flags['cluster-ip'], endpoint: `${flags['advertise-address']}:${server.port}` });
  }
  const endpoints = await startServiceEndpoints({
    port: flags['metrics-port'],
    bindAddress: flags['metrics-bind-address'],
    log,
    registry: metrics.registry,
    checks: [{ name: 'informers', check: () => state.hasSynced() }],
  });
  log.info('dns ready', { domain: zone.domain, port: server.port, upstream: upstream ? `${upstream.host}:${upstream.port}` : 'none' });
  onShutdown(log, async () => {
    state.stop();
    await server.close();
    await endpoints.close();
  });
}

main().catch((e) => {
  if (e instanceof FlagError || (e instanceof Error && e.message.startsWith('--upstream'))) {
    process.stderr.write(`dns: ${e.message}\n`);
    process.exit(2);
  }
  log.error('dns failed', { err: e as Error });
  process.exit(1);
});
