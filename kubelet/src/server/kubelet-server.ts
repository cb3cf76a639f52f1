// The node API on HTTPS :10250: /healthz, /readyz (Skiff's own), /metrics, /metrics/resource, /pods,
// /stats/summary, /containerLogs, and the streaming endpoints /exec, /attach, /portForward that hand the
// connection to the runtime's streaming server. Every request, /healthz included, is
// authenticated and authorized first (node-api-auth.ts), as on the real kubelet's port.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { readFileSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { Logger } from '@skiff/common';
import type { CriRuntime } from '../runtime/cri-runtime.ts';
import { fileSize, followLog, readLog, type LogOptions } from './cri-log.ts';
import type { NodeApiAuth } from './node-api-auth.ts';
import { resourceMetricsText } from '../stats/resource-metrics.ts';
import type { StatsProvider, Summary } from '../stats/summary.ts';
import { rejectUpgrade, relayUpgrade } from './stream-relay.ts';

export interface NodeApiBackend {
  nodeName: string;
  startTime: string;
  findPod(namespace: string, name: string): V1Pod | undefined;
  pods(): V1Pod[];
  /** absent on simulated nodes: no containers to stream from */
  cri?: CriRuntime;
  metrics: Registry;
  /** CPU and memory of the node, its pods and containers */
  stats: StatsProvider;
  healthy(): boolean;
  /** false while the kubelet drains its node before stopping (--drain-on-shutdown) */
  ready(): boolean;
}

export interface KubeletServerOptions {
  certFile: string;
  keyFile: string;
  /** PEM of the CA client certificates must verify against; without it only bearer tokens are accepted */
  clientCa?: Buffer;
  auth: NodeApiAuth;
  backend: NodeApiBackend;
  log: Logger;
}

class HttpError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

export function createKubeletServer(o: KubeletServerOptions): https.Server {
  const server = https.createServer(
    {
      cert: readFileSync(o.certFile),
      key: readFileSync(o.keyFile),
      // a certificate is asked for but not required: a caller may bring a bearer token
      // instead, and one from another CA is refused per request (401), as the kubelet does
      ...(o.clientCa ? { ca: o.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
    },
    (req, res) => {
      handleRequest(o, req, res).catch((e: unknown) => {
        const code = e instanceof HttpError ? e.code : 500;
        if (code >= 500) o.log.warn('node API request failed', { path: req.url, err: e as Error });
        if (!res.headersSent) {
          res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end(`${(e as Error).message}\n`);
        } else res.destroy();
      });
    },
  );
  server.requestTimeout = 0;
  // scrapers come back every 15 s (metrics-server) or so: keep their connections open across
  // that, as Go's server does, instead of a TLS handshake per scrape (Node's default is 5 s)
  server.keepAliveTimeout = 65_000;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    handleUpgrade(o, req, socket, head).catch((e: unknown) => {
      rejectUpgrade(socket, e instanceof HttpError ? e.code : 500, (e as Error).message);
    });
  });
  return server;
}

function splitPath(url: string): { parts: string[]; query: URLSearchParams } {
  const u = new URL(url, 'https://node');
  return { parts: u.pathname.split('/').filter(Boolean).map(decodeURIComponent), query: u.searchParams };
}

function podOf(o: KubeletServerOptions, ns: string | undefined, name: string | undefined): V1Pod {
  if (!ns || !name) throw new HttpError(400, 'namespace and pod name are required');
  const pod = o.backend.findPod(ns, name);
  if (!pod) throw new HttpError(404, `pod ${ns}/${name} not found on node ${o.backend.nodeName}`);
  return pod;
}

function defaultContainer(pod: V1Pod, name: string | undefined): string {
  if (name) return name;
  const only = pod.spec?.containers ?? [];
  if (only.length === 1) return only[0]!.name;
  throw new HttpError(400, `a container name must be specified for pod ${pod.metadata?.name}, choose one of: [${only.map((c) => c.name).join(' ')}]`);
}

function requireCri(o: KubeletServerOptions): CriRuntime {
  if (!o.backend.cri) throw new HttpError(501, 'this node runs a simulated runtime: no containers to stream from');
  return o.backend.cri;
}

const bool = (q: URLSearchParams, k: string) => ['true', '1'].includes(q.get(k) ?? '');

async function authorize(o: KubeletServerOptions, req: IncomingMessage, upgrade: boolean): Promise<void> {
  const outcome = await o.auth.check(req, upgrade);
  if (outcome.ok) return;
  if (outcome.code === 403) o.log.info('node API request refused', { user: outcome.user?.name, path: req.url });
  throw new HttpError(outcome.code, outcome.message);
}

async function handleUpgrade(o: KubeletServerOptions, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  await authorize(o, req, true);
  const { parts, query } = splitPath(req.url ?? '/');
  const [kind, ns, name, containerName] = parts;
  const cri = requireCri(o);
  const pod = podOf(o, ns, name);
  const uid = pod.metadata!.uid!;
  let target: string;
  if (kind === 'exec' || kind === 'attach') {
    const cname = defaultContainer(pod, containerName);
    const c = await cri.findContainer(uid, cname);
    if (!c) throw new HttpError(404, `container ${cname} not found in pod ${ns}/${name}`);
    const flags = {
      tty: bool(query, 'tty'),
      stdin: bool(query, 'stdin') || bool(query, 'input'),
      stdout: bool(query, 'stdout') || bool(query, 'output'),
      stderr: bool(query, 'stderr') || bool(query, 'error'),
    };
    if (kind === 'exec') {
      const cmd = query.getAll('command');
      if (!cmd.length) throw new HttpError(400, 'you must specify at least one command for the container');
      target = await cri.cri.exec({ containerId: c.id, cmd, ...flags, stderr: flags.stderr && !flags.tty });
    } else {
      target = await cri.cri.attach({ containerId: c.id, ...flags, stderr: flags.stderr && !flags.tty });
    }
  } else if (kind === 'portForward') {
    const sandbox = await cri.readySandbox(uid);
    if (!sandbox) throw new HttpError(404, `pod ${ns}/${name} has no running sandbox`);
    const ports = query
      .getAll('port')
      .concat(query.getAll('ports'))
      .flatMap((p) => p.split(','))
      .filter(Boolean)
      .map(Number);
    target = await cri.cri.portForward(sandbox.id, ports);
  } else {
    throw new HttpError(404, `no upgrade endpoint at ${req.url}`);
  }
  o.log.debug('relaying stream', {
    kind,
    pod: `${ns}/${name}`,
    upgrade: req.headers.upgrade,
    protocols: req.headers['sec-websocket-protocol'] ?? req.headers['x-stream-protocol-version'],
  });
  relayUpgrade(req, socket, head, target);
}

async function handleRequest(o: KubeletServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await authorize(o, req, false);
  const { parts, query } = splitPath(req.url ?? '/');
  const first = parts[0] ?? '';
  if (first === 'healthz') {
    const ok = o.backend.healthy();
    res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain' });
    res.end(ok ? 'ok' : 'unhealthy');
    return;
  }
  if (first === 'readyz') {
    const ok = o.backend.healthy() && o.backend.ready();
    res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain' });
    res.end(ok ? 'ok' : 'not ready: draining the node before shutdown');
    return;
  }
  if (first === 'metrics' && parts[1] === 'resource') {
    let summary: Summary | undefined;
    try {
      summary = await o.backend.stats.summary();
    } catch (e) {
      o.log.warn('collecting resource metrics failed', { err: e as Error });
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(resourceMetricsText(summary));
    return;
  }
  if (first === 'metrics' && parts.length === 1) {
    res.writeHead(200, { 'Content-Type': o.backend.metrics.contentType });
    res.end(await o.backend.metrics.metrics());
    return;
  }
  if (first === 'pods') {
    json(res, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: o.backend.pods() });
    return;
  }
  if (first === 'stats' && parts[1] === 'summary') {
    json(res, await o.backend.stats.summary());
    return;
  }
  if (first === 'containerLogs') {
    await serveLogs(o, parts, query, req, res);
    return;
  }
  if (['exec', 'attach', 'portForward'].includes(first)) throw new HttpError(400, `${first} needs an Upgrade request (SPDY/3.1 or WebSocket)`);
  throw new HttpError(404, '404 page not found');
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function serveLogs(o: KubeletServerOptions, parts: string[], q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const [, ns, name, containerName] = parts;
  const cri = requireCri(o);
  const pod = podOf(o, ns, name);
  const cname = defaultContainer(pod, containerName);
  const known = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].some((c) => c.name === cname);
  if (!known) throw new HttpError(400, `container ${cname} is not valid for pod ${name}`);
  const previous = bool(q, 'previous');
  const c = await cri.findContainer(pod.metadata!.uid!, cname, previous);
  if (!c)
    throw new HttpError(
      400,
      previous
        ? `previous terminated container "${cname}" in pod "${name}" not found`
        : `container "${cname}" in pod "${name}" is waiting to start: ContainerCreating`,
    );
  const opts: LogOptions = { timestamps: bool(q, 'timestamps') };
  if (q.has('tailLines')) opts.tailLines = Number(q.get('tailLines'));
  if (q.has('limitBytes')) opts.limitBytes = Number(q.get('limitBytes'));
  if (q.has('sinceSeconds')) opts.sinceTime = new Date(Date.now() - Number(q.get('sinceSeconds')) * 1000);
  if (q.has('sinceTime')) opts.sinceTime = new Date(q.get('sinceTime')!);
  const startSize = fileSize(c.logPath);
  const existing = readLog(c.logPath, opts);
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  res.write(existing);
  if (!bool(q, 'follow') || previous) {
    res.end();
    return;
  }
  const f = followLog(
    c.logPath,
    startSize,
    { ...opts, tailLines: undefined },
    (chunk) => {
      if (chunk === '') res.end();
      else res.write(chunk);
    },
    async () => {
      const st = await cri.cri.containerStatus(c.id).catch(() => null);
      return st?.status?.state !== 'CONTAINER_RUNNING';
    },
  );
  const stop = () => f.stop();
  req.on('close', stop);
  res.on('close', stop);
}
