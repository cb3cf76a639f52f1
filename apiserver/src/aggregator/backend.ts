// How the aggregator talks to an APIService's server: TLS verified against the APIService's
// caBundle for the name `<service>.<namespace>.svc` (or not at all with insecureSkipTLSVerify),
// the front-proxy client certificate, and the user in X-Remote-* headers.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { OutgoingHttpHeaders } from 'node:http';
import type { UserInfo } from '../registry/store.ts';
import type { KObject } from '../registry/types.ts';
import type { BackendTarget } from './service-target.ts';

export interface ProxyClientCert {
  cert: Buffer;
  key: Buffer;
}

export function loadProxyClientCert(certFile: string, keyFile: string): ProxyClientCert | undefined {
  if (!certFile || !keyFile) return undefined;
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/** TLS options for dialing the APIService's server. */
export function backendTls(apiService: KObject, client: ProxyClientCert | undefined): https.RequestOptions {
  const spec = apiService.spec ?? {};
  const svc = spec.service ?? {};
  const opts: https.RequestOptions = {
    // kube verifies the serving certificate for the Service's DNS name, whatever address it dials
    servername: `${svc.name}.${svc.namespace}.svc`,
    rejectUnauthorized: spec.insecureSkipTLSVerify !== true,
    ...(client ? { cert: client.cert, key: client.key } : {}),
  };
  if (spec.caBundle && spec.insecureSkipTLSVerify !== true) opts.ca = Buffer.from(spec.caBundle, 'base64');
  return opts;
}

/** Headers no proxy forwards (RFC 7230 hop-by-hop), and credentials that were meant for us. */
const dropped = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'host',
  'authorization',
]);

/**
 * The request's headers for the backend: hop-by-hop headers, the caller's credentials,
 * impersonation and any X-Remote-* it sent are removed; the authenticated user is set instead.
 * `upgrade` keeps Connection/Upgrade for a stream.
 */
export function forwardedHeaders(incoming: NodeJS.Dict<string | string[]>, user: UserInfo, upgrade: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    if (dropped.has(name) || name.startsWith('impersonate-') || name.startsWith('x-remote-')) continue;
    if (name === 'upgrade' && !upgrade) continue;
    out[name] = value;
  }
  if (upgrade) {
    out.connection = 'Upgrade';
    const upgradeTo = incoming.upgrade;
    if (upgradeTo !== undefined) out.upgrade = Array.isArray(upgradeTo) ? upgradeTo.join(', ') : upgradeTo;
  }
  Object.assign(out, authProxyHeaders(user));
  return out;
}

/** X-Remote-User, one X-Remote-Group per group, X-Remote-Extra-<escaped key> per extra value (transport.SetAuthProxyHeaders). */
export function authProxyHeaders(user: UserInfo): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { 'x-remote-user': user.name };
  if (user.groups.length) out['x-remote-group'] = [...user.groups];
  for (const [key, values] of Object.entries(user.extra ?? {})) {
    if (values.length) out[`x-remote-extra-${encodeURIComponent(key.toLowerCase())}`] = [...values];
  }
  return out;
}

/** Who the aggregator is when it checks availability and reads discovery (kube's system:kube-aggregator). */
export const aggregatorUser: UserInfo = { name: 'system:kube-aggregator', groups: ['system:masters'] };

export interface BackendResponse {
  status: number;
  body: string;
  /** whether the serving certificate passed the checks of `tls` (chain and name), even when not enforced */
  verified: boolean;
}

/**
 * A GET to the backend as system:kube-aggregator, e.g. the discovery check. With
 * `rejectUnauthorized: false` a bad serving certificate does not fail the request, but the
 * answer says whether it would have passed.
 */
export function backendGet(target: BackendTarget, tls: https.RequestOptions, path: string, timeoutMs: number): Promise<BackendResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        ...tls,
        host: target.host,
        port: target.port,
        path,
        method: 'GET',
        headers: { accept: 'application/json', ...authProxyHeaders(aggregatorUser) },
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        const verified = (res.socket as import('node:tls').TLSSocket).authorized === true;
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), verified }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`Get "https://${target.host}:${target.port}${path}": context deadline exceeded`)));
    req.on('error', reject);
    req.end();
  });
}
