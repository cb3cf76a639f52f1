// pods/log, pods/exec, pods/attach, pods/portforward and nodes/proxy, forwarded to the
// kubelet over HTTPS. Logs stream as plain HTTP; exec/attach/portforward upgrades are relayed
// byte for byte after the kubelet's 101. kubectl 1.31+ tunnels port-forward's SPDY inside a
// WebSocket (subprotocol SPDY/3.1+portforward.k8s.io): that one is unwrapped here and spoken
// as plain SPDY to the kubelet.
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '@skiff/common';
import { ApiError, errors } from '../errors.ts';
import { isBearerProtocol } from '../server/authn.ts';
import type { HandlerContext } from '../handlers/context.ts';
import type { ApiRegistry } from '../registry/api-registry.ts';
import { kubeletPath, kubeletTarget, type KubeletTarget } from './node-target.ts';
import { takeUpgradeSocket } from './upgrade-routing.ts';
import { relayUpgrade as relayUpgradeBytes } from '@skiff/common/http/upgrade-relay';

export interface PodProxyDeps {
  registry: ApiRegistry;
  log: Logger;
  /** client certificate the apiserver presents to kubelets (--kubelet-client-certificate) */
  clientCertFile?: string;
  clientKeyFile?: string;
  /** verify kubelet serving certificates with this CA; unverified otherwise, as kube-apiserver's default */
  kubeletCaFile?: string;
}

const TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
const RELAYED_HEADERS = [
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'x-stream-protocol-version',
  'content-type',
  'accept',
];

export function createPodProxy(deps: PodProxyDeps): (ctx: HandlerContext) => Promise<void> {
  const tls: https.RequestOptions = {
    rejectUnauthorized: !!deps.kubeletCaFile,
    ...(deps.kubeletCaFile ? { ca: readFileSync(deps.kubeletCaFile) } : {}),
    ...(deps.clientCertFile && deps.clientKeyFile ? { cert: readFileSync(deps.clientCertFile), key: readFileSync(deps.clientKeyFile) } : {}),
  };
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (p) => (p.has(TUNNEL_PROTOCOL) ? TUNNEL_PROTOCOL : false) });

  return async function podProxy(ctx: HandlerContext): Promise<void> {
    const { info, query } = ctx;
    const sub = info.subresource ?? '';
    let target: KubeletTarget;
    let path: string;
    if (info.resource === 'nodes' && sub === 'proxy') {
      const node = await ctx.store.get(undefined, info.name!);
      target = kubeletTarget(node);
      const rest = info.rest.map(encodeURIComponent).join('/');
      path = `/${rest}${query.toString() ? `?${query}` : ''}`;
    } else if (info.resource === 'pods' && ['log', 'exec', 'attach', 'portforward'].includes(sub)) {
      const pod = await ctx.store.get(info.namespace, info.name!);
      const nodeName = (pod as { spec?: { nodeName?: string } }).spec?.nodeName;
      if (!nodeName) throw errors.badRequest(`pod ${info.name} does not have a host assigned`);
      const nodes = ctx.registry.store('', 'v1', 'nodes');
      if (!nodes) throw errors.internal('no nodes resource');
      target = kubeletTarget(await nodes.get(undefined, nodeName));
      path = kubeletPath(sub, pod, query);
      if (sub !== 'log' && !ctx.req.headers.upgrade) throw errors.badRequest('Upgrade request required');
    } else {
      throw errors.notFoundPath();
    }

    if (!ctx.req.headers.upgrade) return proxyPlain(ctx, target, path, tls, deps.log);
    const raw = takeUpgradeSocket(ctx.req);
    if (!raw) throw errors.internal('upgrade requests must be routed with routeUpgradesAsRequests(server)');
    const protocols = String(ctx.req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim());
    if (sub === 'portforward' && ctx.req.headers.upgrade.toLowerCase() === 'websocket' && protocols.includes(TUNNEL_PROTOCOL)) {
      tunnelPortForward(ctx.req, raw.socket, raw.head, target, path, tls, wss, deps.log);
      return;
    }
    relayUpgrade(ctx.req, raw.socket, raw.head, target, path, tls, deps.log);
  };
}

function headersFor(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of RELAYED_HEADERS) {
    const v = req.headers[h];
    if (v !== undefined) out[h] = Array.isArray(v) ? v.join(', ') : v;
  }
  // A browser's bearer token rides in the subprotocols (server/authn.ts): it authenticated the
  // caller here and goes no further, as kube-apiserver's WebSocket authenticator removes it.
  if (out['sec-websocket-protocol'] !== undefined) {
    out['sec-websocket-protocol'] = out['sec-websocket-protocol']
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p && !isBearerProtocol(p))
      .join(', ');
    if (!out['sec-websocket-protocol']) delete out['sec-websocket-protocol'];
  }
  return out;
}

/** GET (logs, nodes/proxy): the kubelet's answer streamed back; its errors as a Status. */
function proxyPlain(ctx: HandlerContext, target: KubeletTarget, path: string, tls: https.RequestOptions, log: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    const up = https.request(
      { ...tls, host: target.host, port: target.port, path, method: ctx.req.method, headers: { accept: String(ctx.req.headers.accept ?? '*/*') } },
      (kres) => {
        const code = kres.statusCode ?? 502;
        if (code >= 400 && ctx.info.resource === 'pods') {
          const chunks: Buffer[] = [];
          kres.on('data', (c: Buffer) => chunks.push(c));
          kres.on('end', () =>
            reject(new ApiError(code === 404 ? 404 : 400, code === 404 ? 'NotFound' : 'BadRequest', Buffer.concat(chunks).toString().trim())),
          );
          return;
        }
        ctx.res.writeHead(code, { 'Content-Type': kres.headers['content-type'] ?? 'text/plain', 'Cache-Control': 'no-cache, private' });
        ctx.res.flushHeaders();
        kres.pipe(ctx.res);
        kres.on('end', () => resolve());
        kres.on('error', () => resolve());
      },
    );
    ctx.req.on('close', () => up.destroy());
    up.on('error', (e) => {
      log.warn('kubelet proxy failed', { path, err: e });
      if (ctx.res.headersSent) {
        ctx.res.destroy();
        resolve();
      } else reject(errors.internal(`error dialing backend: ${e.message}`));
    });
    up.end();
  });
}

/** Upgrade requests: same method and stream headers to the kubelet, then raw bytes both ways. */
function relayUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, target: KubeletTarget, path: string, tls: https.RequestOptions, log: Logger): void {
  const up = https.request({ ...tls, host: target.host, port: target.port, path, method: req.method, headers: headersFor(req) });
  relayUpgradeBytes(up, client, head);
  up.on('error', (e) => {
    log.warn('kubelet stream proxy failed', { path, err: e });
    const body = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `error dialing backend: ${e.message}`,
      reason: 'InternalError',
      code: 500,
    });
    client.end(
      `HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  up.end();
}

/** kubectl 1.31+ port-forward: SPDY bytes inside WebSocket binary messages; plain SPDY to the kubelet. */
function tunnelPortForward(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  target: KubeletTarget,
  path: string,
  tls: https.RequestOptions,
  wss: WebSocketServer,
  log: Logger,
): void {
  const up = https.request({
    ...tls,
    host: target.host,
    port: target.port,
    path,
    method: 'POST',
    headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' },
  });
  up.on('upgrade', (_kres, upstream, khead) => {
    wss.handleUpgrade(req, client as import('node:net').Socket, head, (ws: WebSocket) => {
      if (khead.length) ws.send(khead);
      upstream.on('data', (d: Buffer) => ws.send(d));
      ws.on('message', (d: Buffer) => upstream.write(d));
      upstream.on('close', () => ws.close(1000));
      upstream.on('error', () => ws.close(1011));
      ws.on('close', () => upstream.destroy());
      ws.on('error', () => upstream.destroy());
    });
  });
  up.on('response', (kres) => {
    kres.resume();
    client.end(`HTTP/1.1 ${kres.statusCode} ${kres.statusMessage ?? ''}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  });
  up.on('error', (e) => {
    log.warn('kubelet port-forward tunnel failed', { path, err: e });
    client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  up.end();
}
