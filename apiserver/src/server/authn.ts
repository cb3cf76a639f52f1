// Who is asking. Authenticators are tried in order; the lab-cluster work adds bearer tokens
// (bootstrap and ServiceAccount tokens) here, next to x509.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../registry/store.ts';

export type Authenticator = (req: IncomingMessage) => UserInfo | undefined | Promise<UserInfo | undefined>;

/** x509 client certificates verified against the client CA: user = CN, groups = O. */
export const x509Authenticator: Authenticator = (req) => {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized || typeof socket.getPeerCertificate !== 'function') return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.subject?.CN) return undefined;
  const o = cert.subject.O;
  const groups = Array.isArray(o) ? o : o ? [o] : [];
  const cn = Array.isArray(cert.subject.CN) ? cert.subject.CN[0]! : cert.subject.CN;
  return { name: cn, groups: [...groups, 'system:authenticated'] };
};

export const anonymous: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

/** Paths anyone may read, as kube-apiserver's default RBAC allows. */
const anonymousPaths = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

export function anonymousAllowed(path: string): boolean {
  return anonymousPaths.has(path) || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/');
}

export async function authenticate(req: IncomingMessage, authenticators: Authenticator[]): Promise<UserInfo | undefined> {
  for (const a of authenticators) {
    const u = await a(req);
    if (u) return u;
  }
  return undefined;
}
