// The data path against real local servers: retry on an endpoint that refuses, streaming,
// upgrade tunnelling, TLS by SNI, and the request metrics.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { createLogger } from '@skiff/common';
import { createIngressMetrics } from '../src/metrics.ts';
import { contextFor, IngressProxy } from '../src/proxy.ts';
import { addPath, emptyTable } from '../src/routes.ts';

const port = (s: net.Server) => (s.address() as net.AddressInfo).port;
const listen = <S extends net.Server>(s: S) => new Promise<S>((r) => s.listen(0, '127.0.0.1', () => r(s)));

describe('ingress proxy', function () {
  this.timeout(30_000);
  let upstream: http.Server;
  let refused: number;
  let front: http.Server;
  let secure: https.Server;
  let dir: string;
  let cert: string;
  const metrics = createIngressMetrics();

  before(async () => {
    upstream = http.createServer((req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first\n');
        setTimeout(() => res.end('second\n'), 300);
        return;
      }
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () =>
        res.end(JSON.stringify({ url: req.url, host: req.headers.host, xff: req.headers['x-forwarded-for'], proto: req.headers['x-forwarded-proto'], body })),
      );
    });
    upstream.on('upgrade', (req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: upgrade\r\n\r\n');
      socket.pipe(socket);
    });
    await listen(upstream);
    const probe = await listen(net.createServer());
    refused = port(probe);
    await new Promise((r) => probe.close(r));

    dir = mkdtempSync(join(tmpdir(), 'skiff-ingress-test-'));
    await promisify(execFile)('openssl', [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=a.example', '-addext', 'subjectAltName=DNS:a.example'],
      ...['-keyout', join(dir, 'k'), '-out', join(dir, 'c')],
    ]);
    cert = readFileSync(join(dir, 'c'), 'utf8');
    const contexts = new Map([['a.example', tls.createSecureContext({ cert, key: readFileSync(join(dir, 'k')) })]]);

    // two endpoints on the same port: 127.0.0.2 has nothing listening on the upstream's port
    const table = emptyTable();
    addPath(table, 'a.example', { path: '/', exact: false, backend: { name: 'd/a:80', endpoints: ['127.0.0.1', '127.0.0.2'], port: port(upstream) } });
    addPath(table, 'dead.example', { path: '/', exact: false, backend: { name: 'd/dead:80', endpoints: ['127.0.0.1'], port: refused } });
    const proxy = new IngressProxy({
      log: createLogger('ingress-test'),
      metrics,
      table: () => table,
      tlsContext: (n) => contextFor(contexts, n),
      connectTimeoutMs: 1000,
    });
    front = await proxy.listenHttp(0, '127.0.0.1');
    secure = await proxy.listenHttps(0, '127.0.0.1');
  });
  after(async () => {
    for (const s of [front, secure, upstream]) {
      s?.closeAllConnections?.();
      await new Promise((r) => s?.close(r));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string, host: string, method = 'GET', body?: string) =>
    new Promise<{ status: number; body: string; chunks: number[] }>((resolve, reject) => {
      const req = http.request({ port: port(front), host: '127.0.0.1', path, method, headers: { host }, agent: false }, (res) => {
        let text = '';
        const chunks: number[] = [];
        res.on('data', (c) => {
          text += c;
          chunks.push(Date.now());
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, chunks }));
      });
      req.on('error', reject);
      req.end(body);
    });

  it('forwards with X-Forwarded headers and the client Host; every request answered though one endpoint refuses', async () => {
    for (let i = 0; i < 6; i++) {
      const r = await get('/x?q=1', 'a.example');
      expect(r.status).to.equal(200);
      expect(JSON.parse(r.body)).to.deep.include({ url: '/x?q=1', host: 'a.example', xff: '127.0.0.1', proto: 'http' });
    }
    const post = await get('/p', 'a.example', 'POST', 'hello');
    expect(JSON.parse(post.body).body).to.equal('hello');
    const retries = await metrics.registry.getSingleMetricAsString('skiff_ingress_upstream_retries_total');
    expect(retries).to.match(/backend="d\/a:80"} [1-9]/);
  });

  it('answers 404 without a rule and 502 when no endpoint can be reached', async () => {
    expect((await get('/', 'nobody.example')).status).to.equal(404);
    expect((await get('/', 'dead.example')).status).to.equal(502);
    const counted = await metrics.registry.getSingleMetricAsString('skiff_ingress_requests_total');
    expect(counted).to.contain('code="404",scheme="http"} 1');
    expect(counted).to.contain('code="502",scheme="http"} 1');
  });

  it('streams a response as it comes', async () => {
    const r = await get('/stream', 'a.example');
    expect(r.body).to.equal('first\nsecond\n');
    expect(r.chunks.length).to.be.at.least(2);
  });

  it('tunnels an upgraded connection both ways', async () => {
    const sock = net.connect(port(front), '127.0.0.1');
    sock.write('GET /ws HTTP/1.1\r\nHost: a.example\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
    let seen = '';
    await new Promise<void>((resolve) => {
      sock.on('data', (d) => {
        seen += d;
        if (seen.includes('\r\n\r\n') && !seen.includes('ping')) sock.write('ping');
        if (seen.endsWith('ping')) resolve();
      });
    });
    expect(seen).to.match(/^HTTP\/1.1 101 /);
    sock.destroy();
  });

  it('terminates TLS with the certificate SNI names, and refuses a name without one', async () => {
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port: port(secure), servername: 'a.example', path: '/s', headers: { host: 'a.example' }, ca: cert, agent: false }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });
    expect(r.status).to.equal(200);
    expect(JSON.parse(r.body).proto).to.equal('https');
    const refusedTls = await new Promise<string>((resolve) => {
      https
        .get({ host: '127.0.0.1', port: port(secure), servername: 'b.example', rejectUnauthorized: false, agent: false }, () => resolve('answered'))
        .on('error', (e) => resolve(e.message));
    });
    expect(refusedTls).to.not.equal('answered');
  });
});
