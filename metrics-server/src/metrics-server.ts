// The metrics server put together: Node and pod caches (list and watch), the scraper filling the storage every
// resolution, the authentication config source, and the HTTPS server of metrics.k8s.io.
// main.ts builds it from flags; tests build it directly.
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { Logger } from '@skiff/common/log';
import type client from 'prom-client';
import { metricsHandler } from './api.ts';
import { ApiserverClient } from './apiserver-client.ts';
import { authenticate, type AuthenticationConfig } from './authentication.ts';
import { AuthenticationSource, type AuthenticationOverrides } from './authentication-source.ts';
import type { Credentials } from './kubeconfig.ts';
import { NodeWatcher } from './node-watcher.ts';
import { PodCache } from './pod-cache.ts';
import { Authorizer } from './authorization.ts';
import { register } from './registration.ts';
import { Scraper } from './scraper.ts';
import { MetricsStorage } from './storage.ts';

export interface MetricsServerOptions {
  credentials: Credentials;
  resolutionMs: number;
  requestTimeoutMs: number;
  securePort: number;
  bindAddress: string;
  certFile: string;
  keyFile: string;
  addressTypes: string[];
  insecureTLS: boolean;
  kubeletCA?: Buffer;
  kubeletPort?: number;
  concurrency?: number;
  kubeletKeepAlive?: boolean;
  authentication: AuthenticationOverrides & { skipLookup: boolean };
  /** publish the Service, Endpoints and APIService for this address (--advertise-address); absent: do not */
  registration?: { address: string; caBundle?: string };
  registry: client.Registry;
  log: Logger;
}

export interface MetricsServer {
  port: number;
  storage: MetricsStorage;
  scraper: Scraper;
  ready(): boolean;
  stop(): Promise<void>;
}

const NO_AUTHENTICATION: AuthenticationConfig = {
  clientCA: [],
  requestHeaderCA: [],
  allowedNames: [],
  usernameHeaders: [],
  uidHeaders: [],
  groupHeaders: [],
  extraHeaderPrefixes: [],
};

export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const api = new ApiserverClient(o.credentials);
  const storage = new MetricsStorage();
  const nodes = new NodeWatcher(api, o.log.child({ part: 'nodes' }));
  const pods = new PodCache(api, o.log.child({ part: 'pods' }));
  const scraper = new Scraper({
    credentials: o.credentials,
    nodes: () => nodes.list(),
    storage,
    resolutionMs: o.resolutionMs,
    requestTimeoutMs: o.requestTimeoutMs,
    addressTypes: o.addressTypes,
    insecureTLS: o.insecureTLS,
    kubeletCA: o.kubeletCA,
    kubeletPort: o.kubeletPort,
    concurrency: o.concurrency,
    keepAlive: o.kubeletKeepAlive,
    registry: o.registry,
    log: o.log.child({ part: 'scraper' }),
  });
  const authorizer = new Authorizer((spec) => api.subjectAccessReview(spec));
  const cert = readFileSync(o.certFile);
  const key = readFileSync(o.keyFile);
  let server: https.Server | undefined;
  let caPems: string[] = [];
  const source = new AuthenticationSource({
    load: () => api.authenticationConfigMap(),
    overrides: o.authentication,
    skipLookup: o.authentication.skipLookup,
    log: o.log.child({ part: 'authentication' }),
    onChange: (_config, pems) => {
      caPems = pems;
      // the CAs also go out in the TLS handshake, as the names of acceptable issuers
      server?.setSecureContext({ cert, key, ...(pems.length ? { ca: pems } : {}) });
    },
  });
  const ready = () => scraper.ran && source.config !== undefined;
  const handler = metricsHandler({
    storage,
    nodes: () => nodes.list(),
    listPods: (ns, labels, fields) => pods.select(ns, labels, fields),
    authenticate: (req) => authenticate(req, source.config ?? NO_AUTHENTICATION, (t) => api.tokenReview(t)),
    authorize: (user, attrs) => authorizer.authorize(user, attrs),
    ready,
  });
  const authStarted = source.start();
  if (o.authentication.skipLookup) await authStarted;
  server = https.createServer({ cert, key, requestCert: true, rejectUnauthorized: false, ...(caPems.length ? { ca: caPems } : {}) }, (req, res) => {
    handler(req, res).catch((e: unknown) => {
      o.log.error('request failed', { path: req.url, err: e as Error });
      res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server!.once('error', reject);
    server!.listen(o.securePort, o.bindAddress, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  let registering: NodeJS.Timeout | undefined;
  if (o.registration) {
    const reg = { ...o.registration, port };
    let delay = 1000;
    const attempt = () => {
      register(api, reg).then(
        () => o.log.info('registered the APIService', { address: reg.address, port }),
        (e: unknown) => {
          o.log.warn('registering the APIService failed, retrying', { delayMs: delay, err: (e as Error).message });
          registering = setTimeout(attempt, delay);
          delay = Math.min(delay * 2, 30_000);
        },
      );
    };
    attempt();
  }
  await Promise.all([nodes.start(), pods.start()]);
  await scraper.start();
  o.log.info('metrics server serving', { port, resolutionMs: o.resolutionMs });
  return {
    port,
    storage,
    scraper,
    ready,
    async stop() {
      clearTimeout(registering);
      scraper.stop();
      source.stop();
      nodes.stop();
      pods.stop();
      api.close();
      await new Promise<void>((r) => {
        server!.close(() => r());
        server!.closeAllConnections();
      });
    },
  };
}
