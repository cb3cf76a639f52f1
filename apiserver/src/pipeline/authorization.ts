// Stage 2 of the request path: authorization. May this user do this verb on this resource (or
// non-resource path)? The decision is the authorizers' (auth/authorizer.ts: Node, then RBAC); a
// refusal is 403. auth/index.ts (wrapApi) calls it for every /api and /apis request before any
// handler runs. Some requests need a second decision (a websocket GET to pods/exec also needs
// create: auth/request-attributes.ts extraChecks).
import { forbiddenError, type AuthorizerChain } from '../auth/authorizer.ts';
import { attributesOf, extraChecks } from '../auth/request-attributes.ts';
import type { UserInfo } from '../registry/store.ts';
import type { RequestInfo } from '../server/request-info.ts';

/** Throws the 403 unless allowed; `onDecision` hears each answer (the audit log annotates it). */
export function authorizeRequest(
  authorizer: AuthorizerChain,
  user: UserInfo,
  info: RequestInfo,
  query?: URLSearchParams,
  onDecision?: (allowed: boolean, reason: string) => void,
): void {
  const a = attributesOf(info, query);
  for (const attrs of [a, ...extraChecks(a)]) {
    const d = authorizer.authorize(user, attrs);
    onDecision?.(d.decision === 'allow', d.reason);
    if (d.decision !== 'allow') throw forbiddenError(user, attrs, d.reason);
  }
}
