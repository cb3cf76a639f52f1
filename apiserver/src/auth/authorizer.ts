// Who may do what. Not RBAC yet: a fixed policy that gives each kind of identity in the lab
// what it needs, in the spirit of Kubernetes' default roles and the Node authorizer.
//
//   system:masters (admin), system:apiserver,
//   system:kube-controller-manager, system:kube-scheduler   everything
//   system:kube-proxy (user) / system:node-proxier (group)   read everything, write events
//   system:nodes (kubelets)                                 read everything; their own Node and
//                                                           its Lease; pods and pods/status;
//                                                           events; CSRs; serviceaccounts/token
//   system:bootstrappers (bootstrap tokens)                 create/get/list/watch CSRs only
//   system:serviceaccounts (pods)                           read-only (get/list/watch) on every
//                                                           resource, for now: no RBAC to narrow it
//   anyone authenticated                                    discovery, OpenAPI, version, health
//   anonymous                                               health, version, and the public
//                                                           kube-public/cluster-info ConfigMap
import { ApiError, qualifiedResource } from '../errors.ts';
import type { UserInfo } from '../registry/store.ts';

export interface Attributes {
  verb: string;
  isResourceRequest: boolean;
  /** the URL path (non-resource requests are judged by it) */
  path: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

const allow: Decision = { allowed: true };
const deny = (reason: string): Decision => ({ allowed: false, reason });

const superGroups = new Set(['system:masters']);
const superUsers = new Set(['system:apiserver', 'system:kube-controller-manager', 'system:kube-scheduler']);
const readVerbs = new Set(['get', 'list', 'watch']);
const NODE_USER_PREFIX = 'system:node:';

/** Paths every authenticated user may GET: discovery, OpenAPI, version and health. */
function publicNonResource(path: string): boolean {
  return (
    path === '/api' ||
    path.startsWith('/api/') ||
    path === '/apis' ||
    path.startsWith('/apis/') ||
    path.startsWith('/openapi/') ||
    path === '/openapi' ||
    path.startsWith('/version') ||
    /^\/(healthz|livez|readyz)(\/|$)/.test(path)
  );
}

function isClusterInfo(a: Attributes): boolean {
  return (
    a.isResourceRequest &&
    a.group === '' &&
    a.resource === 'configmaps' &&
    a.namespace === 'kube-public' &&
    a.name === 'cluster-info' &&
    !a.subresource &&
    a.verb === 'get'
  );
}

function resourceIs(a: Attributes, group: string, resource: string, subresource?: string): boolean {
  return a.group === group && a.resource === resource && (a.subresource ?? '') === (subresource ?? '');
}

function isCsrRequest(a: Attributes): boolean {
  return resourceIs(a, 'certificates.k8s.io', 'certificatesigningrequests') && ['create', 'get', 'list', 'watch'].includes(a.verb);
}

/** What a kubelet (system:node:NAME in system:nodes) may do. */
function nodeDecision(user: UserInfo, a: Attributes): Decision {
  if (readVerbs.has(a.verb)) return allow;
  const nodeName = user.name.startsWith(NODE_USER_PREFIX) ? user.name.slice(NODE_USER_PREFIX.length) : undefined;
  if (resourceIs(a, '', 'nodes') || resourceIs(a, '', 'nodes', 'status')) {
    if (a.verb === 'create') return allow;
    if (['update', 'patch', 'delete'].includes(a.verb) && nodeName && a.name === nodeName) return allow;
    return deny(`a node may change only its own Node object (${nodeName ?? 'unknown node'})`);
  }
  if (resourceIs(a, 'coordination.k8s.io', 'leases') && a.namespace === 'kube-node-lease') {
    if (a.verb === 'create') return allow;
    if (['update', 'patch', 'delete'].includes(a.verb) && nodeName && a.name === nodeName) return allow;
    return deny('a node may change only its own Lease');
  }
  if (resourceIs(a, '', 'pods') && ['create', 'delete'].includes(a.verb)) return allow;
  if (resourceIs(a, '', 'pods', 'status') && ['update', 'patch'].includes(a.verb)) return allow;
  if ((resourceIs(a, '', 'events') || resourceIs(a, 'events.k8s.io', 'events')) && ['create', 'update', 'patch'].includes(a.verb)) return allow;
  if (isCsrRequest(a)) return allow;
  if (resourceIs(a, '', 'serviceaccounts', 'token') && a.verb === 'create') return allow;
  return deny('not allowed for nodes');
}

export function authorize(user: UserInfo, a: Attributes): Decision {
  const groups = new Set(user.groups);
  if (superUsers.has(user.name) || user.groups.some((g) => superGroups.has(g))) return allow;
  if (!a.isResourceRequest) {
    if ((a.verb === 'get' || a.verb === 'head') && publicNonResource(a.path)) return allow;
    return deny('no policy allows this path');
  }
  if (isClusterInfo(a)) return allow;
  if (!groups.has('system:authenticated')) return deny('anonymous requests may read only health, version and cluster-info');
  if (groups.has('system:nodes') && nodeDecision(user, a).allowed) return allow;
  if (user.name === 'system:kube-proxy' || groups.has('system:node-proxier')) {
    if (readVerbs.has(a.verb)) return allow;
    if ((resourceIs(a, '', 'events') || resourceIs(a, 'events.k8s.io', 'events')) && ['create', 'update', 'patch'].includes(a.verb)) return allow;
  }
  if (groups.has('system:bootstrappers') && isCsrRequest(a)) return allow;
  if (groups.has('system:serviceaccounts') && readVerbs.has(a.verb)) return allow;
  return deny('no policy allows it');
}

/** The 403 kube-apiserver returns, worded as its RBAC denials are. */
export function forbiddenError(user: UserInfo, a: Attributes): ApiError {
  if (!a.isResourceRequest) {
    return new ApiError(403, 'Forbidden', `forbidden: User "${user.name}" cannot ${a.verb} path "${a.path}"`, {});
  }
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  const who = `User "${user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${scope}`;
  const what = qualifiedResource(a.group, resource);
  return new ApiError(403, 'Forbidden', `${what}${a.name ? ` "${a.name}"` : ''} is forbidden: ${who}`, {
    name: a.name,
    group: a.group || undefined,
    kind: a.resource,
  });
}

/** Throws the 403 unless `user` may do `a`. */
export function authorizeOrThrow(user: UserInfo, a: Attributes): void {
  if (!authorize(user, a).allowed) throw forbiddenError(user, a);
}
