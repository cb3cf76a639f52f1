// Protobuf decoding/encoding of every served kind: JSON -> protobuf -> JSON round trips of rich
// objects, wire facts checked against hand-built bytes, and rejection of bad bodies.
import { expect } from 'chai';
import protobuf from 'protobufjs';
import { ApiError } from '../src/errors.ts';
import { decodeProtobufObject, encodeProtobufObject, isProtobufBody } from '../src/protobuf/index.ts';
import { formatDuration, formatMicroTime, formatTime, parseDuration, parseTime } from '../src/protobuf/go-values.ts';

const MAGIC = Buffer.from('k8s\0', 'binary');

function roundTrip(obj: Record<string, unknown>): Record<string, unknown> {
  return decodeProtobufObject(encodeProtobufObject(obj)).object;
}

const meta = (name: string, namespace?: string) => ({
  name,
  ...(namespace ? { namespace } : {}),
  uid: '0b7d2f36-6c4e-4a57-9d1f-2f5c3b1a9e01',
  resourceVersion: '42',
  generation: 3,
  creationTimestamp: '2024-01-02T03:04:05Z',
  labels: { app: name, tier: 'web' },
  annotations: { 'example.com/note': 'x' },
  ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-rs`, uid: '5f0c-1', controller: true, blockOwnerDeletion: true }],
  finalizers: ['example.com/cleanup'],
  managedFields: [
    {
      manager: 'kubectl',
      operation: 'Update',
      apiVersion: 'v1',
      time: '2024-01-02T03:04:05Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
    },
  ],
});

const container = (name: string) => ({
  name,
  image: 'nginx:1.27',
  command: ['/bin/sh', '-c'],
  args: ['echo hi; sleep 3600'],
  workingDir: '/srv',
  ports: [
    { name: 'http', containerPort: 80, protocol: 'TCP' },
    { containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '127.0.0.1' },
  ],
  envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'cfg', optional: true } }, { secretRef: { name: 'sec' } }],
  env: [
    { name: 'PLAIN', value: 'v' },
    { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
    { name: 'MEM', valueFrom: { resourceFieldRef: { containerName: name, resource: 'limits.memory', divisor: '1Mi' } } },
    { name: 'KEY', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k', optional: false } } },
    { name: 'PASS', valueFrom: { secretKeyRef: { name: 'sec', key: 'p' } } },
  ],
  resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi', 'example.com/gpu': '1' } },
  volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true, subPath: 'x', mountPropagation: 'HostToContainer' }],
  livenessProbe: {
    httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP', httpHeaders: [{ name: 'X-A', value: 'b' }] },
    initialDelaySeconds: 5,
    periodSeconds: 10,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
    terminationGracePeriodSeconds: 0,
  },
  readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 2 },
  startupProbe: { exec: { command: ['cat', '/tmp/ready'] }, failureThreshold: 30 },
  lifecycle: { postStart: { exec: { command: ['true'] } }, preStop: { sleep: { seconds: 5 } } },
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
  imagePullPolicy: 'IfNotPresent',
  securityContext: {
    capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
    privileged: false,
    runAsUser: 0,
    runAsNonRoot: false,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    seccompProfile: { type: 'RuntimeDefault' },
  },
  stdin: true,
  tty: true,
});

const podSpec = {
  volumes: [
    { name: 'data', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
    { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
    { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a', path: 'a.txt', mode: 0o644 }], defaultMode: 0o420, optional: true } },
    { name: 'sec', secret: { secretName: 'sec', defaultMode: 0 } },
    { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] } },
    {
      name: 'proj',
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { audience: 'api', expirationSeconds: 3600, path: 'token' } },
          { configMap: { name: 'cfg', items: [{ key: 'b', path: 'b' }] } },
          { secret: { name: 'sec' } },
          { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    },
    { name: 'claim', persistentVolumeClaim: { claimName: 'data-0', readOnly: true } },
    { name: 'nfs', nfs: { server: '10.0.0.1', path: '/exports' } },
    {
      name: 'eph',
      ephemeral: {
        volumeClaimTemplate: {
          metadata: { labels: { a: 'b' } },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'fast' },
        },
      },
    },
  ],
  initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'], resources: {}, restartPolicy: 'Always' }],
  containers: [container('app'), { name: 'side', image: 'busybox', resources: {} }],
  ephemeralContainers: [{ name: 'debug', image: 'busybox', targetContainerName: 'app', resources: {} }],
  restartPolicy: 'Always',
  terminationGracePeriodSeconds: 30,
  activeDeadlineSeconds: 600,
  dnsPolicy: 'ClusterFirst',
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  serviceAccountName: 'runner',
  automountServiceAccountToken: false,
  nodeName: 'node-1',
  hostNetwork: true,
  shareProcessNamespace: true,
  securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 2000, supplementalGroups: [3000], sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
  imagePullSecrets: [{ name: 'pull' }],
  hostname: 'h',
  subdomain: 's',
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }] },
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 10, preference: { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n2'] }] } },
      ],
    },
    podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' }] },
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            labelSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] },
            namespaces: ['x'],
            topologyKey: 'zone',
          },
        },
      ],
    },
  },
  schedulerName: 'default-scheduler',
  tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { operator: 'Exists' }],
  hostAliases: [{ ip: '127.0.0.2', hostnames: ['alias'] }],
  priorityClassName: 'high',
  priority: 0,
  dnsConfig: { nameservers: ['1.1.1.1'], searches: ['svc'], options: [{ name: 'ndots', value: '2' }] },
  readinessGates: [{ conditionType: 'example.com/ready' }],
  runtimeClassName: 'runc',
  enableServiceLinks: false,
  preemptionPolicy: 'Never',
  overhead: { cpu: '10m' },
  topologySpreadConstraints: [
    {
      maxSkew: 1,
      topologyKey: 'zone',
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { app: 'web' } },
      minDomains: 2,
      matchLabelKeys: ['pod-template-hash'],
    },
  ],
  setHostnameAsFQDN: false,
  os: { name: 'linux' },
  hostUsers: true,
};

const podTemplate = { metadata: { labels: { app: 'web' }, creationTimestamp: null }, spec: podSpec };

const objects: Array<Record<string, unknown>> = [
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta('web-0', 'default'),
    spec: podSpec,
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2024-01-02T03:04:06Z' }],
      hostIP: '10.0.0.2',
      hostIPs: [{ ip: '10.0.0.2' }],
      podIP: '10.244.0.5',
      podIPs: [{ ip: '10.244.0.5' }, { ip: 'fd00::5' }],
      startTime: '2024-01-02T03:04:05Z',
      qosClass: 'Burstable',
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          restartCount: 0,
          image: 'nginx:1.27',
          imageID: 'sha256:abc',
          containerID: 'containerd://1',
          started: true,
          state: { running: { startedAt: '2024-01-02T03:04:07Z' } },
          lastState: { terminated: { exitCode: 0, reason: 'Completed', startedAt: '2024-01-01T00:00:00Z', finishedAt: '2024-01-01T00:01:00Z' } },
        },
      ],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: meta('node-1'),
    spec: {
      podCIDR: '10.244.0.0/24',
      podCIDRs: ['10.244.0.0/24'],
      unschedulable: true,
      taints: [{ key: 'k', value: 'v', effect: 'NoSchedule', timeAdded: '2024-01-02T03:04:05Z' }],
    },
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '3800m', memory: '7Gi', pods: '110' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          lastHeartbeatTime: '2024-01-02T03:04:05Z',
          lastTransitionTime: '2024-01-02T03:04:05Z',
          reason: 'KubeletReady',
          message: 'ok',
        },
      ],
      addresses: [
        { type: 'InternalIP', address: '10.0.0.2' },
        { type: 'Hostname', address: 'node-1' },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: 'm',
        systemUUID: 's',
        bootID: 'b',
        kernelVersion: '6.1',
        osImage: 'Debian',
        containerRuntimeVersion: 'containerd://1.7',
        kubeletVersion: 'v1.32.0',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images: [{ names: ['nginx:1.27'], sizeBytes: 70000000 }],
    },
  },
  { apiVersion: 'v1', kind: 'Namespace', metadata: meta('team-a'), spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta('web', 'default'),
    spec: {
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080, appProtocol: 'http' },
        { name: 'dns', protocol: 'UDP', port: 53, targetPort: 5353 },
      ],
      selector: { app: 'web' },
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10', 'fd00::10'],
      type: 'NodePort',
      externalIPs: ['192.0.2.1'],
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
      externalTrafficPolicy: 'Local',
      ipFamilies: ['IPv4', 'IPv6'],
      ipFamilyPolicy: 'PreferDualStack',
      internalTrafficPolicy: 'Cluster',
      allocateLoadBalancerNodePorts: true,
    },
    status: { loadBalancer: { ingress: [{ ip: '192.0.2.10', ports: [{ port: 80, protocol: 'TCP' }] }] } },
  },
  {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: meta('web', 'default'),
    subsets: [
      {
        addresses: [{ ip: '10.244.0.5', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-0', uid: 'u1' } }],
        notReadyAddresses: [{ ip: '10.244.0.6' }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ],
  },
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta('cfg', 'default'),
    data: { 'a.txt': 'hello\nworld', empty: '' },
    binaryData: { 'blob.bin': Buffer.from([0, 1, 2, 255]).toString('base64') },
    immutable: false,
  },
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta('sec', 'default'),
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64'), raw: Buffer.from([0xde, 0xad, 0xbe, 0xef]).toString('base64') },
    stringData: { plain: 'text' },
    immutable: true,
  },
  {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: meta('web-0.17a', 'default'),
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-0', uid: 'u1', apiVersion: 'v1', resourceVersion: '7', fieldPath: 'spec.containers{app}' },
    reason: 'Pulled',
    message: 'Pulled image',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: '2024-01-02T03:04:05Z',
    lastTimestamp: '2024-01-02T03:05:05Z',
    count: 2,
    type: 'Normal',
    eventTime: '2024-01-02T03:04:05.123456Z',
    series: { count: 2, lastObservedTime: '2024-01-02T03:05:05.000001Z' },
    action: 'Pull',
    reportingComponent: 'kubelet',
    reportingInstance: 'node-1',
  },
  {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta('runner', 'default'),
    secrets: [{ name: 'tok' }],
    imagePullSecrets: [{ name: 'pull' }],
    automountServiceAccountToken: false,
  },
  {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 'web-0', namespace: 'default', creationTimestamp: null },
    target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' },
  },
  { apiVersion: 'v1', kind: 'PodTemplate', metadata: meta('tpl', 'default'), template: podTemplate },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('web', 'default'),
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: podTemplate,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
      minReadySeconds: 5,
      revisionHistoryLimit: 0,
      progressDeadlineSeconds: 600,
      paused: true,
    },
    status: {
      observedGeneration: 3,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 1,
      availableReplicas: 1,
      unavailableReplicas: 1,
      collisionCount: 0,
      conditions: [
        {
          type: 'Available',
          status: 'False',
          lastUpdateTime: '2024-01-02T03:04:05Z',
          lastTransitionTime: '2024-01-02T03:04:05Z',
          reason: 'MinimumReplicasUnavailable',
          message: 'm',
        },
      ],
    },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: meta('web-rs', 'default'),
    spec: { replicas: 2, minReadySeconds: 1, selector: { matchLabels: { app: 'web' } }, template: podTemplate },
    status: { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta('db', 'default'),
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'db' } },
      template: podTemplate,
      serviceName: 'db',
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 1 } },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', creationTimestamp: null },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
          status: {},
        },
      ],
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' },
      ordinals: { start: 0 },
    },
    status: { replicas: 0, availableReplicas: 0 },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta('agent', 'kube-system'),
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: podTemplate,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%', maxSurge: 0 } },
    },
    status: { currentNumberScheduled: 1, numberMisscheduled: 0, desiredNumberScheduled: 1, numberReady: 1 },
  },
  { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: meta('web', 'default'), spec: { replicas: 3 }, status: { replicas: 2, selector: 'app=web' } },
  {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta('web', 'default'),
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 10, targetCPUUtilizationPercentage: 80 },
    status: { observedGeneration: 1, lastScaleTime: '2024-01-02T03:04:05Z', currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 91 },
  },
  {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta('web', 'default'),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        { type: 'Pods', pods: { metric: { name: 'qps', selector: { matchLabels: { a: 'b' } } }, target: { type: 'AverageValue', averageValue: '1k' } } },
      ],
      behavior: {
        scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] },
        scaleUp: { stabilizationWindowSeconds: 0 },
      },
    },
    status: {
      currentReplicas: 2,
      desiredReplicas: 2,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 65, averageValue: '130m' } } }],
      conditions: [{ type: 'AbleToScale', status: 'True', lastTransitionTime: '2024-01-02T03:04:05Z', reason: 'ReadyForNewScale' }],
    },
  },
  {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta('web', 'default'),
    spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    status: {
      observedGeneration: 2,
      disruptedPods: { 'web-0': '2024-01-02T03:04:05Z' },
      disruptionsAllowed: 0,
      currentHealthy: 2,
      desiredHealthy: 2,
      expectedPods: 3,
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: 'False',
          observedGeneration: 2,
          lastTransitionTime: '2024-01-02T03:04:05Z',
          reason: 'InsufficientPods',
          message: '',
        },
      ],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: meta('legacy', 'default'),
    spec: { replicas: 0, minReadySeconds: 2, selector: { app: 'web' }, template: podTemplate },
    status: {
      replicas: 2,
      fullyLabeledReplicas: 2,
      readyReplicas: 1,
      availableReplicas: 1,
      observedGeneration: 3,
      conditions: [{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: '2024-01-02T03:04:05Z', reason: 'FailedCreate', message: 'quota' }],
    },
  },
  {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name: 'web-0', namespace: 'default', creationTimestamp: null },
    deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: 'u1', resourceVersion: '7' }, propagationPolicy: 'Background', dryRun: ['All'] },
  },
  {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: meta('web-abc', 'default'),
    addressType: 'IPv4',
    endpoints: [
      {
        addresses: ['10.244.0.5'],
        conditions: { ready: true, serving: true, terminating: false },
        hostname: 'web-0',
        nodeName: 'node-1',
        zone: 'a',
        targetRef: { kind: 'Pod', name: 'web-0', namespace: 'default', uid: 'u1' },
        hints: { forZones: [{ name: 'a' }] },
      },
    ],
    ports: [{ name: 'http', protocol: 'TCP', port: 8080, appProtocol: 'http' }],
  },
  {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: meta('node-1', 'kube-node-lease'),
    spec: {
      holderIdentity: 'node-1',
      leaseDurationSeconds: 40,
      acquireTime: '2024-01-02T03:04:05.000000Z',
      renewTime: '2024-01-02T03:04:45.500000Z',
      leaseTransitions: 0,
    },
  },
  {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: meta('web-0.17b', 'default'),
    eventTime: '2024-01-02T03:04:05.654321Z',
    series: { count: 3, lastObservedTime: '2024-01-02T03:06:05.000000Z' },
    reportingController: 'kubelet',
    reportingInstance: 'node-1',
    action: 'Pull',
    reason: 'Pulled',
    regarding: { kind: 'Pod', name: 'web-0', namespace: 'default' },
    note: 'pulled',
    type: 'Normal',
    deprecatedCount: 3,
    deprecatedFirstTimestamp: null,
    deprecatedLastTimestamp: null,
  },
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: meta('high'),
    value: 1000000,
    description: 'important',
    preemptionPolicy: 'PreemptLowerPriority',
  },
  {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: meta('csr-1'),
    spec: {
      request: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\n').toString('base64'),
      signerName: 'kubernetes.io/kube-apiserver-client',
      expirationSeconds: 86400,
      usages: ['client auth'],
      username: 'alice',
      uid: 'u-a',
      groups: ['system:authenticated'],
      extra: { scopes: ['a', 'b'] },
    },
    status: {
      conditions: [
        { type: 'Approved', status: 'True', reason: 'AutoApproved', lastUpdateTime: '2024-01-02T03:04:05Z', lastTransitionTime: '2024-01-02T03:04:05Z' },
      ],
      certificate: Buffer.from('CERT').toString('base64'),
    },
  },
  {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    gracePeriodSeconds: 30,
    preconditions: { uid: 'u1' },
    orphanDependents: false,
    propagationPolicy: 'Foreground',
    dryRun: ['All'],
  },
  {
    apiVersion: 'v1',
    kind: 'Status',
    metadata: { resourceVersion: '9' },
    status: 'Failure',
    message: 'pods "x" not found',
    reason: 'NotFound',
    details: { name: 'x', kind: 'pods', causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec' }], retryAfterSeconds: 1 },
    code: 404,
  },
  {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: meta('limits', 'default'),
    spec: {
      limits: [
        {
          type: 'Container',
          max: { cpu: '1', memory: '1Gi' },
          min: { cpu: '50m' },
          default: { cpu: '500m' },
          defaultRequest: { cpu: '100m' },
          maxLimitRequestRatio: { cpu: '10' },
        },
        { type: 'PersistentVolumeClaim', max: { storage: '2Gi' } },
      ],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: meta('quota', 'default'),
    spec: {
      hard: { pods: '5', 'requests.cpu': '1', 'count/deployments.apps': '2' },
      scopes: ['NotTerminating'],
      scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] },
    },
    status: {
      hard: { pods: '5', 'requests.cpu': '1', 'count/deployments.apps': '2' },
      used: { pods: '3', 'requests.cpu': '250m', 'count/deployments.apps': '0' },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'ConfigMapList',
    metadata: { resourceVersion: '10', continue: 'abc', remainingItemCount: 0 },
    items: [{ metadata: { name: 'a', creationTimestamp: null }, data: { k: 'v' } }],
  },
];

describe('protobuf round trips', () => {
  for (const obj of objects) {
    it(`${obj.apiVersion} ${obj.kind} survives JSON -> protobuf -> JSON`, () => {
      const body = encodeProtobufObject(obj);
      expect(isProtobufBody(body)).to.equal(true);
      const decoded = decodeProtobufObject(body);
      expect(decoded.apiVersion).to.equal(obj.apiVersion);
      expect(decoded.kind).to.equal(obj.kind);
      expect(decoded.object).to.deep.equal(obj);
    });
  }

  it('keeps a Scale with zero replicas in status (no omitempty) but not in spec (omitempty)', () => {
    const out = roundTrip({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 's' }, spec: { replicas: 0 }, status: { replicas: 0 } });
    expect(out).to.deep.include({ spec: {}, status: { replicas: 0 } });
  });

  it('drops unset zero values as omitempty does, keeps pointer zeros', () => {
    const out = roundTrip({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', generation: 0, creationTimestamp: null },
      spec: { replicas: 0, minReadySeconds: 0, paused: false, selector: { matchLabels: { a: 'b' } } },
    });
    expect(out.spec).to.deep.equal({ replicas: 0, selector: { matchLabels: { a: 'b' } } });
    expect(out.metadata).to.deep.equal({ name: 'd', creationTimestamp: null });
  });

  it("keeps the user's extra values and the selectors of a SubjectAccessReview, and a TokenReview's extra", () => {
    const sar = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: { creationTimestamp: null },
      spec: {
        resourceAttributes: {
          namespace: 'team-a',
          verb: 'list',
          resource: 'pods',
          fieldSelector: { rawSelector: 'spec.nodeName=n1', requirements: [{ key: 'spec.nodeName', operator: 'In', values: ['n1'] }] },
          labelSelector: { requirements: [{ key: 'app', operator: 'Exists' }] },
        },
        user: 'jane',
        groups: ['devs'],
        extra: { 'authentication.kubernetes.io/credential-id': ['X509SHA256=ab'], scopes: ['a', 'b'] },
        uid: 'u-1',
      },
      status: { allowed: true, reason: 'RBAC: allowed' },
    };
    expect(roundTrip(sar)).to.deep.equal(sar);
    const review = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      metadata: { creationTimestamp: null },
      spec: { token: 't' },
      status: {
        authenticated: true,
        user: {
          username: 'system:serviceaccount:a:b',
          uid: 'u',
          groups: ['system:serviceaccounts'],
          extra: { 'authentication.kubernetes.io/pod-name': ['p'] },
        },
      },
    };
    expect(roundTrip(review)).to.deep.equal(review);
  });

  it('marks missing non-omitempty pointers and lists as null, like Go', () => {
    const out = roundTrip({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec: {} } } });
    expect(out.spec).to.deep.equal({ selector: null, template: { spec: { containers: null } } });
  });
});

describe('protobuf wire compatibility (hand-built bytes)', () => {
  // Field numbers from Kubernetes' generated.proto, written without our schema.
  function message(build: (w: protobuf.Writer) => void): Uint8Array {
    const w = protobuf.Writer.create();
    build(w);
    return w.finish();
  }
  const str = (w: protobuf.Writer, field: number, s: string) => w.uint32((field << 3) | 2).string(s);
  const sub = (w: protobuf.Writer, field: number, bytes: Uint8Array) => w.uint32((field << 3) | 2).bytes(bytes);
  const varint = (w: protobuf.Writer, field: number, n: number) => w.uint32(field << 3).int64(n);
  function body(apiVersion: string, kind: string, raw: Uint8Array, contentEncoding = ''): Buffer {
    const typeMeta = message((w) => {
      str(w, 1, apiVersion);
      str(w, 2, kind);
    });
    const unknown = message((w) => {
      sub(w, 1, typeMeta);
      sub(w, 2, raw);
      str(w, 3, contentEncoding);
      str(w, 4, '');
    });
    return Buffer.concat([MAGIC, unknown]);
  }

  it('decodes a Service: clusterIPs=18, ipFamilies=19, externalIPs=5, IntOrString targetPort', () => {
    const port = message((w) => {
      str(w, 1, 'http');
      str(w, 2, 'TCP');
      varint(w, 3, 80);
      sub(
        w,
        4,
        message((t) => {
          varint(t, 1, 1);
          varint(t, 2, 0);
          str(t, 3, 'web');
        }),
      );
      varint(w, 5, 0);
    });
    const spec = message((w) => {
      sub(w, 1, port);
      str(w, 3, '10.96.0.1');
      sub(w, 5, Buffer.from(''));
      str(w, 5, '192.0.2.1');
      str(w, 18, '10.96.0.1');
      str(w, 19, 'IPv4');
    });
    const svc = message((w) => {
      sub(
        w,
        1,
        message((m) => {
          str(m, 1, 'svc');
          str(m, 3, 'ns');
          sub(m, 8, new Uint8Array());
        }),
      );
      sub(w, 2, spec);
      sub(w, 3, new Uint8Array());
    });
    const { object } = decodeProtobufObject(body('v1', 'Service', svc));
    expect(object).to.deep.equal({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc', namespace: 'ns', creationTimestamp: null },
      spec: {
        ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'web' }],
        clusterIP: '10.96.0.1',
        externalIPs: ['', '192.0.2.1'],
        clusterIPs: ['10.96.0.1'],
        ipFamilies: ['IPv4'],
      },
      status: {},
    });
  });

  it('decodes Time (seconds=1,nanos=2), MicroTime, bytes maps and int64 fields', () => {
    const time = message((w) => {
      varint(w, 1, 1704164645);
      varint(w, 2, 123456789);
    });
    const secret = message((w) => {
      sub(
        w,
        1,
        message((m) => {
          str(m, 1, 's');
          varint(m, 7, 2 ** 40);
          sub(m, 8, time);
          varint(m, 10, 0);
        }),
      );
      sub(
        w,
        2,
        message((e) => {
          str(e, 1, 'k');
          sub(e, 2, Buffer.from([1, 2, 3]));
        }),
      );
      str(w, 3, 'Opaque');
    });
    expect(decodeProtobufObject(body('v1', 'Secret', secret)).object).to.deep.equal({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', generation: 2 ** 40, creationTimestamp: '2024-01-02T03:04:05Z', deletionGracePeriodSeconds: 0 },
      data: { k: 'AQID' },
      type: 'Opaque',
    });
    const lease = message((w) => {
      sub(w, 1, new Uint8Array());
      sub(
        w,
        2,
        message((s) => {
          sub(s, 3, time);
        }),
      );
    });
    expect(decodeProtobufObject(body('coordination.k8s.io/v1', 'Lease', lease)).object.spec).to.deep.equal({ acquireTime: '2024-01-02T03:04:05.123456Z' });
  });

  it('accepts DeleteOptions sent under any group version', () => {
    const opts = message((w) => {
      varint(w, 1, 5);
      str(w, 4, 'Orphan');
    });
    expect(decodeProtobufObject(body('apps/v1', 'DeleteOptions', opts)).object).to.deep.equal({
      apiVersion: 'apps/v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 5,
      propagationPolicy: 'Orphan',
    });
  });

  describe('rejects bad bodies with 400', () => {
    const expectBadRequest = (buf: Buffer, pattern: RegExp) => {
      let caught: unknown;
      try {
        decodeProtobufObject(buf);
      } catch (e) {
        caught = e;
      }
      expect(caught).to.be.instanceOf(ApiError);
      expect((caught as ApiError).code).to.equal(400);
      expect((caught as ApiError).message).to.match(pattern);
    };
    it('wrong magic', () => expectBadRequest(Buffer.from('{"kind":"Pod"}'), /k8s\\0 prefix/));
    it('unknown kind', () => expectBadRequest(body('v1', 'Gizmo', new Uint8Array()), /no kind "Gizmo"/));
    it('nested type as kind', () => expectBadRequest(body('v1', 'PodSpec', new Uint8Array()), /no kind "PodSpec"/));
    it('unknown group', () => expectBadRequest(body('example.com/v1', 'Pod', new Uint8Array()), /no kind "Pod"/));
    it('missing type meta', () => expectBadRequest(Buffer.concat([MAGIC, message((w) => sub(w, 2, new Uint8Array()))]), /apiVersion\/kind/));
    it('content encoding', () => expectBadRequest(body('v1', 'Pod', new Uint8Array(), 'gzip'), /content encoding/));
    it('garbage envelope', () => expectBadRequest(Buffer.concat([MAGIC, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f])]), /unable to decode/));
    it('garbage object', () => expectBadRequest(body('v1', 'Pod', Buffer.from([0x0a, 0x7f, 0x01])), /unable to decode protobuf Pod/));
    it('FieldsV1 that is not JSON', () => {
      const meta = message((m) =>
        sub(
          m,
          17,
          message((e) => {
            str(e, 1, 'kubectl');
            sub(
              e,
              7,
              message((f) => sub(f, 1, Buffer.from('{nope'))),
            );
          }),
        ),
      );
      expectBadRequest(
        body(
          'v1',
          'ConfigMap',
          message((w) => sub(w, 1, meta)),
        ),
        /does not hold JSON/,
      );
    });
  });
});

describe('Go value formats', () => {
  it('formats and parses metav1.Time and MicroTime', () => {
    expect(formatTime({ seconds: 1704164645, nanos: 999999999 })).to.equal('2024-01-02T03:04:05Z');
    expect(formatMicroTime({ seconds: 1704164645, nanos: 1000 })).to.equal('2024-01-02T03:04:05.000001Z');
    expect(parseTime('2024-01-02T04:04:05.5+01:00')).to.deep.equal({ seconds: 1704164645, nanos: 500000000 });
    expect(() => parseTime('yesterday')).to.throw(/RFC3339/);
  });
  it('formats and parses durations like Go', () => {
    expect(formatDuration(0)).to.equal('0s');
    expect(formatDuration(3600e9)).to.equal('1h0m0s');
    expect(formatDuration(90e9 + 5e8)).to.equal('1m30.5s');
    expect(formatDuration(1.5e6)).to.equal('1.5ms');
    expect(parseDuration('1h30m')).to.equal(5400e9);
    expect(parseDuration('-250ms')).to.equal(-250e6);
    expect(() => parseDuration('10 minutes')).to.throw(/invalid duration/);
  });
  it('formats what it parses', () => {
    expect(formatDuration(parseDuration('2h45m0.001s'))).to.equal('2h45m0.001s');
  });
});
