// kube-controller-manager for Skiff: flags, then startControllerManager until SIGTERM.
import { FlagError, createLogger, onShutdown, parseFlags } from '@skiff/common';
import { parseGoDurationMs } from '@skiff/common/go-duration';
import { defaultConfig } from './config.ts';
import { parsePool } from './controllers/servicelb/ip-pool.ts';
import { startControllerManager } from './manager.ts';

const flagSpec = {
  kubeconfig: { description: 'kubeconfig of the controller-manager identity (else $KUBECONFIG)' },
  'leader-elect': { type: 'boolean', default: defaultConfig.leaderElect, description: 'run only while holding the Lease kube-system/kube-controller-manager' },
  'leader-elect-lease-duration': {
    type: 'number',
    default: defaultConfig.leaseDurationSeconds,
    description: 'seconds a non-leader waits before taking an unrenewed lease',
  },
  'leader-elect-renew-deadline': {
    type: 'number',
    default: defaultConfig.renewDeadlineSeconds,
    description: 'seconds the leader keeps retrying a renewal before stepping down',
  },
  'leader-elect-retry-period': { type: 'number', default: defaultConfig.retryPeriodSeconds, description: 'seconds between lease attempts' },
  'leader-elect-resource-namespace': { default: defaultConfig.leaseNamespace, description: 'namespace of the leader election Lease' },
  'leader-elect-resource-name': { default: defaultConfig.leaseName, description: 'name of the leader election Lease' },
  'bind-address': { default: defaultConfig.bindAddress, description: 'address of /healthz /readyz /metrics' },
  port: { type: 'number', default: defaultConfig.port, description: 'port of /healthz /readyz /metrics (0: any free port, -1: none)' },
  controllers: { type: 'list', default: defaultConfig.controllers, description: "controllers to run: '*' for all, 'name' to enable, '-name' to disable" },
  'concurrent-replicaset-syncs': { type: 'number', default: defaultConfig.concurrentReplicaSetSyncs, description: 'ReplicaSet workers' },
  'concurrent-deployment-syncs': { type: 'number', default: defaultConfig.concurrentDeploymentSyncs, description: 'Deployment workers' },
  'burst-replicas': { type: 'number', default: defaultConfig.burstReplicas, description: 'most pods one ReplicaSet sync creates or deletes' },
  'expectations-timeout': {
    type: 'number',
    default: defaultConfig.expectationsTimeoutSeconds,
    description: 'seconds after which unobserved creates/deletes stop blocking a ReplicaSet',
  },
  'node-monitor-grace-period': {
    type: 'number',
    default: defaultConfig.nodeMonitorGracePeriodSeconds,
    description: 'seconds without a Lease renewal before a node is NotReady',
  },
  'node-monitor-period': { type: 'number', default: defaultConfig.nodeMonitorPeriodSeconds, description: 'seconds between node health checks' },
  'default-toleration-seconds': { type: 'number', description: 'treat the default 300 s unreachable/not-ready tolerations as this many seconds (labs, tests)' },
  'cluster-cidr': { default: defaultConfig.clusterCidr, description: 'CIDR that node pod CIDRs come from' },
  'node-cidr-mask-size': { type: 'number', default: defaultConfig.nodeCidrMaskSize, description: 'prefix length of each node pod CIDR' },
  'concurrent-endpoint-syncs': { type: 'number', default: defaultConfig.concurrentEndpointSyncs, description: 'Endpoints workers' },
  'concurrent-service-endpoint-syncs': { type: 'number', default: defaultConfig.concurrentServiceEndpointSyncs, description: 'EndpointSlice workers' },
  'concurrent-gc-syncs': { type: 'number', default: defaultConfig.concurrentGcSyncs, description: 'garbage collector workers' },
  'discovery-sync-period': {
    type: 'number',
    default: defaultConfig.discoverySyncPeriodSeconds,
    description: 'seconds between discovery re-reads of the garbage collector and quota controller (resources of CRDs created later)',
  },
  'concurrent-namespace-syncs': { type: 'number', default: defaultConfig.concurrentNamespaceSyncs, description: 'namespace deletion workers' },
  'concurrent-serviceaccount-syncs': { type: 'number', default: defaultConfig.concurrentServiceAccountSyncs, description: 'ServiceAccount workers' },
  'cluster-signing-cert-file': { default: defaultConfig.clusterSigningCertFile, description: 'CA certificate that signs kubelet certificates' },
  'cluster-signing-key-file': { default: defaultConfig.clusterSigningKeyFile, description: 'key of that CA' },
  'root-ca-file': {
    default: defaultConfig.rootCaFile,
    description: 'CA published to every namespace as ConfigMap kube-root-ca.crt (for ServiceAccount token volumes)',
  },
  'resource-quota-sync-period': {
    type: 'number',
    default: defaultConfig.resourceQuotaSyncPeriodSeconds,
    description: 'seconds between full recounts of every ResourceQuota',
  },
  'concurrent-resource-quota-syncs': { type: 'number', default: defaultConfig.concurrentResourceQuotaSyncs, description: 'ResourceQuota workers' },
  'cluster-signing-duration': { type: 'number', default: defaultConfig.clusterSigningDurationSeconds, description: 'lifetime of signed certificates, seconds' },
  'local-path-root': {
    default: defaultConfig.localPathRoot,
    description: 'directory on each node under which the skiff.io/local-path provisioner creates volumes',
  },
  'cronjob-time-scale': {
    type: 'number',
    default: 1,
    description: "how many times faster than real time the CronJob controller's clock runs (tests of minute schedules; 1 otherwise)",
  },
  'horizontal-pod-autoscaler-sync-period': { default: '15s', description: 'how often every HorizontalPodAutoscaler is reconciled' },
  'horizontal-pod-autoscaler-downscale-stabilization': {
    default: '5m0s',
    description: 'how far back the autoscaler looks for higher recommendations before it scales down (autoscalers without behavior)',
  },
  'horizontal-pod-autoscaler-tolerance': { type: 'number', default: 0.1, description: 'usage-to-target ratios within this of 1.0 do not rescale' },
  'horizontal-pod-autoscaler-cpu-initialization-period': {
    default: '5m0s',
    description: 'after a pod starts, its CPU samples count only once taken a whole window after it became ready',
  },
  'horizontal-pod-autoscaler-initial-readiness-delay': {
    default: '30s',
    description: 'after a pod starts, readiness changes within this delay are not taken as its first readiness',
  },
  'load-balancer-ip-pool': {
    default: '',
    description: 'IPv4 addresses for Services of type LoadBalancer: ranges a.b.c.d-a.b.c.e or CIDRs, comma-separated ("": LoadBalancer Services stay pending)',
  },
} as const;

const seconds = (flag: string, text: string): number => {
  try {
    return parseGoDurationMs(text) / 1000;
  } catch (e) {
    throw new FlagError(`--${flag}: ${(e as Error).message}`);
  }
};

/** A malformed pool stops the start with exit 2, like any bad flag. */
const ipPool = (text: string): string => {
  try {
    parsePool(text);
    return text;
  } catch (e) {
    throw new FlagError(`--load-balancer-ip-pool: ${(e as Error).message}`);
  }
};

const log = createLogger('controller-manager');
try {
  const f = parseFlags('controller-manager', flagSpec);
  const cm = await startControllerManager({
    kubeconfig: f.kubeconfig,
    leaderElect: f['leader-elect'],
    leaseDurationSeconds: f['leader-elect-lease-duration'],
    renewDeadlineSeconds: f['leader-elect-renew-deadline'],
    retryPeriodSeconds: f['leader-elect-retry-period'],
    leaseNamespace: f['leader-elect-resource-namespace'],
    leaseName: f['leader-elect-resource-name'],
    bindAddress: f['bind-address'],
    port: f.port,
    controllers: f.controllers,
    concurrentReplicaSetSyncs: f['concurrent-replicaset-syncs'],
    concurrentDeploymentSyncs: f['concurrent-deployment-syncs'],
    burstReplicas: f['burst-replicas'],
    expectationsTimeoutSeconds: f['expectations-timeout'],
    nodeMonitorGracePeriodSeconds: f['node-monitor-grace-period'],
    nodeMonitorPeriodSeconds: f['node-monitor-period'],
    defaultTolerationSecondsOverride: f['default-toleration-seconds'],
    clusterCidr: f['cluster-cidr'],
    nodeCidrMaskSize: f['node-cidr-mask-size'],
    concurrentEndpointSyncs: f['concurrent-endpoint-syncs'],
    concurrentServiceEndpointSyncs: f['concurrent-service-endpoint-syncs'],
    concurrentGcSyncs: f['concurrent-gc-syncs'],
    discoverySyncPeriodSeconds: f['discovery-sync-period'],
    concurrentNamespaceSyncs: f['concurrent-namespace-syncs'],
    concurrentServiceAccountSyncs: f['concurrent-serviceaccount-syncs'],
    clusterSigningCertFile: f['cluster-signing-cert-file'],
    clusterSigningKeyFile: f['cluster-signing-key-file'],
    clusterSigningDurationSeconds: f['cluster-signing-duration'],
    rootCaFile: f['root-ca-file'],
    resourceQuotaSyncPeriodSeconds: f['resource-quota-sync-period'],
    concurrentResourceQuotaSyncs: f['concurrent-resource-quota-syncs'],
    localPathRoot: f['local-path-root'],
    cronJobTimeScale: f['cronjob-time-scale'],
    hpaSyncPeriodSeconds: seconds('horizontal-pod-autoscaler-sync-period', f['horizontal-pod-autoscaler-sync-period']),
    hpaDownscaleStabilizationSeconds: seconds('horizontal-pod-autoscaler-downscale-stabilization', f['horizontal-pod-autoscaler-downscale-stabilization']),
    hpaTolerance: f['horizontal-pod-autoscaler-tolerance'],
    hpaCpuInitializationPeriodSeconds: seconds('horizontal-pod-autoscaler-cpu-initialization-period', f['horizontal-pod-autoscaler-cpu-initialization-period']),
    hpaInitialReadinessDelaySeconds: seconds('horizontal-pod-autoscaler-initial-readiness-delay', f['horizontal-pod-autoscaler-initial-readiness-delay']),
    loadBalancerIPPool: ipPool(f['load-balancer-ip-pool']),
    log,
    onLeadershipLost: () => {
      log.error('leaderelection lost');
      process.exit(1);
    },
  });
  onShutdown(log, () => cm.stop());
} catch (e) {
  if (e instanceof FlagError) {
    process.stderr.write(`controller-manager: ${e.message}\n`);
    process.exit(2);
  }
  log.error('failed to start', { err: e as Error });
  process.exit(1);
}
