// A hand-written excerpt of the Kubernetes type markers (+patchStrategy, +patchMergeKey,
// +listType, +listMapKey, +mapType, +structType) for the kinds Skiff serves, so that
// strategic merge patch and server-side apply work before the OpenAPI-based PatchMeta exists.
import type { FieldPatchMeta, PatchMeta } from './meta.ts';

interface FieldSpec {
  /** named type of the value (of the items, for lists) */
  type?: string;
  /** or its fields, inline */
  fields?: Fields;
  list?: 'atomic' | 'set' | 'map';
  keys?: string[];
  keyDefaults?: Record<string, unknown>;
  strategy?: string;
  mergeKey?: string;
  /** 'atomic' for +mapType=atomic maps and +structType=atomic structs (LabelSelector) */
  map?: 'atomic' | 'granular';
  /** a map with free-form keys rather than a struct */
  freeMap?: boolean;
}
type Fields = Record<string, FieldSpec>;

const atomicList: FieldSpec = { list: 'atomic' };
const atomicStruct: FieldSpec = { map: 'atomic' };
const granularMap: FieldSpec = { freeMap: true };
const byName = (type?: string, strategy = 'merge'): FieldSpec => ({ type, list: 'map', keys: ['name'], strategy, mergeKey: 'name' });
const conditionsByType: FieldSpec = { list: 'map', keys: ['type'], strategy: 'merge', mergeKey: 'type' };
const portKeyDefaults = { protocol: 'TCP' };

const types: Record<string, Fields> = {
  ObjectMeta: {
    labels: granularMap,
    annotations: granularMap,
    finalizers: { list: 'set', strategy: 'merge' },
    ownerReferences: { list: 'map', keys: ['uid'], strategy: 'merge', mergeKey: 'uid' },
    managedFields: atomicList,
  },
  PodTemplateSpec: { metadata: { type: 'ObjectMeta' }, spec: { type: 'PodSpec' } },
  PodSpec: {
    containers: byName('Container'),
    initContainers: byName('Container'),
    ephemeralContainers: byName('Container'),
    volumes: byName('Volume', 'merge,retainKeys'),
    imagePullSecrets: byName(),
    hostAliases: { type: 'HostAlias', list: 'map', keys: ['ip'], strategy: 'merge', mergeKey: 'ip' },
    tolerations: atomicList,
    readinessGates: atomicList,
    nodeSelector: { map: 'atomic', freeMap: true },
    topologySpreadConstraints: { list: 'map', keys: ['topologyKey', 'whenUnsatisfiable'], strategy: 'merge', mergeKey: 'topologyKey' },
    schedulingGates: byName(),
    resourceClaims: byName(undefined, 'merge,retainKeys'),
    securityContext: { type: 'PodSecurityContext' },
    affinity: { type: 'Affinity' },
    dnsConfig: { type: 'PodDNSConfig' },
    overhead: granularMap,
  },
  HostAlias: { hostnames: atomicList },
  PodSecurityContext: { supplementalGroups: atomicList, sysctls: atomicList },
  PodDNSConfig: { nameservers: atomicList, searches: atomicList, options: atomicList },
  Affinity: { nodeAffinity: { type: 'NodeAffinity' }, podAffinity: { type: 'PodAffinity' }, podAntiAffinity: { type: 'PodAffinity' } },
  NodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { type: 'NodeSelector' }, preferredDuringSchedulingIgnoredDuringExecution: atomicList },
  NodeSelector: { nodeSelectorTerms: atomicList },
  PodAffinity: { requiredDuringSchedulingIgnoredDuringExecution: atomicList, preferredDuringSchedulingIgnoredDuringExecution: atomicList },
  Container: {
    ports: { list: 'map', keys: ['containerPort', 'protocol'], keyDefaults: portKeyDefaults, strategy: 'merge', mergeKey: 'containerPort' },
    env: byName(),
    envFrom: atomicList,
    volumeMounts: { list: 'map', keys: ['mountPath'], strategy: 'merge', mergeKey: 'mountPath' },
    volumeDevices: { list: 'map', keys: ['devicePath'], strategy: 'merge', mergeKey: 'devicePath' },
    command: atomicList,
    args: atomicList,
    resizePolicy: atomicList,
    resources: { type: 'ResourceRequirements' },
    securityContext: { type: 'SecurityContext' },
    livenessProbe: { type: 'Probe' },
    readinessProbe: { type: 'Probe' },
    startupProbe: { type: 'Probe' },
    lifecycle: { type: 'Lifecycle' },
  },
  ResourceRequirements: { limits: granularMap, requests: granularMap, claims: { list: 'map', keys: ['name'] } },
  SecurityContext: { capabilities: { type: 'Capabilities' } },
  Capabilities: { add: atomicList, drop: atomicList },
  Probe: { exec: { type: 'ExecAction' }, httpGet: { type: 'HTTPGetAction' } },
  Lifecycle: { postStart: { type: 'Probe' }, preStop: { type: 'Probe' } },
  ExecAction: { command: atomicList },
  HTTPGetAction: { httpHeaders: atomicList },
  Volume: { configMap: { type: 'KeyToPaths' }, secret: { type: 'KeyToPaths' }, projected: { type: 'Projected' } },
  KeyToPaths: { items: atomicList },
  Projected: { sources: atomicList },
  JobTemplateSpec: { metadata: { type: 'ObjectMeta' }, spec: { type: 'JobSpec' } },
  JobSpec: { selector: atomicStruct, template: { type: 'PodTemplateSpec' } },
  LoadBalancerStatus: { ingress: atomicList },
};

const struct = (fields: Fields): FieldSpec => ({ fields });
const workloadSpec: Fields = { selector: atomicStruct, template: { type: 'PodTemplateSpec' } };
const conditionsStatus = struct({ conditions: conditionsByType });

/** Root fields per kind (metadata is added for all). */
const kinds: Record<string, Fields> = {
  Pod: {
    spec: { type: 'PodSpec' },
    status: struct({
      conditions: conditionsByType,
      podIPs: { list: 'map', keys: ['ip'], strategy: 'merge', mergeKey: 'ip' },
      hostIPs: { list: 'atomic', strategy: 'merge', mergeKey: 'ip' },
      containerStatuses: atomicList,
      initContainerStatuses: atomicList,
      ephemeralContainerStatuses: atomicList,
    }),
  },
  PodTemplate: { template: { type: 'PodTemplateSpec' } },
  Deployment: { spec: struct({ ...workloadSpec, strategy: { strategy: 'retainKeys' } }), status: conditionsStatus },
  ReplicaSet: { spec: struct(workloadSpec), status: conditionsStatus },
  StatefulSet: { spec: struct({ ...workloadSpec, volumeClaimTemplates: atomicList }), status: conditionsStatus },
  DaemonSet: { spec: struct(workloadSpec), status: conditionsStatus },
  ReplicationController: { spec: struct({ selector: { map: 'atomic', freeMap: true }, template: { type: 'PodTemplateSpec' } }), status: conditionsStatus },
  Job: { spec: { type: 'JobSpec' }, status: struct({ conditions: { list: 'atomic', strategy: 'merge', mergeKey: 'type' } }) },
  CronJob: { spec: struct({ jobTemplate: { type: 'JobTemplateSpec' } }), status: struct({ active: atomicList }) },
  Service: {
    spec: struct({
      ports: { list: 'map', keys: ['port', 'protocol'], keyDefaults: portKeyDefaults, strategy: 'merge', mergeKey: 'port' },
      selector: { map: 'atomic', freeMap: true },
      externalIPs: atomicList,
      clusterIPs: atomicList,
      ipFamilies: atomicList,
      loadBalancerSourceRanges: atomicList,
    }),
    status: struct({ conditions: conditionsByType, loadBalancer: { type: 'LoadBalancerStatus' } }),
  },
  Node: {
    spec: struct({ taints: atomicList, podCIDRs: { list: 'set', strategy: 'merge' } }),
    status: struct({
      conditions: conditionsByType,
      addresses: { list: 'map', keys: ['type'], strategy: 'merge', mergeKey: 'type' },
      images: atomicList,
      volumesAttached: atomicList,
      volumesInUse: atomicList,
      capacity: granularMap,
      allocatable: granularMap,
    }),
  },
  Namespace: { spec: struct({ finalizers: atomicList }), status: conditionsStatus },
  ConfigMap: { data: granularMap, binaryData: granularMap },
  Secret: { data: granularMap, stringData: granularMap },
  Endpoints: { subsets: atomicList },
  EndpointSlice: { endpoints: atomicList, ports: atomicList },
  PersistentVolumeClaim: { spec: struct({ accessModes: atomicList, selector: atomicStruct }), status: conditionsStatus },
  PersistentVolume: { spec: struct({ accessModes: atomicList, mountOptions: atomicList }) },
  Ingress: { spec: struct({ rules: atomicList, tls: atomicList }), status: struct({ loadBalancer: { type: 'LoadBalancerStatus' } }) },
  NetworkPolicy: { spec: struct({ podSelector: atomicStruct, ingress: atomicList, egress: atomicList, policyTypes: atomicList }) },
  PodDisruptionBudget: { spec: struct({ selector: atomicStruct }), status: conditionsStatus },
  HorizontalPodAutoscaler: { spec: struct({ metrics: atomicList }), status: struct({ conditions: conditionsByType, currentMetrics: atomicList }) },
  Role: { rules: atomicList },
  ClusterRole: { rules: atomicList },
  RoleBinding: { subjects: atomicList },
  ClusterRoleBinding: { subjects: atomicList },
  CustomResourceDefinition: { spec: struct({ versions: atomicList }), status: conditionsStatus },
};

function toMeta(spec: FieldSpec): FieldPatchMeta {
  const m: FieldPatchMeta = {};
  if (spec.strategy) m.patchStrategy = spec.strategy;
  if (spec.mergeKey) m.patchMergeKey = spec.mergeKey;
  if (spec.list) {
    m.listType = spec.list;
    m.isList = true;
  }
  if (spec.keys) m.listMapKeys = spec.keys;
  if (spec.keyDefaults) m.listMapKeyDefaults = spec.keyDefaults;
  if (spec.map) m.mapType = spec.map;
  if (spec.freeMap) m.isMap = true;
  return m;
}

/** The built-in table's PatchMeta for one kind; unknown kinds get one that knows only metadata. */
export function builtinPatchMeta(kind: string): PatchMeta {
  const rootFields: Fields = { metadata: { type: 'ObjectMeta' }, ...(kinds[kind] ?? {}) };
  return {
    at(path: string[]): FieldPatchMeta {
      let fields: Fields | undefined = rootFields;
      let spec: FieldSpec | undefined;
      for (const name of path) {
        spec = fields?.[name];
        if (!spec) return {};
        fields = spec.fields ?? (spec.type ? types[spec.type] : undefined);
      }
      return spec ? toMeta(spec) : {};
    },
  };
}
