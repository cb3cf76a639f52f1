// The data path: HTTP and HTTPS listeners that route each request by Host and path to a ready
// endpoint of the backend Service, stream both bodies through, tunnel upgraded connections
// (WebSocket) and try another endpoint when one cannot be reached, so that pods going away in
// a rolling update cost no request.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type tls from 'node:tls';
import type { Logger } from '@skiff/common';
import type { IngressMetrics } from './metrics.ts';
import { type Backend, normalizeHost, type RouteTable, route } from './routes.ts';

export interface ProxyOptions {
  log: Logger;
  metrics: IngressMetrics;
  table: () => RouteTable;
  tlsContext: (servername: string) => tls.SecureContext | undefined;
  connectTimeoutMs: number;
}

/** Hop-by-hop headers (RFC 9110 7.6.1) are not forwarded. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization']);
/** Errors that mean the endpoint never took the request: safe to send it elsewhere. */
const notReached = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'ENOTFOUND']);

const agent = new http.Agent({ keepAlive: true, maxSockets: 512, keepAliveMsecs: 1000 });

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.search(/[?#]/);
  return q < 0 ? u : u.slice(0, q);
}

function forwardedHeaders(req: http.IncomingMessage, scheme: string): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) if (!hopByHop.has(k) && v !== undefined) out[k] = v;
  const client = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? `${prior}, ${client}` : client;
  out['x-real-ip'] = client;
  out['x-forwarded-host'] = req.headers.host ?? '';
  out['x-forwarded-proto'] = scheme;
  return out;
}

/** Endpoints in round-robin order, starting one further each request. */
const cursors = new Map<string, number>();
function endpointOrder(b: Backend): string[] {
  const n = b.endpoints.length;
  const start = (cursors.get(b.name) ?? 0) % n;
  cursors.set(b.name, start + 1);
  return [...b.endpoints.slice(start), ...b.endpoints.slice(0, start)];
}

export class IngressProxy {
  private readonly o: ProxyOptions;
  constructor(o: ProxyOptions) {
    this.o = o;
  }

  private answer(res: http.ServerResponse, scheme: string, code: number, text: string): void {
    this.o.metrics.requests.inc({ code: String(code), scheme });
    if (!res.headersSent) res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  handle(req: http.IncomingMessage, res: http.ServerResponse, scheme: string): void {
    const backend = route(this.o.table(), req.headers.host, pathOf(req.url));
    if (!backend) {
      this.answer(res, scheme, 404, 'default backend - 404\n');
      return;
    }
    if (backend.endpoints.length === 0) {
      this.answer(res, scheme, 503, `no ready endpoint for ${backend.name}\n`);
      return;
    }
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    this.attempt(req, res, scheme, backend, endpointOrder(backend), hasBody, performance.now());
  }

  private attempt(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    scheme: string,
    backend: Backend,
    left: string[],
    hasBody: boolean,
    started: number,
  ): void {
    const ep = left[0];
    let bodyStarted = false;
    let answered = false;
    const up = http.request({
      host: ep,
      port: backend.port,
      method: req.method,
      path: req.url,
      headers: forwardedHeaders(req, scheme),
      agent,
      setHost: false,
    });
    const onClientGone = () => {
      if (!res.writableFinished) up.destroy();
    };
    res.once('close', onClientGone);
    const timer = setTimeout(() => up.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), this.o.connectTimeoutMs);
    up.on('socket', (s) => {
      const connected = () => {
        clearTimeout(timer);
        if (hasBody) {
          bodyStarted = true;
          req.pipe(up);
        }
      };
      if ((s as net.Socket).connecting) s.once('connect', connected);
      else connected();
    });
    if (!hasBody) up.end();
    up.on('response', (upRes) => {
      answered = true;
      clearTimeout(timer);
      this.o.metrics.upstreamLatency.observe({ backend: backend.name }, (performance.now() - started) / 1000);
      this.o.metrics.requests.inc({ code: String(upRes.statusCode ?? 502), scheme });
      const headers: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(upRes.headers)) if (!hopByHop.has(k) && v !== undefined) headers[k] = v;
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, headers);
      // a streamed response (no length): the client sees the headers before the first chunk
      if (upRes.headers['content-length'] === undefined) res.flushHeaders();
      upRes.pipe(res);
      upRes.on('error', () => res.destroy());
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      res.off('close', onClientGone);
      if (answered || res.destroyed || res.writableEnded) {
        res.destroy();
        return;
      }
      const code = err.code ?? '';
      if (left.length > 1 && !bodyStarted && notReached.has(code)) {
        this.o.metrics.upstreamRetries.inc({ backend: backend.name });
        this.o.log.debug('endpoint not reached, trying the next', { backend: backend.name, endpoint: ep, code });
        this.attempt(req, res, scheme, backend, left.slice(1), hasBody, started);
        return;
      }
      this.o.log.warn('upstream failed', { backend: backend.name, endpoint: ep, code, err: err.message });
      this.answer(res, scheme, 502, `upstream ${backend.name} failed: ${code || err.message}\n`);
    });
  }

  /** Upgrade (WebSocket and others): the request goes to an endpoint as is, then bytes flow both ways. */
  upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer, scheme: string): void {
    const backend = route(this.o.table(), req.headers.host, pathOf(req.url));
    if (!backend || backend.endpoints.length === 0) {
      socket.end(`HTTP/1.1 ${backend ? '503 Service Unavailable' : '404 Not Found'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    const left = endpointOrder(backend);
    const tryNext = () => {
      const ep = left.shift();
      if (!ep) {
        socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      const up = net.connect({ host: ep, port: backend.port, timeout: this.o.connectTimeoutMs });
      up.once('timeout', () => up.destroy(new Error('connect timeout')));
      up.once('error', () => tryNext());
      up.once('connect', () => {
        up.setTimeout(0);
        up.removeAllListeners('error');
        this.o.metrics.upgrades.inc({ backend: backend.name });
        const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
        for (let i = 0; i < req.rawHeaders.length; i += 2) {
          if (/^x-forwarded-(for|proto)$/i.test(req.rawHeaders[i])) continue;
          lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
        }
        lines.push(`X-Forwarded-For: ${req.socket.remoteAddress ?? ''}`, `X-Forwarded-Proto: ${scheme}`);
        up.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (head.length) up.write(head);
        up.pipe(socket).pipe(up);
        const close = () => {
          up.destroy();
          socket.destroy();
        };
        up.on('error', close);
        socket.on('error', close);
      });
    };
    socket.on('error', () => undefined);
    tryNext();
  }

  listenHttp(port: number, address: string): Promise<http.Server> {
    const server = http.createServer((req, res) => this.handle(req, res, 'http'));
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as net.Socket, head, 'http'));
    return listen(server, port, address);
  }

  listenHttps(port: number, address: string): Promise<https.Server> {
    const server = https.createServer({
      SNICallback: (servername, cb) => {
        const ctx = this.o.tlsContext(normalizeHost(servername));
        if (ctx) cb(null, ctx);
        else cb(new Error(`no certificate for ${servername}`));
      },
    });
    server.on('request', (req, res) => this.handle(req, res, 'https'));
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as net.Socket, head, 'https'));
    server.on('tlsClientError', () => undefined);
    return listen(server, port, address);
  }
}

function listen<S extends http.Server>(server: S, port: number, address: string): Promise<S> {
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** SNI lookup: the exact host, then its wildcard, then a TLS entry without hosts. */
export function contextFor(contexts: Map<string, tls.SecureContext>, servername: string): tls.SecureContext | undefined {
  const dot = servername.indexOf('.');
  return contexts.get(servername) ?? (dot > 0 ? contexts.get(`*.${servername.slice(dot + 1)}`) : undefined) ?? contexts.get('*');
}
