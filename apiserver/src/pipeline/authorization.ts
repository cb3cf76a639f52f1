// Stage 2 of the request path: authorization. May this user do this verb on this resource (or
// non-resource path)? The decision is the authorizers' (auth/authorizer.ts: Node, then RBAC); a
// refusal is 403. auth/index.ts (wrapApi) calls it for every /api and /apis request before any
// handler runs. Some requests need a second decision (a websocket GET to pods/exec also needs
// create: auth/request-attributes.ts extraChecks).
import { authorizeOrThrow, type AuthorizerChain } from '../auth/authorizer.ts';
import { attributesOf, extraChecks } from '../auth/request-attributes.ts';
import type { UserInfo } from '../registry/store.ts';
import type { RequestInfo } from '../server/request-info.ts';

export function authorizeRequest(authorizer: AuthorizerChain, user: UserInfo, info: RequestInfo, query?: URLSearchParams): void {
  const a = attributesOf(info, query);
  authorizeOrThrow(authorizer, user, a);
  for (const more of extraChecks(a)) authorizeOrThrow(authorizer, user, more);
}
