// The closed string sets (Go `+enum` types) of the served kinds' fields, as Kubernetes' types.go
// declare them (k8s.io/api core/v1, apps/v1). The client models the OpenAPI is built from carry
// no enums, so they are listed here, keyed by definition and field, supported values sorted as
// the validation code's sets.List() prints them. An empty string is left to each kind's own
// validation: for several fields it means "use the default".
const core = 'io.k8s.api.core.v1';
const nodeInclusionPolicies = ['Honor', 'Ignore'];
const conditionStatuses = ['False', 'True', 'Unknown'];

// Fields whose kind's own validation already words the NotSupported error (restartPolicy,
// dnsPolicy, imagePullPolicy, protocols, Service type and policies, tolerations, taints, the
// Deployment strategy, ...) are not repeated here: their order of supported values is the one
// Kubernetes' validation code uses, and one error per field is what a client should see.
const table: Record<string, readonly string[]> = {
  [`${core}.PodSpec.preemptionPolicy`]: ['Never', 'PreemptLowerPriority'],
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
  [`${core}.PodStatus.qosClass`]: ['BestEffort', 'Burstable', 'Guaranteed'],
  [`${core}.PodCondition.status`]: conditionStatuses,
  [`${core}.NodeCondition.status`]: conditionStatuses,
  [`${core}.NamespaceStatus.phase`]: ['Active', 'Terminating'],
  ['io.k8s.api.apps.v1.DeploymentCondition.status']: conditionStatuses,
  ['io.k8s.api.apps.v1.ReplicaSetCondition.status']: conditionStatuses,
  ['io.k8s.api.apps.v1.DaemonSetCondition.status']: conditionStatuses,
  ['io.k8s.api.batch.v1.JobCondition.status']: conditionStatuses,
};

/** The values a field accepts, or undefined when it is an open string. */
export function enumValues(definition: string, field: string): readonly string[] | undefined {
  return table[`${definition}.${field}`];
}
