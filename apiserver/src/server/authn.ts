// Who is asking. Authenticators are tried in order; the lab-cluster work adds bearer tokens
// (bootstrap and ServiceAccount tokens) here, next to x509.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../registry/store.ts';

export type Authenticator = (req: IncomingMessage) => UserInfo | undefined | Promise<UserInfo | undefined>;

const perRequest = new WeakSet<Authenticator>();

/**
 * Marks an authenticator whose answer depends on each request, not only on the connection
 * (request headers from a front proxy, which sends many users over one connection): it is
 * asked on every request, never cached per connection.
 */
export function perRequestAuthenticator(a: Authenticator): Authenticator {
  perRequest.add(a);
  return a;
}

export function isPerRequest(a: Authenticator): boolean {
  return perRequest.has(a);
}

/** Checks one bearer token; undefined when it is not a token this authenticator knows or accepts. */
export type TokenAuthenticator = (token: string) => UserInfo | undefined | Promise<UserInfo | undefined>;

/** x509 client certificates verified against the client CA: user = CN, groups = O. */
export const x509Authenticator: Authenticator = (req) => {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized || typeof socket.getPeerCertificate !== 'function') return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert?.subject?.CN) return undefined;
  const o = cert.subject.O;
  const groups = Array.isArray(o) ? o : o ? [o] : [];
  const cn = Array.isArray(cert.subject.CN) ? cert.subject.CN[0]! : cert.subject.CN;
  return { name: cn, groups: [...groups, 'system:authenticated'] };
};

export const anonymous: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

/**
 * Paths anyone may read, as kube-apiserver's default RBAC allows: health, version, and the
 * public cluster-info ConfigMap a joining node takes the CA from (pinned by its hash).
 */
const anonymousPaths = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/', '/api/v1/namespaces/kube-public/configmaps/cluster-info']);

export function anonymousAllowed(path: string): boolean {
  return anonymousPaths.has(path) || isDashboardPath(path) || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/');
}

/**
 * The dashboard's static files (/ui/): a browser loads the page before it has a token to
 * send, and the files hold no cluster data; every API call the page makes is authenticated.
 */
export function isDashboardPath(path: string): boolean {
  return path === '/ui' || path.startsWith('/ui/');
}

export async function authenticate(req: IncomingMessage, authenticators: Authenticator[]): Promise<UserInfo | undefined> {
  for (const a of authenticators) {
    const u = await a(req);
    if (u) return u;
  }
  return undefined;
}

/** Browsers and kubectl's WebSocket streams cannot set headers: they send the token as a subprotocol. */
const wsBearerPrefix = 'base64url.bearer.authorization.k8s.io.';

export function isBearerProtocol(protocol: string): boolean {
  return protocol.startsWith(wsBearerPrefix);
}

/** The bearer token of a request: `Authorization: Bearer T`, or the WebSocket subprotocol form. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : undefined;
  }
  const protocols = req.headers['sec-websocket-protocol'];
  if (!protocols) return undefined;
  for (const p of protocols.split(',').map((s) => s.trim())) {
    if (!p.startsWith(wsBearerPrefix)) continue;
    const token = Buffer.from(p.slice(wsBearerPrefix.length), 'base64url').toString('utf8');
    return token || undefined;
  }
  return undefined;
}

/**
 * Bearer tokens (bootstrap tokens, ServiceAccount JWTs): the first token authenticator that
 * accepts the token wins. A token nobody accepts authenticates nobody; the request then is
 * anonymous (401 outside health and version) unless a client certificate identified it.
 */
export function bearerTokenAuthenticator(tokenAuthenticators: TokenAuthenticator[]): Authenticator {
  return async (req) => {
    const token = bearerToken(req);
    if (!token) return undefined;
    for (const check of tokenAuthenticators) {
      const user = await check(token);
      if (user) return user;
    }
    return undefined;
  };
}
