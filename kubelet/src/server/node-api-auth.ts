// Who may use the node API, decided as the real kubelet does with webhook authentication and
// authorization (its secure configuration, what kubeadm sets):
//   1. authentication: a client certificate that verifies against the client CA (user = CN,
//      groups = O), else a bearer token the apiserver vouches for (TokenReview). Neither, or
//      a certificate from another CA without a good token: 401.
//   2. authorization: a SubjectAccessReview for nodes/<subresource> of this node
//      (node-api-attributes.ts); refused: 403 with the kubelet's wording.
// Answers are cached as the kubelet's webhooks cache them: a TokenReview 2 minutes when
// authenticated and 30 s when not; a SubjectAccessReview 5 minutes when allowed and 30 s
// when denied. Errors are never cached.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { nodeApiAttributes, type NodeApiAttributes } from './node-api-attributes.ts';
import { TtlCache } from './ttl-cache.ts';

export interface NodeApiUser {
  name: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

export interface ReviewAttributes {
  verb: string;
  resource: 'nodes';
  name: string;
  subresource: string;
}

/** The two questions the kubelet puts to the apiserver (review-client.ts asks them over HTTPS). */
export interface Reviewer {
  tokenReview(token: string): Promise<{ authenticated: boolean; user?: NodeApiUser }>;
  subjectAccessReview(user: NodeApiUser, attrs: ReviewAttributes): Promise<{ allowed: boolean; reason?: string }>;
}

export interface AuthTtls {
  tokenAuthenticatedMs: number;
  tokenUnauthenticatedMs: number;
  authorizedMs: number;
  unauthorizedMs: number;
}

export const DEFAULT_AUTH_TTLS: AuthTtls = {
  tokenAuthenticatedMs: 120_000,
  tokenUnauthenticatedMs: 30_000,
  authorizedMs: 300_000,
  unauthorizedMs: 30_000,
};

export type AuthOutcome = { ok: true; user: NodeApiUser } | { ok: false; code: 401 | 403 | 500; message: string; user?: NodeApiUser };

/** The user a client certificate names once it verified against the client CA (CN, O as groups). */
export function certificateUser(req: IncomingMessage): NodeApiUser | undefined {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized) return undefined;
  const subject = socket.getPeerCertificate?.()?.subject as unknown as Record<string, string | string[]> | undefined;
  if (!subject?.CN) return undefined;
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return { name: list(subject.CN)[0]!, groups: list(subject.O) };
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/** The kubelet's wording for a refused request. */
export function forbiddenMessage(user: NodeApiUser, attrs: NodeApiAttributes): string {
  return `Forbidden (user=${user.name}, verb=${attrs.verb}, resource=nodes, subresource=${attrs.subresource})`;
}

const digest = (s: string) => createHash('sha256').update(s).digest('hex');

export class NodeApiAuth {
  private readonly tokens: TtlCache<{ authenticated: boolean; user?: NodeApiUser }>;
  private readonly decisions: TtlCache<{ allowed: boolean; reason?: string }>;
  private readonly ttls: AuthTtls;
  private readonly nodeName: string;
  private readonly reviewer: Reviewer;

  constructor(nodeName: string, reviewer: Reviewer, ttls: Partial<AuthTtls> = {}, now: () => number = Date.now) {
    this.nodeName = nodeName;
    this.reviewer = reviewer;
    this.ttls = { ...DEFAULT_AUTH_TTLS, ...ttls };
    this.tokens = new TtlCache(4096, now);
    this.decisions = new TtlCache(4096, now);
  }

  /** Authenticates and authorizes one request (`upgrade`: it asks to switch protocols). */
  async check(req: IncomingMessage, upgrade: boolean): Promise<AuthOutcome> {
    let user: NodeApiUser | undefined;
    try {
      user = await this.authenticate(req);
    } catch {
      // as the kubelet: an authenticator that failed is a 401, never a 5xx
      return { ok: false, code: 401, message: 'Unauthorized' };
    }
    if (!user) return { ok: false, code: 401, message: 'Unauthorized' };
    const path = new URL(req.url ?? '/', 'https://node').pathname;
    const attrs = nodeApiAttributes(req.method ?? 'GET', path, upgrade);
    try {
      if (await this.allowed(user, attrs.verb, attrs.subresource)) return { ok: true, user };
      if (attrs.fallbackSubresource && (await this.allowed(user, attrs.verb, attrs.fallbackSubresource))) return { ok: true, user };
    } catch (e) {
      const msg = `Authorization error (user=${user.name}, verb=${attrs.verb}, resource=nodes, subresource=${attrs.subresource}): ${(e as Error).message}`;
      return { ok: false, code: 500, message: msg, user };
    }
    return { ok: false, code: 403, message: forbiddenMessage(user, attrs), user };
  }

  async authenticate(req: IncomingMessage): Promise<NodeApiUser | undefined> {
    const fromCert = certificateUser(req);
    if (fromCert) return fromCert;
    const token = bearerToken(req);
    if (!token) return undefined;
    const key = digest(token);
    let answer = this.tokens.get(key);
    if (!answer) {
      answer = await this.reviewer.tokenReview(token);
      this.tokens.set(key, answer, answer.authenticated ? this.ttls.tokenAuthenticatedMs : this.ttls.tokenUnauthenticatedMs);
    }
    return answer.authenticated ? answer.user : undefined;
  }

  private async allowed(user: NodeApiUser, verb: string, subresource: string): Promise<boolean> {
    const attrs: ReviewAttributes = { verb, resource: 'nodes', name: this.nodeName, subresource };
    const key = digest(JSON.stringify([user.name, [...user.groups].sort(), user.uid ?? '', user.extra ?? {}, attrs]));
    let answer = this.decisions.get(key);
    if (!answer) {
      answer = await this.reviewer.subjectAccessReview(user, attrs);
      this.decisions.set(key, answer, answer.allowed ? this.ttls.authorizedMs : this.ttls.unauthorizedMs);
    }
    return answer.allowed;
  }
}
