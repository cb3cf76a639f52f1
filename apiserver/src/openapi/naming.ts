// Kubernetes names its OpenAPI definitions after the Go package of the type
// (io.k8s.api.apps.v1.DeploymentSpec); the JS client names its classes after the API version
// only (V1DeploymentSpec), with a group prefix only where two groups share a name
// (CoreV1Event / EventsV1Event). These helpers translate between the two.

/** Types of k8s.io/apimachinery/pkg/apis/meta/v1 that the client generates as `V1<Name>`. */
const metaV1Types = new Set([
  'APIGroup',
  'APIGroupList',
  'APIResource',
  'APIResourceList',
  'APIVersions',
  'Condition',
  'DeleteOptions',
  'FieldSelectorRequirement',
  'GroupVersionForDiscovery',
  'LabelSelector',
  'LabelSelectorRequirement',
  'ListMeta',
  'ManagedFieldsEntry',
  'ObjectMeta',
  'OwnerReference',
  'Preconditions',
  'ServerAddressByClientCIDR',
  'Status',
  'StatusCause',
  'StatusDetails',
  'WatchEvent',
]);

/** The kinds of the core (legacy, group "") API: the types they reach live in io.k8s.api.core.v1. */
export const coreV1Kinds = [
  'Pod',
  'PodTemplate',
  'ReplicationController',
  'Service',
  'Endpoints',
  'Node',
  'Namespace',
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Event',
  'LimitRange',
  'ResourceQuota',
  'Binding',
  'ComponentStatus',
];

export const metaV1Prefix = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export interface ClassName {
  groupWord: string;
  version: string;
  name: string;
}

/** `CoreV1Event` → {groupWord:'Core', version:'v1', name:'Event'}; `V1beta1Foo` → {'', 'v1beta1', 'Foo'} */
export function splitClassName(className: string): ClassName | undefined {
  const m = /^([A-Z][A-Za-z]*?)?(V\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$/.exec(className);
  if (!m) return undefined;
  return { groupWord: m[1] ?? '', version: m[2].toLowerCase(), name: m[3] };
}

export function isMetaV1Class(className: string): boolean {
  const c = splitClassName(className);
  return !!c && c.groupWord === '' && c.version === 'v1' && metaV1Types.has(c.name);
}

/** `discovery.k8s.io` → `discovery`; '' → `core`: the Go package word in definition names. */
export function groupPackageWord(group: string): string {
  return group === '' ? 'core' : group.split('.')[0];
}

/** `discovery.k8s.io` → `Discovery`, `rbac.authorization.k8s.io` → `RbacAuthorization`, '' → `Core`. */
export function groupCamel(group: string): string {
  if (group === '') return 'Core';
  return group
    .replace(/\.k8s\.io$/, '')
    .split('.')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** The client class names that may hold a kind, most specific first. */
export function classCandidates(group: string, version: string, kind: string): string[] {
  const v = version.charAt(0).toUpperCase() + version.slice(1);
  return [`${groupCamel(group)}${v}${kind}`, `${v}${kind}`];
}

export function definitionName(packageWord: string, version: string, name: string): string {
  return `io.k8s.api.${packageWord}.${version}.${name}`;
}
