// The listener: HTTPS always, client certificates requested (not required: health and
// version stay open), API requests dispatched without express on the hot path.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { UserInfo } from '../registry/store.ts';
import type { Authenticator } from './authn.ts';
import { authenticateRequest } from '../pipeline/authentication.ts';
import { bindResponse, writeError } from './http-util.ts';
import type { RequestLimiter } from './request-limits.ts';
import type { Auditor } from '../audit/auditor.ts';
import { ApiError } from '../errors.ts';

export interface ServerOptions {
  certFile: string;
  keyFile: string;
  clientCaFile: string;
  bindAddress: string;
  port: number;
  authenticators: Authenticator[];
  api: (req: IncomingMessage, res: ServerResponse, user: UserInfo) => Promise<void>;
  nonApi: Express;
  /** hot non-API paths answered without express (e.g. /version) */
  direct?: Map<string, (req: IncomingMessage, res: ServerResponse) => void>;
  /** in-flight limits and request timeouts (absent: none) */
  limiter?: RequestLimiter;
  /** throws the 403 for a path outside /api and /apis the user may not use */
  authorizePath?: (user: UserInfo, req: IncomingMessage, path: string) => void;
  /** the audit log (--audit-policy-file); absent: off */
  audit?: Auditor;
}

export function createApiServer(o: ServerOptions): https.Server {
  if (!o.certFile || !o.keyFile) throw new Error('--tls-cert-file and --tls-private-key-file are required: the apiserver serves HTTPS only');
  const server = https.createServer(
    {
      cert: readFileSync(o.certFile),
      key: readFileSync(o.keyFile),
      ca: o.clientCaFile ? readFileSync(o.clientCaFile) : undefined,
      requestCert: !!o.clientCaFile,
      rejectUnauthorized: false,
      keepAliveTimeout: 65_000,
      // a client that connects and never completes its TLS handshake (default 120 s)
      handshakeTimeout: 10_000,
      // headersTimeout and requestTimeout are enforced by a sweep at this interval (default 30 s)
      connectionsCheckingInterval: 1_000,
    },
    (req, res) => {
      void route(o, req, res);
    },
  );
  // A client that never finishes its headers (or its body) is dropped: slowloris, blank lines.
  server.headersTimeout = 10_000;
  // Time to receive the whole request, not to answer it: watches stream for longer, unaffected.
  server.requestTimeout = 60_000;
  return server;
}

async function route(o: ServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    bindResponse(req, res);
    if (o.limiter && !o.limiter.admit(req, res)) return;
    const path = (req.url ?? '/').split('?')[0]!;
    const user = await authenticateRequest(req, o.authenticators, path).catch((e: unknown) => {
      o.audit?.begin(req, res, undefined);
      throw e;
    });
    o.audit?.begin(req, res, user);
    if (path === '/api' || path.startsWith('/api/') || path === '/apis' || path.startsWith('/apis/')) {
      await o.api(req, res, user);
      return;
    }
    o.authorizePath?.(user, req, path);
    const direct = o.direct?.get(path);
    if (direct) {
      direct(req, res);
      return;
    }
    o.nonApi(req as any, res as any);
  } catch (e) {
    if (!(e instanceof ApiError)) o.audit?.panic(req, e);
    writeError(res, e);
  }
}
