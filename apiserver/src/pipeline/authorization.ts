// Stage 2 of the request path: authorization. May this user do this verb on this resource (or
// non-resource path)? The decision is the authorizer's (auth/authorizer.ts); a refusal is 403.
// auth/index.ts (wrapApi) calls it for every /api and /apis request before any handler runs.
import { authorizeOrThrow } from '../auth/authorizer.ts';
import type { UserInfo } from '../registry/store.ts';
import type { RequestInfo } from '../server/request-info.ts';

export function authorizeRequest(user: UserInfo, info: RequestInfo): void {
  authorizeOrThrow(user, {
    verb: info.verb,
    isResourceRequest: info.isResourceRequest,
    path: info.path,
    group: info.group,
    resource: info.resource,
    subresource: info.subresource,
    namespace: info.namespace,
    name: info.name,
  });
}
