// apiserver flags (and SKIFF_APISERVER_* environment variables).
import { isIPv4 } from 'node:net';
import { FlagError, parseFlags, type FlagValues } from '@skiff/common/flags';
import { parseGoDurationSeconds } from '@skiff/common/go-duration';
import { endpointReconcilerTypes, type EndpointReconcilerType } from './endpoint-reconciler.ts';
import { selectPlugins } from './admission/plugins/index.ts';
import { parseDurationSeconds } from './duration.ts';
import { parseAuthorizationModes, type AuthorizationMode } from './auth/authorizer.ts';
import { auditConfig, auditFlags, type AuditConfig } from './audit/index.ts';
import { etcdTransportProblem, type EtcdTlsFiles } from './storage/etcd-tls.ts';
import { EncryptionConfigError, loadEncryptionConfig, type TransformerOverrides } from './storage/encryption/index.ts';

export const apiserverFlags = {
  'etcd-servers': { type: 'list', default: ['https://127.0.0.1:2379'], description: 'etcd client URLs (https://; http:// only with --etcd-allow-insecure)' },
  'etcd-cafile': { default: '', description: "CA that signs etcd's serving certificate (default: the system's roots)" },
  'etcd-certfile': { default: '', description: 'client certificate the apiserver shows etcd (PEM)' },
  'etcd-keyfile': { default: '', description: 'key of that certificate (PEM)' },
  'etcd-allow-insecure': {
    type: 'boolean',
    default: false,
    description: 'accept http:// etcd URLs: no encryption, no authentication of etcd or of the apiserver (tests only)',
  },
  'encryption-provider-config': {
    default: '',
    description: 'EncryptionConfiguration (apiserver.config.k8s.io/v1, YAML or JSON): which resources are encrypted in etcd, and how',
  },
  'etcd-prefix': { default: '/registry', description: 'key prefix in etcd; several clusters (or tests) can share one etcd' },
  'bind-address': { default: '0.0.0.0', description: 'address to listen on' },
  'secure-port': { type: 'number', default: 6443, description: 'HTTPS port' },
  'tls-cert-file': { default: '', description: 'serving certificate (PEM)' },
  'tls-private-key-file': { default: '', description: 'serving key (PEM)' },
  'client-ca-file': { default: '', description: 'CA that signs client certificates (user = CN, groups = O)' },
  'service-cluster-ip-range': { default: '10.96.0.0/12', description: 'CIDR for Service ClusterIPs' },
  'service-node-port-range': { default: '30000-32767', description: 'range for NodePorts' },
  'event-ttl': { default: '1h', description: 'how long Events are kept after their last update (etcd lease), e.g. 1h, 90m' },
  'advertise-address': { default: '', description: 'address of this apiserver for the kubernetes Service endpoints' },
  'endpoint-reconciler-type': {
    default: 'lease',
    description: 'how the kubernetes Service endpoints are kept: lease (each apiserver renews its address in etcd, 15 s TTL) or none',
  },
  'watch-cache': { type: 'boolean', default: true, description: 'serve list and watch from memory' },
  'compaction-interval-seconds': { type: 'number', default: 300, description: 'etcd compaction interval; 0 disables' },
  'service-account-key-file': {
    type: 'list',
    default: [],
    description: 'PEM files with the public keys ServiceAccount tokens are verified with (default: the signing key)',
  },
  'service-account-signing-key-file': {
    default: '',
    description: 'private key (PEM) new ServiceAccount tokens are signed with; enables serviceaccounts/NAME/token',
  },
  'service-account-issuer': {
    type: 'list',
    default: ['https://kubernetes.default.svc.cluster.local'],
    description: 'iss of the tokens this apiserver signs (the first); all are accepted',
  },
  'api-audiences': { type: 'list', default: [], description: 'audiences a token must name (default: the first issuer)' },
  'service-account-max-token-expiration': { type: 'number', default: 86400, description: 'longest ServiceAccount token lifetime granted, in seconds' },
  'enable-bootstrap-token-auth': {
    type: 'boolean',
    default: true,
    description: 'accept bootstrap tokens (Secrets kube-system/bootstrap-token-<id>) as bearer tokens',
  },
  'kubelet-client-certificate': { default: '', description: 'client certificate the apiserver shows kubelets (logs, exec, port-forward)' },
  'kubelet-client-key': { default: '', description: 'key of that certificate' },
  'kubelet-certificate-authority': { default: '', description: "CA that signs kubelets' serving certificates; when set, they are verified" },
  'enable-admission-plugins': {
    type: 'list',
    default: [],
    description: 'admission plugins to turn on, by upstream name (all are on by default): NamespaceLifecycle, ServiceAccount, Priority, ...',
  },
  'disable-admission-plugins': { type: 'list', default: [], description: 'admission plugins to turn off, by upstream name, e.g. ServiceAccount,Priority' },
  'default-not-ready-toleration-seconds': {
    type: 'number',
    default: 300,
    description: 'tolerationSeconds of the not-ready:NoExecute toleration DefaultTolerationSeconds gives every pod without one',
  },
  'default-unreachable-toleration-seconds': {
    type: 'number',
    default: 300,
    description: 'tolerationSeconds of the unreachable:NoExecute toleration DefaultTolerationSeconds gives every pod without one',
  },
  'system-namespaces-interval-seconds': {
    type: 'number',
    default: 10,
    description: 'how often missing system namespaces (default, kube-system, kube-public, kube-node-lease) are recreated',
  },
  'max-requests-inflight': { type: 'number', default: 400, description: 'read-only requests served at once (429 beyond); 0 for no limit' },
  'max-mutating-requests-inflight': { type: 'number', default: 200, description: 'mutating requests served at once (429 beyond); 0 for no limit' },
  'request-timeout': { default: '60s', description: 'how long a non-long-running request may take before it gets 504 (e.g. 60s, 1m)' },
  'min-request-timeout': {
    type: 'number',
    default: 1800,
    description: 'seconds a watch without timeoutSeconds lasts at least (jittered up to twice that)',
  },
  'authorization-mode': {
    type: 'list',
    default: ['Node', 'RBAC'],
    description: 'authorizers asked in order: Node, RBAC, AlwaysAllow, AlwaysDeny (system:masters may always do anything)',
  },
  'requestheader-client-ca-file': {
    default: '',
    description: 'CA of front proxies (another aggregator): a client certificate from it, with an allowed CN, may name the user in the headers below',
  },
  'requestheader-allowed-names': { type: 'list', default: [], description: 'CNs a front-proxy certificate may have (empty: any from the requestheader CA)' },
  'requestheader-username-headers': { type: 'list', default: [], description: 'headers naming the user, first non-empty wins (usually X-Remote-User)' },
  'requestheader-group-headers': { type: 'list', default: [], description: 'headers naming groups, every value counts (usually X-Remote-Group)' },
  'requestheader-extra-headers-prefix': { type: 'list', default: [], description: 'prefixes of headers carrying user extras (usually X-Remote-Extra-)' },
  'proxy-client-cert-file': { default: '', description: 'client certificate the aggregator shows aggregated API servers (from the requestheader CA)' },
  'proxy-client-key-file': { default: '', description: 'key of that certificate' },
  'apiservice-availability-check-seconds': {
    type: 'number',
    default: 30,
    description: "how often the availability controller probes each APIService's server (Skiff's; kube uses 30 s)",
  },
  'dashboard-dir': {
    default: '',
    description: "the dashboard's built files (served under /ui/; default: dashboard/dist/ui of this checkout, when built)",
  },
  'dist-dir': {
    default: '',
    description: "make dist's files (the release tarball, install.sh, SHA256SUMS), served under /skiff/dist/ to bootstrap tokens and nodes (empty: not served)",
  },
  'kubernetes-minor-version': { default: '32', description: 'the minor version /version reports (kubectl picks its binary by it)' },
  ...auditFlags,
} as const;

export type ApiserverConfig = {
  etcdServers: string[];
  etcdTls: EtcdTlsFiles;
  encryptionProviderConfig: string;
  /** the parsed --encryption-provider-config; undefined: nothing is encrypted */
  encryption: TransformerOverrides | undefined;
  etcdPrefix: string;
  bindAddress: string;
  securePort: number;
  tlsCertFile: string;
  tlsPrivateKeyFile: string;
  clientCaFile: string;
  serviceClusterIPRange: string;
  serviceNodePortRange: string;
  advertiseAddress: string;
  endpointReconcilerType: EndpointReconcilerType;
  watchCache: boolean;
  compactionIntervalSeconds: number;
  kubernetesMinorVersion: string;
  dashboardDir: string;
  distDir: string;
  serviceAccountKeyFiles: string[];
  serviceAccountSigningKeyFile: string;
  serviceAccountIssuers: string[];
  apiAudiences: string[];
  serviceAccountMaxTokenExpirationSeconds: number;
  enableBootstrapTokenAuth: boolean;
  kubeletClientCertificate: string;
  kubeletClientKey: string;
  kubeletCertificateAuthority: string;
  eventTtlSeconds: number;
  enableAdmissionPlugins: string[];
  disableAdmissionPlugins: string[];
  systemNamespacesIntervalSeconds: number;
  defaultNotReadyTolerationSeconds: number;
  defaultUnreachableTolerationSeconds: number;
  maxRequestsInflight: number;
  maxMutatingRequestsInflight: number;
  requestTimeoutSeconds: number;
  minRequestTimeoutSeconds: number;
  authorizationModes: AuthorizationMode[];
  audit: AuditConfig;
  aggregation: AggregationConfig;
};

/** The front-proxy side of API aggregation: who may name users in headers, and what the aggregator shows. */
export interface AggregationConfig {
  requestHeaderClientCaFile: string;
  requestHeaderAllowedNames: string[];
  requestHeaderUsernameHeaders: string[];
  requestHeaderGroupHeaders: string[];
  requestHeaderExtraHeadersPrefix: string[];
  proxyClientCertFile: string;
  proxyClientKeyFile: string;
  availabilityCheckSeconds: number;
}

function endpointReconcilerType(text: string): EndpointReconcilerType {
  const t = endpointReconcilerTypes.find((x) => x === text);
  if (!t) throw new FlagError(`--endpoint-reconciler-type: "${text}" is not one of ${endpointReconcilerTypes.join(', ')}`);
  return t;
}

/** The kubernetes endpoints hold IPs, never names: upstream refuses anything else too. */
function advertiseAddress(text: string): string {
  if (text && !isIPv4(text)) throw new FlagError(`--advertise-address: "${text}" is not an IPv4 address`);
  return text;
}

function eventTtl(text: string): number {
  try {
    const seconds = parseDurationSeconds(text);
    if (seconds <= 0) throw new Error('must be positive');
    return seconds;
  } catch (e) {
    throw new FlagError(`--event-ttl: ${(e as Error).message}`);
  }
}

function positive(flag: string, n: number): number {
  if (!(n > 0)) throw new FlagError(`--${flag}: must be positive`);
  return n;
}

function nonNegative(flag: string, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new FlagError(`--${flag}: must be a whole number, 0 or more, got ${n}`);
  return n;
}

/** Checks the admission flags at start-up, so a typo stops the apiserver with a clear message. */
function admissionPlugins(enable: readonly string[], disable: readonly string[]): void {
  try {
    selectPlugins({ enable, disable });
  } catch (e) {
    throw new FlagError((e as Error).message);
  }
}

function authorizationModes(list: readonly string[]): AuthorizationMode[] {
  try {
    return parseAuthorizationModes(list);
  } catch (e) {
    throw new FlagError((e as Error).message);
  }
}

function encryptionConfig(file: string): TransformerOverrides | undefined {
  if (!file) return undefined;
  try {
    return loadEncryptionConfig(file);
  } catch (e) {
    if (e instanceof EncryptionConfigError) throw new FlagError(`--encryption-provider-config: ${e.message}`);
    throw e;
  }
}

function requestTimeout(text: string): number {
  const seconds = parseGoDurationSeconds(text);
  if (seconds === undefined || seconds <= 0) throw new FlagError(`--request-timeout: want a positive duration such as 60s or 1m, got "${text}"`);
  return seconds;
}

function aggregationConfig(f: FlagValues<typeof apiserverFlags>): AggregationConfig {
  if (!!f['proxy-client-cert-file'] !== !!f['proxy-client-key-file']) {
    throw new FlagError('--proxy-client-cert-file and --proxy-client-key-file go together');
  }
  return {
    requestHeaderClientCaFile: f['requestheader-client-ca-file'],
    requestHeaderAllowedNames: [...f['requestheader-allowed-names']],
    requestHeaderUsernameHeaders: [...f['requestheader-username-headers']],
    requestHeaderGroupHeaders: [...f['requestheader-group-headers']],
    requestHeaderExtraHeadersPrefix: [...f['requestheader-extra-headers-prefix']],
    proxyClientCertFile: f['proxy-client-cert-file'],
    proxyClientKeyFile: f['proxy-client-key-file'],
    availabilityCheckSeconds: positive('apiservice-availability-check-seconds', f['apiservice-availability-check-seconds']),
  };
}

export function loadConfig(argv = process.argv.slice(2)): ApiserverConfig {
  const f = parseFlags('apiserver', apiserverFlags, argv);
  admissionPlugins(f['enable-admission-plugins'], f['disable-admission-plugins']);
  const etcdTls: EtcdTlsFiles = { caFile: f['etcd-cafile'], certFile: f['etcd-certfile'], keyFile: f['etcd-keyfile'] };
  const etcdProblem = etcdTransportProblem(f['etcd-servers'], etcdTls, f['etcd-allow-insecure']);
  if (etcdProblem) throw new FlagError(etcdProblem);
  return {
    etcdServers: f['etcd-servers'],
    etcdTls,
    encryptionProviderConfig: f['encryption-provider-config'],
    encryption: encryptionConfig(f['encryption-provider-config']),
    etcdPrefix: f['etcd-prefix'],
    bindAddress: f['bind-address'],
    securePort: f['secure-port'],
    tlsCertFile: f['tls-cert-file'],
    tlsPrivateKeyFile: f['tls-private-key-file'],
    clientCaFile: f['client-ca-file'],
    serviceClusterIPRange: f['service-cluster-ip-range'],
    serviceNodePortRange: f['service-node-port-range'],
    advertiseAddress: advertiseAddress(f['advertise-address']),
    endpointReconcilerType: endpointReconcilerType(f['endpoint-reconciler-type']),
    watchCache: f['watch-cache'],
    compactionIntervalSeconds: f['compaction-interval-seconds'],
    kubernetesMinorVersion: String(f['kubernetes-minor-version']),
    dashboardDir: f['dashboard-dir'],
    distDir: f['dist-dir'],
    serviceAccountKeyFiles: [...f['service-account-key-file']],
    serviceAccountSigningKeyFile: f['service-account-signing-key-file'],
    serviceAccountIssuers: [...f['service-account-issuer']],
    apiAudiences: [...f['api-audiences']],
    serviceAccountMaxTokenExpirationSeconds: f['service-account-max-token-expiration'],
    enableBootstrapTokenAuth: f['enable-bootstrap-token-auth'],
    kubeletClientCertificate: f['kubelet-client-certificate'],
    kubeletClientKey: f['kubelet-client-key'],
    kubeletCertificateAuthority: f['kubelet-certificate-authority'],
    eventTtlSeconds: eventTtl(String(f['event-ttl'])),
    enableAdmissionPlugins: [...f['enable-admission-plugins']],
    disableAdmissionPlugins: [...f['disable-admission-plugins']],
    systemNamespacesIntervalSeconds: positive('system-namespaces-interval-seconds', f['system-namespaces-interval-seconds']),
    defaultNotReadyTolerationSeconds: nonNegative('default-not-ready-toleration-seconds', f['default-not-ready-toleration-seconds']),
    defaultUnreachableTolerationSeconds: nonNegative('default-unreachable-toleration-seconds', f['default-unreachable-toleration-seconds']),
    maxRequestsInflight: nonNegative('max-requests-inflight', f['max-requests-inflight']),
    maxMutatingRequestsInflight: nonNegative('max-mutating-requests-inflight', f['max-mutating-requests-inflight']),
    requestTimeoutSeconds: requestTimeout(String(f['request-timeout'])),
    minRequestTimeoutSeconds: nonNegative('min-request-timeout', f['min-request-timeout']),
    authorizationModes: authorizationModes(f['authorization-mode']),
    audit: auditConfig(f),
    aggregation: aggregationConfig(f),
  };
}
