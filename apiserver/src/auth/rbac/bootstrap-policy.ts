// The roles and bindings every cluster starts with, named and shaped as Kubernetes'
// plugin/pkg/auth/authorizer/rbac/bootstrappolicy names them. Skiff's controller-manager runs
// every controller under one identity, so system:kube-controller-manager holds the union of
// what its controllers' per-controller roles hold upstream.
import type { KObject } from '../../registry/types.ts';
import { RBAC_GROUP, type PolicyRule } from './rules.ts';

const read = ['get', 'list', 'watch'];
const write = ['create', 'delete', 'deletecollection', 'patch', 'update'];

function rule(verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule {
  return resourceNames ? { verbs, apiGroups, resources, resourceNames } : { verbs, apiGroups, resources };
}
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

const bootstrapLabels = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const autoupdate = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };

function clusterRole(name: string, rules: PolicyRule[], extra: { labels?: Record<string, string>; aggregateFrom?: string } = {}): KObject {
  const role: KObject = {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: { name, labels: { ...bootstrapLabels, ...extra.labels }, annotations: { ...autoupdate } },
    rules,
  };
  if (extra.aggregateFrom) {
    role.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [`rbac.authorization.k8s.io/aggregate-to-${extra.aggregateFrom}`]: 'true' } }] };
  }
  return role;
}

type SubjectSpec = { kind: 'User' | 'Group'; name: string } | { kind: 'ServiceAccount'; name: string; namespace: string };
const user = (name: string): SubjectSpec => ({ kind: 'User', name });
const group = (name: string): SubjectSpec => ({ kind: 'Group', name });

function subjects(list: SubjectSpec[]) {
  return list.map((s) => (s.kind === 'ServiceAccount' ? { ...s } : { ...s, apiGroup: RBAC_GROUP }));
}

function clusterRoleBinding(name: string, role: string, who: SubjectSpec[]): KObject {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { ...bootstrapLabels }, annotations: { ...autoupdate } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: role },
    subjects: subjects(who),
  };
}

/** bootstrappolicy.NodeRules: what every kubelet may do (the Node authorizer narrows the reads). */
export const nodeRules: PolicyRule[] = [
  rule(['create', 'get', 'list', 'watch'], [''], ['nodes']),
  rule(['update', 'patch'], [''], ['nodes/status']),
  rule(['update', 'patch', 'delete'], [''], ['nodes']),
  rule(['create', 'update', 'patch'], ['', 'events.k8s.io'], ['events']),
  rule(read, [''], ['pods']),
  rule(['create', 'delete'], [''], ['pods']),
  rule(['update', 'patch'], [''], ['pods/status']),
  rule(['create'], [''], ['pods/eviction']),
  rule(read, [''], ['services']),
  rule(['get'], [''], ['secrets', 'configmaps', 'persistentvolumeclaims', 'persistentvolumes']),
  rule(['update', 'patch'], [''], ['persistentvolumeclaims/status']),
  rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
  rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews', 'localsubjectaccessreviews']),
  rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
  rule(['get', 'create', 'update', 'patch', 'delete'], ['coordination.k8s.io'], ['leases']),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(read, ['storage.k8s.io'], ['csidrivers', 'csinodes']),
  rule(read, ['node.k8s.io'], ['runtimeclasses']),
];

const viewRules: PolicyRule[] = [
  rule(
    read,
    [''],
    [
      'pods',
      'pods/log',
      'pods/status',
      'podtemplates',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'replicationcontrollers/status',
      'services',
      'services/status',
      'endpoints',
      'persistentvolumeclaims',
      'persistentvolumeclaims/status',
      'configmaps',
      'serviceaccounts',
      'bindings',
      'events',
      'limitranges',
      'namespaces/status',
      'resourcequotas',
      'resourcequotas/status',
    ],
  ),
  rule(read, [''], ['namespaces']),
  rule(read, ['discovery.k8s.io'], ['endpointslices']),
  rule(
    read,
    ['apps'],
    [
      'controllerrevisions',
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/scale',
      'deployments/status',
      'replicasets',
      'replicasets/scale',
      'replicasets/status',
      'statefulsets',
      'statefulsets/scale',
      'statefulsets/status',
    ],
  ),
  rule(read, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(read, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
  rule(read, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  rule(read, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
];

const editRules: PolicyRule[] = [
  rule(read, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
  rule(['impersonate'], [''], ['serviceaccounts']),
  rule(write, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
  rule(['create'], [''], ['pods/eviction']),
  rule(
    write,
    [''],
    [
      'configmaps',
      'events',
      'persistentvolumeclaims',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'secrets',
      'serviceaccounts',
      'services',
      'services/proxy',
    ],
  ),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(
    write,
    ['apps'],
    ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale'],
  ),
  rule(write, ['autoscaling'], ['horizontalpodautoscalers']),
  rule(write, ['batch'], ['cronjobs', 'jobs']),
  rule(write, ['policy'], ['poddisruptionbudgets']),
  rule(write, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
];

const adminRules: PolicyRule[] = [
  rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
  rule([...read, ...write], [RBAC_GROUP], ['rolebindings', 'roles']),
];

const schedulerRules: PolicyRule[] = [
  rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
  rule(['create'], ['coordination.k8s.io'], ['leases']),
  rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-scheduler']),
  rule(read, [''], ['nodes', 'namespaces', 'services', 'replicationcontrollers', 'persistentvolumeclaims', 'persistentvolumes', 'configmaps']),
  rule([...read, 'delete'], [''], ['pods']),
  rule(['create'], [''], ['bindings', 'pods/binding']),
  rule(['patch', 'update'], [''], ['pods/status']),
  rule(read, ['apps'], ['replicasets', 'statefulsets']),
  rule(read, ['policy'], ['poddisruptionbudgets']),
  rule(read, ['storage.k8s.io'], ['storageclasses', 'csinodes', 'csidrivers', 'csistoragecapacities']),
  rule(read, ['scheduling.k8s.io'], ['priorityclasses']),
  rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
  rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
];

/** The union of upstream's per-controller roles for the controllers Skiff runs. */
const controllerManagerRules: PolicyRule[] = [
  // garbage collector and namespace controller: every kind, discovered at run time
  rule([...read, 'patch', 'update', 'delete', 'deletecollection'], ['*'], ['*']),
  rule(['create'], [''], ['pods', 'events', 'endpoints', 'serviceaccounts', 'configmaps', 'secrets', 'pods/eviction', 'serviceaccounts/token']),
  // persistent-volume-binder (the local-path provisioner's volumes) and the ephemeral-volume controller
  rule(['create'], [''], ['persistentvolumes', 'persistentvolumeclaims']),
  rule(['create'], ['events.k8s.io'], ['events']),
  rule(['create'], ['apps'], ['replicasets', 'controllerrevisions']),
  rule(['create'], ['discovery.k8s.io'], ['endpointslices']),
  // cronjob-controller
  rule(['create'], ['batch'], ['jobs']),
  rule(['create'], ['coordination.k8s.io'], ['leases']),
  rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
  rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
  rule(
    ['approve', 'sign'],
    ['certificates.k8s.io'],
    ['signers'],
    ['kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving', 'kubernetes.io/legacy-unknown'],
  ),
  // clusterrole-aggregation-controller writes rules it may not hold itself
  rule(['escalate'], [RBAC_GROUP], ['clusterroles']),
];

export const bootstrapClusterRoles: KObject[] = [
  clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
  clusterRole('system:discovery', [
    urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/']),
  ]),
  clusterRole('system:basic-user', [
    rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
    rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
  ]),
  clusterRole('system:public-info-viewer', [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])]),
  // the dashboard's static files (apiserver --dashboard-dir): the page, not the cluster's data
  clusterRole('system:skiff-dashboard-assets', [urls(['get'], ['/ui', '/ui/*'])]),
  // the release a joining node installs (apiserver --dist-dir: make dist's tarball, install.sh, SHA256SUMS)
  clusterRole('system:skiff-dist-reader', [urls(['get'], ['/skiff/dist/*'])]),
  clusterRole('system:service-account-issuer-discovery', [urls(['get'], ['/.well-known/openid-configuration', '/openid/v1/jwks'])]),
  clusterRole('admin', [], { aggregateFrom: 'admin' }),
  clusterRole('edit', [], { aggregateFrom: 'edit', labels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } }),
  clusterRole('view', [], { aggregateFrom: 'view', labels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } }),
  clusterRole('system:aggregate-to-admin', adminRules, { labels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } }),
  clusterRole('system:aggregate-to-edit', editRules, { labels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } }),
  clusterRole('system:aggregate-to-view', viewRules, { labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }),
  clusterRole('system:auth-delegator', [
    rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
  ]),
  clusterRole('system:node', nodeRules),
  clusterRole('system:node-proxier', [
    rule(['list', 'watch'], [''], ['services', 'endpoints']),
    rule(read, [''], ['nodes']),
    rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
  ]),
  // the proxy enforces NetworkPolicy: peers are pods, selected by their and their namespace's labels
  clusterRole('system:skiff-network-policy', [
    rule(['list', 'watch'], [''], ['pods', 'namespaces']),
    rule(['list', 'watch'], ['networking.k8s.io'], ['networkpolicies']),
  ]),
  clusterRole('system:kube-dns', [rule(['list', 'watch'], [''], ['endpoints', 'services']), rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices'])]),
  // full use of every kubelet's API: what the apiserver's kubelet client holds
  clusterRole('system:kubelet-api-admin', [
    rule(read, [''], ['nodes']),
    rule(['proxy'], [''], ['nodes']),
    rule(['*'], [''], ['nodes/proxy', 'nodes/metrics', 'nodes/spec', 'nodes/stats', 'nodes/log']),
  ]),
  // Skiff's DNS server: CoreDNS's system:coredns, plus reading the kube-system namespace it
  // publishes the kube-dns Service in (that Service is written under the Role below)
  clusterRole('system:skiff-dns', [
    rule(['list', 'watch'], [''], ['endpoints', 'services', 'pods', 'namespaces']),
    rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
    rule(['get'], [''], ['namespaces'], ['kube-system']),
  ]),
  // Skiff's metrics server (metrics-server's own manifest's roles): it reads nodes' resource
  // metrics from kubelets and pods' metadata, and who may read metrics.k8s.io is aggregated
  // into view, edit and admin
  clusterRole('system:metrics-server', [rule(['get'], [''], ['nodes/metrics']), rule(read, [''], ['pods', 'nodes'])]),
  // Skiff's metrics server runs outside the cluster and registers its own APIService
  // (metrics-server/src/registration.ts); its Service and Endpoints under the Role below
  clusterRole('system:skiff-metrics-server', [
    rule(['create'], ['apiregistration.k8s.io'], ['apiservices']),
    rule(['get', 'update'], ['apiregistration.k8s.io'], ['apiservices'], ['v1beta1.metrics.k8s.io']),
  ]),
  // Skiff's ingress controller (ingress/): what it routes by, the TLS Secrets it terminates
  // with, the nodes whose addresses it reports, and the status of the Ingresses it serves
  clusterRole('system:skiff-ingress', [
    rule(read, ['networking.k8s.io'], ['ingresses', 'ingressclasses']),
    rule(['update', 'patch'], ['networking.k8s.io'], ['ingresses/status']),
    rule(read, [''], ['services', 'secrets', 'nodes']),
    rule(read, ['discovery.k8s.io'], ['endpointslices']),
  ]),
  clusterRole('system:aggregated-metrics-reader', [rule(read, ['metrics.k8s.io'], ['pods', 'nodes'])], {
    labels: {
      'rbac.authorization.k8s.io/aggregate-to-view': 'true',
      'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
      'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
    },
  }),
  clusterRole('system:kube-scheduler', schedulerRules),
  clusterRole('system:kube-controller-manager', controllerManagerRules),
  clusterRole('system:node-bootstrapper', [rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests'])]),
  clusterRole('system:certificates.k8s.io:certificatesigningrequests:nodeclient', [
    rule(['create'], ['certificates.k8s.io'], ['certificatesigningrequests/nodeclient']),
  ]),
  clusterRole('system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [
    rule(['create'], ['certificates.k8s.io'], ['certificatesigningrequests/selfnodeclient']),
  ]),
];

export const bootstrapClusterRoleBindings: KObject[] = [
  clusterRoleBinding('cluster-admin', 'cluster-admin', [group('system:masters')]),
  clusterRoleBinding('system:discovery', 'system:discovery', [group('system:authenticated')]),
  clusterRoleBinding('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
  clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]),
  clusterRoleBinding('system:skiff-dashboard-assets', 'system:skiff-dashboard-assets', [group('system:authenticated'), group('system:unauthenticated')]),
  // a node that joins with a bootstrap token downloads the release with that token (make token's one-line install)
  clusterRoleBinding('system:skiff-dist-reader', 'system:skiff-dist-reader', [group('system:bootstrappers'), group('system:nodes')]),
  clusterRoleBinding('system:service-account-issuer-discovery', 'system:service-account-issuer-discovery', [group('system:serviceaccounts')]),
  // a joined node's proxy runs with the node's own credentials (scripts/node/join.sh), so nodes
  // hold the proxier's rights as well as kube-proxy's own identity
  clusterRoleBinding('system:node-proxier', 'system:node-proxier', [user('system:kube-proxy'), group('system:nodes')]),
  clusterRoleBinding('system:skiff-network-policy', 'system:skiff-network-policy', [user('system:kube-proxy'), group('system:nodes')]),
  clusterRoleBinding('system:kube-dns', 'system:kube-dns', [{ kind: 'ServiceAccount', name: 'kube-dns', namespace: 'kube-system' }, user('system:kube-dns')]),
  // the apiserver's own client certificate for kubelets (--kubelet-client-certificate)
  clusterRoleBinding('system:kubelet-api-admin', 'system:kubelet-api-admin', [user('kube-apiserver-kubelet-client')]),
  clusterRoleBinding('system:skiff-dns', 'system:skiff-dns', [user('system:skiff-dns')]),
  clusterRoleBinding('system:metrics-server', 'system:metrics-server', [user('system:skiff-metrics-server')]),
  clusterRoleBinding('system:skiff-metrics-server', 'system:skiff-metrics-server', [user('system:skiff-metrics-server')]),
  clusterRoleBinding('system:skiff-ingress', 'system:skiff-ingress', [user('system:skiff-ingress')]),
  // as an aggregated apiserver it asks the apiserver who a token is and what a user may do
  clusterRoleBinding('metrics-server:system:auth-delegator', 'system:auth-delegator', [user('system:skiff-metrics-server')]),
  clusterRoleBinding('system:kube-scheduler', 'system:kube-scheduler', [user('system:kube-scheduler')]),
  clusterRoleBinding('system:kube-controller-manager', 'system:kube-controller-manager', [user('system:kube-controller-manager')]),
  // what kubeadm binds for joining nodes: bootstrap tokens file CSRs that are approved
  // automatically, and kubelets renew their own client certificates
  clusterRoleBinding('system:node-bootstrapper', 'system:node-bootstrapper', [group('system:bootstrappers')]),
  clusterRoleBinding('system:certificates.k8s.io:certificatesigningrequests:nodeclient', 'system:certificates.k8s.io:certificatesigningrequests:nodeclient', [
    group('system:bootstrappers'),
  ]),
  clusterRoleBinding(
    'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
    'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
    [group('system:nodes')],
  ),
];

/** kubeadm's: anonymous joiners read the kube-public/cluster-info ConfigMap. */
export const bootstrapRoles: KObject[] = [
  {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'Role',
    metadata: { name: 'system:bootstrap-signer-clusterinfo', namespace: 'kube-public', labels: { ...bootstrapLabels }, annotations: { ...autoupdate } },
    rules: [rule(['get'], [''], ['configmaps'], ['cluster-info'])],
  },
  // bootstrappolicy's NamespaceRoles: aggregated API servers bind their ServiceAccount to it to
  // read how this apiserver authenticates front proxies (apiserver/src/aggregator/)
  {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'Role',
    metadata: { name: 'extension-apiserver-authentication-reader', namespace: 'kube-system', labels: { ...bootstrapLabels }, annotations: { ...autoupdate } },
    rules: [rule(read, [''], ['configmaps'], ['extension-apiserver-authentication'])],
  },
  // Skiff's DNS server runs outside the cluster and publishes the kube-dns Service and its
  // endpoints itself (dns/src/bootstrap.ts)
  {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'Role',
    metadata: { name: 'system:skiff-dns', namespace: 'kube-system', labels: { ...bootstrapLabels }, annotations: { ...autoupdate } },
    rules: [
      rule(['create'], [''], ['services', 'endpoints']),
      rule(['get', 'update'], [''], ['services', 'endpoints'], ['kube-dns']),
      rule(['create'], ['discovery.k8s.io'], ['endpointslices']),
      rule(['get', 'update'], ['discovery.k8s.io'], ['endpointslices'], ['kube-dns-skiff']),
    ],
  },
  {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'Role',
    metadata: { name: 'system:skiff-metrics-server', namespace: 'kube-system', labels: { ...bootstrapLabels }, annotations: { ...autoupdate } },
    rules: [rule(['create'], [''], ['services', 'endpoints']), rule(['get', 'update'], [''], ['services', 'endpoints'], ['metrics-server'])],
  },
];

export const bootstrapRoleBindings: KObject[] = [
  {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'system:bootstrap-signer-clusterinfo', namespace: 'kube-public', labels: { ...bootstrapLabels }, annotations: { ...autoupdate } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: 'system:bootstrap-signer-clusterinfo' },
    subjects: [{ kind: 'User', name: 'system:anonymous', apiGroup: RBAC_GROUP }],
  },
  {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'system:skiff-dns', namespace: 'kube-system', labels: { ...bootstrapLabels }, annotations: { ...autoupdate } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: 'system:skiff-dns' },
    subjects: [{ kind: 'User', name: 'system:skiff-dns', apiGroup: RBAC_GROUP }],
  },
  // the metrics server reads the front proxy's CA and header names from the
  // extension-apiserver-authentication ConfigMap, as metrics-server's manifest binds it
  {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'metrics-server-auth-reader', namespace: 'kube-system', labels: { ...bootstrapLabels }, annotations: { ...autoupdate } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: 'extension-apiserver-authentication-reader' },
    subjects: [{ kind: 'User', name: 'system:skiff-metrics-server', apiGroup: RBAC_GROUP }],
  },
  {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'system:skiff-metrics-server', namespace: 'kube-system', labels: { ...bootstrapLabels }, annotations: { ...autoupdate } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: 'system:skiff-metrics-server' },
    subjects: [{ kind: 'User', name: 'system:skiff-metrics-server', apiGroup: RBAC_GROUP }],
  },
];
