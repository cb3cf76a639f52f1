// The client's generated models drop Kubernetes' x-kubernetes-* extensions, so the merge
// semantics of the served types are restated here, from the `+patchStrategy`, `+patchMergeKey`,
// `+listType`, `+listMapKey`, `+mapType` and `+structType` markers of Kubernetes' types.go.
// Keys are definition names; '.' stands for the definition itself.

export interface FieldSemantics {
  patchStrategy?: string;
  patchMergeKey?: string;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  mapType?: 'atomic' | 'granular';
}

const mergeByKey = (key: string, mapKeys: string[] = [key], strategy = 'merge'): FieldSemantics => ({
  patchStrategy: strategy,
  patchMergeKey: key,
  listType: 'map',
  listMapKeys: mapKeys,
});
const atomicList: FieldSemantics = { listType: 'atomic' };
const setList: FieldSemantics = { patchStrategy: 'merge', listType: 'set' };
const atomicStruct: FieldSemantics = { mapType: 'atomic' };
const conditionsByType = mergeByKey('type');

const core = 'io.k8s.api.core.v1';
const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1';

const containerLists: Record<string, FieldSemantics> = {
  ports: mergeByKey('containerPort', ['containerPort', 'protocol']),
  env: mergeByKey('name'),
  envFrom: atomicList,
  volumeMounts: mergeByKey('mountPath'),
  volumeDevices: mergeByKey('devicePath'),
  command: atomicList,
  args: atomicList,
  resizePolicy: atomicList,
  restartPolicyRules: atomicList,
};

export const listSemantics: Record<string, Record<string, FieldSemantics>> = {
  [`${meta}.ObjectMeta`]: {
    finalizers: setList,
    ownerReferences: mergeByKey('uid'),
    managedFields: atomicList,
  },
  [`${meta}.LabelSelector`]: { '.': atomicStruct, matchExpressions: atomicList },
  [`${meta}.LabelSelectorRequirement`]: { values: atomicList },
  [`${meta}.OwnerReference`]: { '.': atomicStruct },
  [`${meta}.Status`]: {},
  [`${meta}.StatusDetails`]: { causes: atomicList },
  [`${core}.ObjectReference`]: { '.': atomicStruct },
  [`${core}.LocalObjectReference`]: { '.': atomicStruct },
  [`${core}.PodSpec`]: {
    volumes: mergeByKey('name', ['name'], 'merge,retainKeys'),
    initContainers: mergeByKey('name'),
    containers: mergeByKey('name'),
    ephemeralContainers: mergeByKey('name'),
    imagePullSecrets: mergeByKey('name'),
    hostAliases: mergeByKey('ip'),
    tolerations: atomicList,
    readinessGates: atomicList,
    topologySpreadConstraints: mergeByKey('topologyKey', ['topologyKey', 'whenUnsatisfiable']),
    resourceClaims: mergeByKey('name', ['name'], 'merge,retainKeys'),
    schedulingGates: mergeByKey('name'),
    nodeSelector: { mapType: 'atomic' },
  },
  [`${core}.Container`]: containerLists,
  [`${core}.EphemeralContainer`]: containerLists,
  [`${core}.PodStatus`]: {
    conditions: conditionsByType,
    podIPs: mergeByKey('ip'),
    hostIPs: { patchStrategy: 'merge', patchMergeKey: 'ip', listType: 'atomic' },
    initContainerStatuses: atomicList,
    containerStatuses: atomicList,
    ephemeralContainerStatuses: atomicList,
    resourceClaimStatuses: mergeByKey('name', ['name'], 'merge,retainKeys'),
  },
  [`${core}.NodeSelector`]: { '.': atomicStruct, nodeSelectorTerms: atomicList },
  [`${core}.NodeSelectorTerm`]: { '.': atomicStruct, matchExpressions: atomicList, matchFields: atomicList },
  [`${core}.NodeSelectorRequirement`]: { values: atomicList },
  [`${core}.PodAffinity`]: { requiredDuringSchedulingIgnoredDuringExecution: atomicList, preferredDuringSchedulingIgnoredDuringExecution: atomicList },
  [`${core}.PodAntiAffinity`]: { requiredDuringSchedulingIgnoredDuringExecution: atomicList, preferredDuringSchedulingIgnoredDuringExecution: atomicList },
  [`${core}.NodeAffinity`]: { preferredDuringSchedulingIgnoredDuringExecution: atomicList },
  [`${core}.ServiceSpec`]: {
    ports: mergeByKey('port', ['port', 'protocol']),
    selector: { mapType: 'atomic' },
    clusterIPs: atomicList,
    externalIPs: atomicList,
    loadBalancerSourceRanges: atomicList,
    ipFamilies: atomicList,
  },
  [`${core}.ServiceStatus`]: { conditions: conditionsByType },
  [`${core}.LoadBalancerStatus`]: { ingress: atomicList },
  [`${core}.NodeSpec`]: { podCIDRs: setList, taints: atomicList },
  [`${core}.NodeStatus`]: {
    conditions: conditionsByType,
    addresses: mergeByKey('type'),
    images: atomicList,
    volumesInUse: atomicList,
    volumesAttached: atomicList,
  },
  [`${core}.NamespaceSpec`]: { finalizers: atomicList },
  [`${core}.NamespaceStatus`]: { conditions: conditionsByType },
  [`${core}.Endpoints`]: { subsets: atomicList },
  [`${core}.EndpointSubset`]: { addresses: atomicList, notReadyAddresses: atomicList, ports: atomicList },
  [`${core}.EndpointAddress`]: { '.': atomicStruct },
  [`${core}.ServiceAccount`]: { secrets: mergeByKey('name'), imagePullSecrets: atomicList },
  [`${core}.Capabilities`]: { add: atomicList, drop: atomicList },
  [`${core}.ConfigMapVolumeSource`]: { items: atomicList },
  [`${core}.SecretVolumeSource`]: { items: atomicList },
  [`${core}.ExecAction`]: { command: atomicList },
  [`${core}.HTTPGetAction`]: { httpHeaders: atomicList },
  ['io.k8s.api.apps.v1.DeploymentSpec']: { strategy: { patchStrategy: 'retainKeys' } },
  ['io.k8s.api.apps.v1.DeploymentStatus']: { conditions: conditionsByType },
  ['io.k8s.api.apps.v1.ReplicaSetStatus']: { conditions: conditionsByType },
  ['io.k8s.api.apps.v1.DaemonSetStatus']: { conditions: conditionsByType },
  ['io.k8s.api.batch.v1.JobStatus']: { conditions: { ...conditionsByType, listType: 'atomic', listMapKeys: undefined } },
  ['io.k8s.api.batch.v1.CronJobStatus']: { active: atomicList },
  ['io.k8s.api.batch.v1.PodFailurePolicy']: { rules: atomicList },
  ['io.k8s.api.batch.v1.PodFailurePolicyRule']: { onPodConditions: atomicList },
  ['io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement']: { values: { listType: 'set' } },
  ['io.k8s.api.batch.v1.UncountedTerminatedPods']: { succeeded: { listType: 'set' }, failed: { listType: 'set' } },
  ['io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec']: { metrics: atomicList },
  ['io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus']: { currentMetrics: atomicList, conditions: conditionsByType },
  ['io.k8s.api.autoscaling.v2.HPAScalingRules']: { policies: atomicList },
  ['io.k8s.api.discovery.v1.EndpointSlice']: { endpoints: atomicList, ports: atomicList },
  ['io.k8s.api.discovery.v1.Endpoint']: { addresses: setList },
  ['io.k8s.api.certificates.v1.CertificateSigningRequestSpec']: { usages: atomicList, groups: atomicList },
  ['io.k8s.api.certificates.v1.CertificateSigningRequestStatus']: { conditions: { listType: 'map', listMapKeys: ['type'] } },
};

/** The semantics our table gives one field of a definition ('.' for the definition). */
export function semanticsOf(definition: string, field: string): FieldSemantics | undefined {
  return listSemantics[definition]?.[field];
}

/** The same, written as the x-kubernetes-* extensions of an OpenAPI schema. */
export function semanticsAsExtensions(s: FieldSemantics | undefined): Record<string, unknown> {
  if (!s) return {};
  const ext: Record<string, unknown> = {};
  if (s.patchMergeKey) ext['x-kubernetes-patch-merge-key'] = s.patchMergeKey;
  if (s.patchStrategy) ext['x-kubernetes-patch-strategy'] = s.patchStrategy;
  if (s.listType) ext['x-kubernetes-list-type'] = s.listType;
  if (s.listMapKeys) ext['x-kubernetes-list-map-keys'] = s.listMapKeys;
  if (s.mapType) ext['x-kubernetes-map-type'] = s.mapType;
  return ext;
}
