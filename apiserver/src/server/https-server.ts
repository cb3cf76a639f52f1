// The listener: HTTPS always, client certificates requested (not required: health and
// version stay open), API requests dispatched without express on the hot path.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { UserInfo } from '../registry/store.ts';
import { anonymous, anonymousAllowed, authenticate, type Authenticator } from './authn.ts';
import { errors } from '../errors.ts';
import { writeError } from './http-util.ts';

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
  /** throws the 403 for a path outside /api and /apis the user may not use */
  authorizePath?: (user: UserInfo, req: IncomingMessage, path: string) => void;
}

// Verifying and parsing the peer certificate costs more than a small request: do it once per
// TLS connection, not once per request on a kept-alive connection.
const socketUsers = new WeakMap<object, UserInfo | null>();

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
    },
    (req, res) => {
      void route(o, req, res);
    },
  );
  server.headersTimeout = 70_000;
  server.requestTimeout = 0; // watches are long
  return server;
}

async function route(o: ServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const path = (req.url ?? '/').split('?')[0]!;
    let authed = socketUsers.get(req.socket);
    if (authed === undefined || req.headers.authorization) {
      authed = (await authenticate(req, o.authenticators)) ?? null;
      if (!req.headers.authorization) socketUsers.set(req.socket, authed);
    }
    const user = authed ?? (anonymousAllowed(path) ? anonymous : undefined);
    if (!user) {
      writeError(res, errors.unauthorized());
      return;
    }
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
    writeError(res, e);
  }
}
