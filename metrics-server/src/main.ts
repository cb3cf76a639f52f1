// skiff metrics-server: scrapes every kubelet's /metrics/resource and serves
// metrics.k8s.io/v1beta1 (NodeMetrics, PodMetrics) behind the APIService, for `kubectl top`
// and autoscalers. Flags as metrics-server names them (a subset); see --help.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// Not the @skiff/common index: it loads @kubernetes/client-node (see kubeconfig.ts).
import { FlagError, parseFlags } from '@skiff/common/flags';
import { createLogger } from '@skiff/common/log';
import { onShutdown, startServiceEndpoints } from '@skiff/common/service';
import client from 'prom-client';
import { parseGoDurationMs } from '@skiff/common/go-duration';
import { loadCredentials } from './kubeconfig.ts';
import { startMetricsServer } from './metrics-server.ts';
import { ensureSelfSignedCert } from './serving-cert.ts';

const log = createLogger('metrics-server');

const FLAGS = {
  kubeconfig: { description: "kubeconfig with this server's identity (bound to system:metrics-server and system:auth-delegator)" },
  'metric-resolution': { default: '15s', description: 'how often every kubelet is scraped' },
  'kubelet-request-timeout': { default: '10s', description: 'how long one kubelet scrape may take' },
  'kubelet-preferred-address-types': {
    type: 'list',
    default: ['InternalIP', 'Hostname', 'InternalDNS', 'ExternalIP', 'ExternalDNS'],
    description: 'node address types to reach kubelets at, in order',
  },
  'kubelet-port': { type: 'number', default: 0, description: "kubelet port (0: the node's status.daemonEndpoints)" },
  'kubelet-insecure-tls': { type: 'boolean', default: false, description: "do not verify kubelets' serving certificates" },
  'kubelet-certificate-authority': { description: "CA of kubelets' serving certificates (default: the kubeconfig's CA)" },
  'kubelet-keep-alive': {
    type: 'boolean',
    default: false,
    description: 'keep kubelet connections open between scrapes: faster cycles, more memory per node (see README)',
  },
  'scrape-concurrency': { type: 'number', default: 100, description: 'kubelets scraped at once' },
  'secure-port': { type: 'number', default: 4443, description: 'HTTPS port of metrics.k8s.io' },
  'bind-address': { default: '0.0.0.0', description: 'address of the HTTPS port' },
  'tls-cert-file': { description: 'serving certificate (default: self-signed in --cert-dir)' },
  'tls-private-key-file': { description: 'serving key' },
  'cert-dir': { default: '', description: 'where the self-signed certificate is kept (default .skiff/metrics-server)' },
  'requestheader-client-ca-file': { description: "front proxy CA (default: the extension-apiserver-authentication ConfigMap's)" },
  'requestheader-allowed-names': {
    type: 'list',
    default: [],
    description: "front proxy certificate common names accepted (default: the ConfigMap's; empty: any)",
  },
  'client-ca-file': { description: "CA of client certificates (default: the ConfigMap's)" },
  'authentication-skip-lookup': { type: 'boolean', default: false, description: 'do not read extension-apiserver-authentication; only the CA files given' },
  'advertise-address': {
    default: '',
    description: 'publish the metrics-server Service, its Endpoints at this IP and the APIService v1beta1.metrics.k8s.io; empty: do not',
  },
  'apiservice-ca-file': {
    description:
      'CA the APIService trusts the serving certificate with (default: the self-signed one itself; a given --tls-cert-file without it is not verified)',
  },
  'metrics-port': { type: 'number', default: 10262, description: 'plain HTTP port for /healthz, /readyz and /metrics' },
  'metrics-bind-address': { default: '127.0.0.1', description: 'address of the metrics port' },
} as const;

async function main(): Promise<void> {
  const f = parseFlags('metrics-server', FLAGS);
  const duration = (name: string, v: string) => {
    try {
      return parseGoDurationMs(v);
    } catch (e) {
      throw new FlagError(`--${name}: ${(e as Error).message}`);
    }
  };
  const resolutionMs = duration('metric-resolution', f['metric-resolution']);
  if (resolutionMs < 1000) throw new FlagError('--metric-resolution must be at least 1s');
  if (Boolean(f['tls-cert-file']) !== Boolean(f['tls-private-key-file'])) throw new FlagError('--tls-cert-file and --tls-private-key-file go together');
  const tls = f['tls-cert-file']
    ? { certFile: f['tls-cert-file'] as string, keyFile: f['tls-private-key-file'] as string }
    : ensureSelfSignedCert(f['cert-dir'] || join(process.cwd(), '.skiff', 'metrics-server'));
  const caBundle = f['apiservice-ca-file']
    ? readFileSync(f['apiservice-ca-file'], 'utf8')
    : f['tls-cert-file']
      ? undefined
      : readFileSync(tls.certFile, 'utf8');
  const registry = new client.Registry();
  const server = await startMetricsServer({
    credentials: loadCredentials(f.kubeconfig),
    resolutionMs,
    requestTimeoutMs: duration('kubelet-request-timeout', f['kubelet-request-timeout']),
    securePort: f['secure-port'],
    bindAddress: f['bind-address'],
    ...tls,
    addressTypes: f['kubelet-preferred-address-types'],
    insecureTLS: f['kubelet-insecure-tls'],
    kubeletCA: f['kubelet-certificate-authority'] ? readFileSync(f['kubelet-certificate-authority']) : undefined,
    kubeletPort: f['kubelet-port'] || undefined,
    concurrency: f['scrape-concurrency'],
    kubeletKeepAlive: f['kubelet-keep-alive'],
    authentication: {
      skipLookup: f['authentication-skip-lookup'],
      requestHeaderCAFile: f['requestheader-client-ca-file'] || undefined,
      clientCAFile: f['client-ca-file'] || undefined,
      allowedNames: f['requestheader-allowed-names'],
    },
    ...(f['advertise-address'] ? { registration: { address: f['advertise-address'], caBundle } } : {}),
    registry,
    log,
  });
  const endpoints = await startServiceEndpoints({
    port: f['metrics-port'],
    bindAddress: f['metrics-bind-address'],
    log,
    registry,
    ready: () => server.ready(),
  });
  onShutdown(log, async () => {
    await server.stop();
    await endpoints.close();
  });
}

main().catch((e: unknown) => {
  if (e instanceof FlagError) {
    process.stderr.write(`metrics-server: ${e.message}\n`);
    process.exit(2);
  }
  log.error('fatal', { err: e as Error });
  process.exit(1);
});
