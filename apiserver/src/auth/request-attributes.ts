// A request as the authorizers see it (authorizer.AttributesRecord from the RequestInfo), and
// the further checks some requests need.
import type { RequestInfo } from '../server/request-info.ts';
import type { Attributes } from './attributes.ts';

const streamingSubresources = new Set(['exec', 'attach', 'portforward']);

export function attributesOf(info: RequestInfo, query?: URLSearchParams): Attributes {
  const a: Attributes = {
    verb: info.verb,
    isResourceRequest: info.isResourceRequest,
    path: info.path,
    group: info.group,
    resource: info.resource,
    subresource: info.subresource,
    namespace: info.namespace,
    name: info.name,
  };
  if (!a.isResourceRequest) return a;
  // a namespace is its own namespace: a RoleBinding in it may grant reading it
  if (a.resource === 'namespaces' && a.name) a.namespace = a.name;
  // list or watch of one object by name is authorized as that object (RequestInfoFactory)
  if ((a.verb === 'list' || a.verb === 'watch') && !a.name && query) {
    const sel = query.get('fieldSelector') ?? '';
    const m = /^metadata\.name==?([^,]+)$/.exec(sel);
    if (m) a.name = m[1];
  }
  return a;
}

/**
 * exec, attach and port-forward run commands in a pod: a GET to them (a WebSocket upgrade)
 * needs `create` as well, as kube-apiserver has it since AuthorizePodWebsocketUpgradeCreatePermission.
 */
export function extraChecks(a: Attributes): Attributes[] {
  if (a.isResourceRequest && a.group === '' && a.resource === 'pods' && a.subresource && streamingSubresources.has(a.subresource) && a.verb === 'get') {
    return [{ ...a, verb: 'create' }];
  }
  return [];
}
