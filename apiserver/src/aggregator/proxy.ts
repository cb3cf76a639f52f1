// The aggregator's proxy (kube-aggregator's handler_proxy.go): a request for a group/version
// that an APIService with spec.service owns goes, as it came (method, path, query, body), to
// one endpoint of that Service, after this apiserver authenticated and authorized it. The
// backend learns the user from X-Remote-* headers, trusted because of the front-proxy client
// certificate. Watches stream through; Upgrade requests (exec-like streams) are relayed byte
// for byte after the backend's 101. A backend that cannot be used is a 503 for its group only.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@skiff/common';
import { ApiError } from '../errors.ts';
import type { ApiRegistry } from '../registry/api-registry.ts';
import type { UserInfo } from '../registry/store.ts';
import type { KObject } from '../registry/types.ts';
import { availableCondition } from '../registry/resources/apiservices.ts';
import { takeUpgradeSocket } from '../proxy/upgrade-routing.ts';
import { backendTls, forwardedHeaders, type ProxyClientCert } from './backend.ts';
import { resolveTarget, TargetError, type BackendTarget } from './service-target.ts';
import { relayUpgrade as relayUpgradeBytes } from '@skiff/common/http/upgrade-relay';

export interface AggregatorProxyDeps {
  registry: ApiRegistry;
  proxyClient: ProxyClientCert | undefined;
  log: Logger;
}

const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export function serviceUnavailable(message: string): ApiError {
  return new ApiError(503, 'ServiceUnavailable', message);
}

function statusBody(e: ApiError): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: e.reason, code: e.code });
}

export function createAggregatorProxy(deps: AggregatorProxyDeps) {
  return async function proxyToService(req: IncomingMessage, res: ServerResponse, user: UserInfo, apiService: KObject): Promise<void> {
    const name = apiService.metadata.name ?? '';
    // as kube: an APIService not (yet) Available gets nothing through
    if (availableCondition(apiService)?.status !== 'True') throw serviceUnavailable('service unavailable');
    const svc = apiService.spec.service;
    let target: BackendTarget;
    try {
      target = await resolveTarget(deps.registry, { namespace: svc.namespace, name: svc.name, port: svc.port ?? 443 });
    } catch (e) {
      if (e instanceof TargetError) {
        deps.log.warn('aggregated API has no backend', { apiService: name, reason: e.reason, message: e.message });
        throw serviceUnavailable('service unavailable');
      }
      throw e;
    }
    const tls = backendTls(apiService, deps.proxyClient);
    if (req.headers.upgrade) {
      const raw = takeUpgradeSocket(req);
      if (raw) {
        relayUpgrade(req, raw.socket, raw.head, target, tls, user, deps.log, name);
        return;
      }
    }
    await proxyPlain(req, res, target, tls, user, deps.log, name);
  };
}

function proxyPlain(
  req: IncomingMessage,
  res: ServerResponse,
  target: BackendTarget,
  tls: https.RequestOptions,
  user: UserInfo,
  log: Logger,
  apiService: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const up = https.request(
      { ...tls, host: target.host, port: target.port, method: req.method, path: req.url, headers: forwardedHeaders(req.headers, user, false) },
      (bres) => {
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(bres.headers)) if (v !== undefined && !hopByHop.has(k)) headers[k] = v;
        res.writeHead(bres.statusCode ?? 502, headers);
        // a watch's first bytes must not wait for more
        res.flushHeaders();
        bres.pipe(res);
        bres.on('end', () => resolve());
        bres.on('error', () => {
          res.destroy();
          resolve();
        });
      },
    );
    // the client went away (a watch ended): stop the backend request too
    res.on('close', () => up.destroy());
    up.on('error', (e) => {
      if (res.headersSent) {
        res.destroy();
        resolve();
        return;
      }
      log.warn('aggregated API request failed', { apiService, target: `${target.host}:${target.port}`, err: e.message });
      reject(serviceUnavailable(`error trying to reach service: ${e.message}`));
    });
    req.pipe(up);
  });
}

/** Upgrade requests: the backend's 101 and then raw bytes both ways; a refusal passes through as is. */
function relayUpgrade(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  target: BackendTarget,
  tls: https.RequestOptions,
  user: UserInfo,
  log: Logger,
  apiService: string,
): void {
  const up = https.request({
    ...tls,
    host: target.host,
    port: target.port,
    method: req.method,
    path: req.url,
    headers: forwardedHeaders(req.headers, user, true),
  });
  relayUpgradeBytes(up, client, head);
  up.on('error', (e) => {
    log.warn('aggregated API stream failed', { apiService, target: `${target.host}:${target.port}`, err: e.message });
    const body = statusBody(serviceUnavailable(`error trying to reach service: ${e.message}`));
    client.end(
      `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  // an upgrade carries no body: the stream starts after the 101
  up.end();
}
