// Stage 1 of the request path: authentication. Who is asking: a client certificate, then a
// bearer token (server/authn.ts has the authenticators); nobody is anonymous, which only the
// health, version and cluster-info paths accept. Unknown callers get 401.
import type { IncomingMessage } from 'node:http';
import { errors } from '../errors.ts';
import type { UserInfo } from '../registry/store.ts';
import { anonymous, anonymousAllowed, authenticate, isPerRequest, type Authenticator } from '../server/authn.ts';

// Verifying and parsing the peer certificate costs more than a small request: do it once per
// TLS connection, not once per request on a kept-alive connection (null: none).
const socketUsers = new WeakMap<object, UserInfo | null>();

/** The caller of `req`; throws 401 when nobody is authenticated on a path that needs someone. */
export async function authenticateRequest(req: IncomingMessage, authenticators: Authenticator[], path: string): Promise<UserInfo> {
  // a front proxy names a user per request: those authenticators come first, every time
  for (const a of authenticators) {
    if (!isPerRequest(a)) continue;
    const u = await a(req);
    if (u) return u;
  }
  let authed = socketUsers.get(req.socket);
  if (authed === undefined || req.headers.authorization) {
    authed =
      (await authenticate(
        req,
        authenticators.filter((a) => !isPerRequest(a)),
      )) ?? null;
    if (!req.headers.authorization) socketUsers.set(req.socket, authed);
  }
  const user = authed ?? (anonymousAllowed(path) ? anonymous : undefined);
  if (!user) throw errors.unauthorized();
  return user;
}
