// skiff-ingress: the ingress controller of Skiff. Serves networking.k8s.io/v1 Ingresses of its
// IngressClass(es) on this node: HTTP and HTTPS (SNI) listeners, routing by host and path to
// ready endpoints from EndpointSlices, and reports the node addresses in Ingress status.
import { createLogger, FlagError, loadKubeConfig, onShutdown, parseFlags, startServiceEndpoints } from '@skiff/common';
import net from 'node:net';
import { createIngressMetrics } from './metrics.ts';
import { contextFor, IngressProxy } from './proxy.ts';
import { type ClusterView, ClusterState } from './state.ts';
import { nodeAddresses, StatusWriter } from './status.ts';

const log = createLogger('ingress');

const flagSpec = {
  kubeconfig: { description: 'kubeconfig file to reach the apiserver' },
  controller: { default: 'skiff.io/ingress', description: 'spec.controller of the IngressClasses this controller serves' },
  'bind-address': { default: '0.0.0.0', description: 'address of the HTTP and HTTPS listeners' },
  'http-port': { type: 'number' as const, default: 80, description: 'HTTP port (0: any free port)' },
  'https-port': { type: 'number' as const, default: 443, description: 'HTTPS port (0: any free port)' },
  'publish-address': { type: 'list' as const, default: [], description: 'addresses written to Ingress status; default: InternalIP of every Ready node' },
  'update-status': { type: 'boolean' as const, default: true, description: 'write status.loadBalancer of the Ingresses served' },
  'connect-timeout': { type: 'number' as const, default: 2000, description: 'milliseconds to connect to an endpoint before trying the next' },
  'metrics-port': { type: 'number' as const, default: 10254, description: 'port for /healthz, /readyz and /metrics (0: any free port)' },
  'metrics-bind-address': { default: '127.0.0.1', description: 'address for /healthz, /readyz and /metrics' },
};

async function main(): Promise<void> {
  const flags = parseFlags('ingress', flagSpec);
  const published: string[] = flags['publish-address'];
  for (const a of published) if (!net.isIP(a)) throw new FlagError(`--publish-address "${a}" is not an IP address`);
  const kc = loadKubeConfig(flags.kubeconfig);
  const metrics = createIngressMetrics();
  const status = new StatusWriter(kc, log);
  let view: ClusterView | undefined;
  const syncStatus = () => {
    if (!view || !flags['update-status']) return;
    const addresses = published.length ? published : nodeAddresses(state.nodes.list());
    void status.sync(view.ingresses, addresses);
  };
  status.pending = syncStatus;
  const state = new ClusterState(kc, flags.controller, log, (v) => {
    view = v;
    syncStatus();
  });
  const proxy = new IngressProxy({
    log,
    metrics,
    table: () => state.view.table,
    tlsContext: (name) => contextFor(state.view.tls, name),
    connectTimeoutMs: flags['connect-timeout'],
  });
  await state.start();
  const httpServer = await proxy.listenHttp(flags['http-port'], flags['bind-address']);
  const httpsServer = await proxy.listenHttps(flags['https-port'], flags['bind-address']);
  const endpoints = await startServiceEndpoints({
    port: flags['metrics-port'],
    bindAddress: flags['metrics-bind-address'],
    log,
    registry: metrics.registry,
    checks: [{ name: 'informers', check: () => state.hasSynced() }],
  });
  log.info('ingress ready', {
    controller: flags.controller,
    http: (httpServer.address() as net.AddressInfo).port,
    https: (httpsServer.address() as net.AddressInfo).port,
    ingresses: state.view.ingresses.length,
  });
  onShutdown(log, async () => {
    // stop accepting; requests in flight finish (onShutdown forces exit after 10 s)
    const closed = Promise.all([new Promise((r) => httpServer.close(r)), new Promise((r) => httpsServer.close(r))]);
    httpServer.closeIdleConnections();
    httpsServer.closeIdleConnections();
    state.stop();
    await closed;
    await endpoints.close();
  });
}

main().catch((e) => {
  if (e instanceof FlagError) {
    process.stderr.write(`ingress: ${e.message}\n`);
    process.exit(2);
  }
  log.error('ingress failed', { err: e as Error });
  process.exit(1);
});
