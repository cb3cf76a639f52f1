// The controller-manager's settings: flags (main.ts) or a literal object (tests).
export interface ControllerManagerConfig {
  kubeconfig?: string;
  leaderElect: boolean;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  leaseNamespace: string;
  leaseName: string;
  /** Identity in the Lease; hostname_random by default. */
  identity?: string;
  bindAddress: string;
  /** /healthz /readyz /metrics port; 0 picks a free one, -1 serves none. */
  port: number;
  /** Controller names to run; '*' means all, '-name' disables one (as --controllers does upstream). */
  controllers: readonly string[];
  concurrentReplicaSetSyncs: number;
  concurrentDeploymentSyncs: number;
  /** Upper bound of pods created or deleted by one ReplicaSet sync (upstream BurstReplicas). */
  burstReplicas: number;
  /** How long an unmet create/delete expectation blocks a ReplicaSet before it is ignored. */
  expectationsTimeoutSeconds: number;
  /** A node whose Lease is older than this is NotReady (Ready=Unknown) and tainted. */
  nodeMonitorGracePeriodSeconds: number;
  nodeMonitorPeriodSeconds: number;
  /** Shortens the 300 s default tolerations of unreachable/not-ready nodes (labs and tests). */
  defaultTolerationSecondsOverride?: number;
  clusterCidr: string;
  nodeCidrMaskSize: number;
  concurrentEndpointSyncs: number;
  concurrentServiceEndpointSyncs: number;
  concurrentGcSyncs: number;
  /** discovery re-read this often by the garbage collector and the quota controller, to watch resources of CRDs created later (kube: 30 s) */
  discoverySyncPeriodSeconds: number;
  concurrentNamespaceSyncs: number;
  concurrentServiceAccountSyncs: number;
  /** the CA that signs kubelet client and serving certificates (TLS bootstrap) */
  clusterSigningCertFile: string;
  clusterSigningKeyFile: string;
  clusterSigningDurationSeconds: number;
  approveKubeletServing: boolean;
  concurrentCsrSyncs: number;
  /** the CA published to every namespace as ConfigMap kube-root-ca.crt */
  rootCaFile: string;
  /** pods of deleted nodes: looked for this often, deleted after the node was gone this long */
  podGcPeriodSeconds: number;
  podGcQuarantineSeconds: number;
  /** --resource-quota-sync-period: every quota recounted this often */
  resourceQuotaSyncPeriodSeconds: number;
  /** a quota uncharged this long may have its usage lowered by a recount */
  resourceQuotaSettleSeconds: number;
  concurrentResourceQuotaSyncs: number;
  /** where the skiff.io/local-path provisioner puts volumes on the chosen node */
  localPathRoot: string;
  /** The CronJob controller's clock runs this many times faster than real time (tests; 1 otherwise). */
  cronJobTimeScale?: number;
  /** --horizontal-pod-autoscaler-sync-period: every autoscaler is reconciled this often */
  hpaSyncPeriodSeconds?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization: the scale-down window of autoscalers without behavior */
  hpaDownscaleStabilizationSeconds?: number;
  /** --horizontal-pod-autoscaler-tolerance: usage ratios this close to 1 change nothing */
  hpaTolerance?: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period: CPU samples of pods this young are trusted only after readiness */
  hpaCpuInitializationPeriodSeconds?: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay: readiness flips this soon after start do not count */
  hpaInitialReadinessDelaySeconds?: number;
  /** --load-balancer-ip-pool: addresses for LoadBalancer Services (ranges or CIDRs, comma-separated); empty: none handed out */
  loadBalancerIPPool?: string;
}

export const defaultConfig: ControllerManagerConfig = {
  leaderElect: true,
  leaseDurationSeconds: 15,
  renewDeadlineSeconds: 10,
  retryPeriodSeconds: 2,
  leaseNamespace: 'kube-system',
  leaseName: 'kube-controller-manager',
  bindAddress: '127.0.0.1',
  port: 10257,
  controllers: ['*'],
  concurrentReplicaSetSyncs: 5,
  concurrentDeploymentSyncs: 5,
  burstReplicas: 500,
  expectationsTimeoutSeconds: 300,
  nodeMonitorGracePeriodSeconds: 40,
  nodeMonitorPeriodSeconds: 5,
  clusterCidr: '10.244.0.0/16',
  nodeCidrMaskSize: 24,
  concurrentEndpointSyncs: 5,
  concurrentServiceEndpointSyncs: 5,
  concurrentGcSyncs: 20,
  discoverySyncPeriodSeconds: 30,
  concurrentNamespaceSyncs: 5,
  concurrentServiceAccountSyncs: 2,
  clusterSigningCertFile: '',
  clusterSigningKeyFile: '',
  clusterSigningDurationSeconds: 365 * 24 * 3600,
  approveKubeletServing: true,
  concurrentCsrSyncs: 2,
  rootCaFile: '',
  podGcPeriodSeconds: 20,
  podGcQuarantineSeconds: 40,
  resourceQuotaSyncPeriodSeconds: 300,
  resourceQuotaSettleSeconds: 2,
  concurrentResourceQuotaSyncs: 5,
  localPathRoot: '/var/lib/skiff/storage',
};

/** Whether `name` is enabled by a --controllers list (upstream semantics: '*', 'name', '-name'). */
export function controllerEnabled(name: string, list: readonly string[]): boolean {
  if (list.includes(`-${name}`)) return false;
  if (list.includes(name)) return true;
  return list.includes('*');
}
