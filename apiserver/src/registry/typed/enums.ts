// The closed string sets (Go `+enum` types) of the served kinds' fields, as Kubernetes' types.go
// declare them (k8s.io/api core/v1, apps/v1, discovery/v1). The client models the OpenAPI is
// built from carry no enums, so they are listed here, keyed by definition and field.
// An empty string is left to each kind's own validation: for several fields it means "default".
const core = 'io.k8s.api.core.v1';
const protocols = ['SCTP', 'TCP', 'UDP'];
const taintEffects = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];
const trafficPolicies = ['Cluster', 'Local'];
const nodeInclusionPolicies = ['Honor', 'Ignore'];

const table: Record<string, readonly string[]> = {
  [`${core}.PodSpec.restartPolicy`]: ['Always', 'Never', 'OnFailure'],
  [`${core}.PodSpec.dnsPolicy`]: ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'],
  [`${core}.PodSpec.preemptionPolicy`]: ['Never', 'PreemptLowerPriority'],
  [`${core}.Container.imagePullPolicy`]: ['Always', 'IfNotPresent', 'Never'],
  [`${core}.Container.terminationMessagePolicy`]: ['FallbackToLogsOnError', 'File'],
  [`${core}.EphemeralContainer.imagePullPolicy`]: ['Always', 'IfNotPresent', 'Never'],
  [`${core}.EphemeralContainer.terminationMessagePolicy`]: ['FallbackToLogsOnError', 'File'],
  [`${core}.ContainerPort.protocol`]: protocols,
  [`${core}.ServicePort.protocol`]: protocols,
  [`${core}.EndpointPort.protocol`]: protocols,
  ['io.k8s.api.discovery.v1.EndpointPort.protocol']: protocols,
  [`${core}.ServiceSpec.type`]: ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'],
  [`${core}.ServiceSpec.sessionAffinity`]: ['ClientIP', 'None'],
  [`${core}.ServiceSpec.externalTrafficPolicy`]: trafficPolicies,
  [`${core}.ServiceSpec.internalTrafficPolicy`]: trafficPolicies,
  [`${core}.ServiceSpec.ipFamilyPolicy`]: ['PreferDualStack', 'RequireDualStack', 'SingleStack'],
  [`${core}.Toleration.operator`]: ['Equal', 'Exists'],
  [`${core}.Toleration.effect`]: taintEffects,
  [`${core}.Taint.effect`]: taintEffects,
  [`${core}.HTTPGetAction.scheme`]: ['HTTP', 'HTTPS'],
  [`${core}.NodeSelectorRequirement.operator`]: ['DoesNotExist', 'Exists', 'Gt', 'In', 'Lt', 'NotIn'],
  [`${core}.PodSecurityContext.fsGroupChangePolicy`]: ['Always', 'OnRootMismatch'],
  [`${core}.SeccompProfile.type`]: ['Localhost', 'RuntimeDefault', 'Unconfined'],
  [`${core}.VolumeMount.mountPropagation`]: ['Bidirectional', 'HostToContainer', 'None'],
  [`${core}.HostPathVolumeSource.type`]: ['BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'],
  [`${core}.PersistentVolumeClaimSpec.volumeMode`]: ['Block', 'Filesystem'],
  [`${core}.PodOS.name`]: ['linux', 'windows'],
  [`${core}.TopologySpreadConstraint.whenUnsatisfiable`]: ['DoNotSchedule', 'ScheduleAnyway'],
  [`${core}.TopologySpreadConstraint.nodeAffinityPolicy`]: nodeInclusionPolicies,
  [`${core}.TopologySpreadConstraint.nodeTaintsPolicy`]: nodeInclusionPolicies,
  [`${core}.PodStatus.phase`]: ['Failed', 'Pending', 'Running', 'Succeeded', 'Unknown'],
  [`${core}.PodCondition.status`]: ['False', 'True', 'Unknown'],
  [`${core}.NodeCondition.status`]: ['False', 'True', 'Unknown'],
  [`${core}.NamespaceStatus.phase`]: ['Active', 'Terminating'],
  ['io.k8s.api.apps.v1.DeploymentStrategy.type']: ['Recreate', 'RollingUpdate'],
};

/** The values a field accepts, or undefined when it is an open string. */
export function enumValues(definition: string, field: string): readonly string[] | undefined {
  return table[`${definition}.${field}`];
}
