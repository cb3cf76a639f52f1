// kube-apiserver for Skiff: wires storage, the resource registry, and the HTTPS listener.
import os from 'node:os';
import { createLogger } from '@skiff/common/log';
import { FlagError } from '@skiff/common/flags';
import { loadConfig, type ApiserverConfig } from './config.ts';
import { createApiserverMetrics } from './metrics.ts';
import { createStorage } from './storage/index.ts';
import { ApiRegistry } from './registry/api-registry.ts';
import { allResources, builtinObjects } from './registry/resources/index.ts';
import type { ResourceDef } from './registry/types.ts';
import { OpenApi, patchMetaFor } from './openapi/index.ts';
import { cachedPatchMeta } from './openapi/patch-meta-cache.ts';
import { Discovery } from './discovery/index.ts';
import { builtinPatchMeta, updateManagedFields, type PatchMeta } from './patch/index.ts';
import { createApiHandler, type DiscoveryService } from './server/api-handler.ts';
import { CrdController } from './apiextensions/crd-controller.ts';
import { createNonApiApp } from './server/non-api-routes.ts';
import { defaultDashboardDir } from './server/dashboard-files.ts';
import { createApiServer } from './server/https-server.ts';
import { createRequestLimiter } from './server/request-limits.ts';
import { rateLimitedCheck } from './server/rate-limited-check.ts';
import { createSecurity } from './auth/index.ts';
import { writeJson } from './server/http-util.ts';
import { bootstrapCluster } from './bootstrap.ts';
import { LeaseEndpointReconciler } from './endpoint-reconciler.ts';
import { AdmissionChain } from './admission/chain.ts';
import { selectPlugins } from './admission/plugins/index.ts';
import { startSystemNamespacesLoop } from './system-namespaces.ts';
import { reconcileBootstrapPolicy } from './auth/rbac/reconcile.ts';
import { createPodProxy, routeUpgradesAsRequests } from './proxy/index.ts';
import { createAuditor } from './audit/index.ts';
import { etcdCredentials } from './storage/etcd-tls.ts';
import { keyTransformers } from './storage/encryption/index.ts';
import { storedResourceOf } from './registry/stored-resources.ts';
import { createAggregator } from './aggregator/index.ts';

const log = createLogger('apiserver');

/**
 * Patch semantics from the OpenAPI schemas, else our built-in table of the served types. The
 * schemas carry no defaults for list-map keys (a Service port's protocol is TCP when left out),
 * which server-side apply needs to match items: those come from the table.
 */
const patchMetas = new Map<string, PatchMeta>();
function patchMeta(group: string, version: string, kind: string): PatchMeta {
  const key = `${group}/${version}/${kind}`;
  let meta = patchMetas.get(key);
  if (meta) return meta;
  const builtin = builtinPatchMeta(kind);
  const fromSchema = patchMetaFor(group, version, kind, customSchemaOf(group, version, kind));
  if (!fromSchema) {
    meta = builtin;
  } else {
    meta = cachedPatchMeta(fromSchema, builtin);
  }
  patchMetas.set(key, meta);
  return meta;
}

/** The published schema of a kind that brings its own (a custom resource), else undefined. */
let customSchemaOf: (group: string, version: string, kind: string) => Record<string, unknown> | undefined = () => undefined;

function firstIPv4(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/**
 * Keys are `<etcd-prefix>/<resource>/<namespace>/<name>` as in kube-apiserver, whose default
 * prefix is /registry; the store's keys already start with /registry.
 */
function storagePrefix(etcdPrefix: string): string {
  const p = etcdPrefix.replace(/\/+$/, '');
  return p.endsWith('/registry') ? p.slice(0, -'/registry'.length) : p;
}

export async function startApiserver(cfg: ApiserverConfig) {
  const metrics = createApiserverMetrics();
  const auditor = await createAuditor(cfg.audit, log.child({ part: 'audit' }));
  const storage = await createStorage({
    endpoints: cfg.etcdServers,
    prefix: storagePrefix(cfg.etcdPrefix),
    cache: cfg.watchCache,
    compactIntervalMs: cfg.compactionIntervalSeconds * 1000,
    logger: log.child({ part: 'storage' }),
    credentials: etcdCredentials(cfg.etcdServers, cfg.etcdTls),
    transformers: cfg.encryption && keyTransformers(cfg.encryption, storedResourceOf(allResources)),
  });
  const registry = new ApiRegistry(
    allResources,
    storage,
    {
      storage,
      config: {
        serviceClusterIPRange: cfg.serviceClusterIPRange,
        serviceNodePortRange: cfg.serviceNodePortRange,
        serviceAccountTokenVolumes: !!cfg.serviceAccountSigningKeyFile,
        eventTtlSeconds: cfg.eventTtlSeconds,
        defaultNotReadyTolerationSeconds: cfg.defaultNotReadyTolerationSeconds,
        defaultUnreachableTolerationSeconds: cfg.defaultUnreachableTolerationSeconds,
      },
    },
    {
      update: (a) =>
        updateManagedFields({
          old: a.old,
          updated: a.updated,
          manager: a.manager,
          apiVersion: a.apiVersion,
          operation: 'Update',
          meta: patchMeta(a.def.group, a.def.version, a.def.kind),
          subresource: a.subresource,
          now: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        }) as any,
    },
  );
  registry.services.registry = registry;
  const admission = new AdmissionChain(selectPlugins({ enable: cfg.enableAdmissionPlugins, disable: cfg.disableAdmissionPlugins }), registry);
  log.info('admission plugins', { enabled: admission.names });

  // Discovery and OpenAPI are documents of the served set: rebuilt when CRDs change it
  let openapi: OpenApi | undefined;
  const getOpenApi = () => (openapi ??= new OpenApi([...registry.defs]));
  const aggregator = createAggregator({
    registry,
    config: cfg.aggregation,
    clientCaFile: cfg.clientCaFile,
    servesLocally: (group, version) => registry.groupVersions().some((gv) => gv.group === group && gv.version === version),
    metrics: metrics.registry,
    log: log.child({ part: 'aggregator' }),
  });
  // the served set's documents, with the aggregated groups asked for at each read
  const buildDiscovery = (defs: readonly ResourceDef[]): Discovery => {
    const docs = new Discovery([...defs]);
    docs.addGroupSource(aggregator.groups);
    return docs;
  };
  let discoveryDocs = buildDiscovery(registry.defs);
  const discovery: DiscoveryService = {
    apiVersions: (address) => discoveryDocs.apiVersions(address),
    apiGroupList: () => discoveryDocs.apiGroupList(),
    apiGroup: (group) => discoveryDocs.apiGroup(group),
    resourceList: (group, version) => discoveryDocs.resourceList(group, version),
    aggregated: (accept, prefix) => discoveryDocs.aggregated(accept, prefix),
  };
  customSchemaOf = (group, version, kind) => registry.defs.find((d) => d.group === group && d.version === version && d.kind === kind)?.openAPISchema?.v2;
  // a burst of CRDs (an operator's install) builds the documents once ahead of the first reader
  let openApiPrebuild: NodeJS.Timeout | undefined;
  registry.onChange((defs) => {
    discoveryDocs = buildDiscovery(defs);
    openapi = undefined;
    patchMetas.clear();
    openApiPrebuild ??= setTimeout(() => {
      openApiPrebuild = undefined;
      try {
        getOpenApi();
      } catch (e) {
        log.error('building OpenAPI failed', { err: e as Error });
      }
    }, 100);
  });
  const crdController = new CrdController(registry, log.child({ part: 'crd-controller' }));
  let ready = false;

  const security = createSecurity({
    registry,
    log: log.child({ part: 'auth' }),
    serviceAccountKeyFiles: cfg.serviceAccountKeyFiles,
    serviceAccountSigningKeyFile: cfg.serviceAccountSigningKeyFile,
    serviceAccountIssuers: cfg.serviceAccountIssuers,
    apiAudiences: cfg.apiAudiences,
    maxTokenExpirationSeconds: cfg.serviceAccountMaxTokenExpirationSeconds,
    enableBootstrapTokenAuth: cfg.enableBootstrapTokenAuth,
    authorizationModes: cfg.authorizationModes,
    admission,
  });
  const api = security.wrapApi(
    createApiHandler({
      registry,
      discovery,
      log,
      patchMeta,
      podProxy: createPodProxy({
        registry,
        log,
        clientCertFile: cfg.kubeletClientCertificate || undefined,
        clientKeyFile: cfg.kubeletClientKey || undefined,
        kubeletCaFile: cfg.kubeletCertificateAuthority || undefined,
      }),
      watchCounter: metrics.watchCounter,
      minRequestTimeoutSeconds: cfg.minRequestTimeoutSeconds,
      observe: metrics.observe,
      admission,
      aggregate: aggregator.route,
    }),
  );
  const version = {
    major: '1',
    minor: cfg.kubernetesMinorVersion,
    gitVersion: `v1.${cfg.kubernetesMinorVersion}.0-skiff`,
    gitCommit: 'skiff',
    gitTreeState: 'clean',
    buildDate: '2026-11-23T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'node',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
  const versionBody = JSON.stringify(version);
  const nonApi = createNonApiApp({
    version,
    metrics: metrics.registry,
    openapi: getOpenApi,
    checks: [
      {
        name: 'etcd',
        check: rateLimitedCheck(async () => {
          await storage.currentRevision();
        }, 1000),
      },
    ],
    ready: () => ready,
    dashboardDir: cfg.dashboardDir || defaultDashboardDir(),
    distDir: cfg.distDir || undefined,
  });
  const server = createApiServer({
    certFile: cfg.tlsCertFile,
    keyFile: cfg.tlsPrivateKeyFile,
    clientCaFile: cfg.clientCaFile,
    bindAddress: cfg.bindAddress,
    port: cfg.securePort,
    // a front proxy's request-header identity first, as kube-apiserver's authenticator union
    authenticators: aggregator.authenticator ? [aggregator.authenticator, ...security.authenticators] : security.authenticators,
    authorizePath: security.authorizePath,
    audit: auditor,
    api,
    nonApi,
    direct: new Map([['/version', (_req, res) => writeJson(res, 200, versionBody)]]),
    limiter: createRequestLimiter({
      maxRequestsInflight: cfg.maxRequestsInflight,
      maxMutatingRequestsInflight: cfg.maxMutatingRequestsInflight,
      requestTimeoutSeconds: cfg.requestTimeoutSeconds,
    }),
  });
  // exec, attach and port-forward arrive as Upgrade requests; route them like any other
  routeUpgradesAsRequests(server);

  await bootstrapCluster(registry, {
    securePort: cfg.securePort,
    builtins: builtinObjects,
    log,
  });
  await reconcileBootstrapPolicy(registry, log.child({ part: 'rbac-bootstrap' }));
  await security.start();
  await aggregator.start();
  setImmediate(() => {
    try {
      getOpenApi();
    } catch (e) {
      log.error('building OpenAPI failed', { err: e as Error });
    }
  });

  // as kube-apiserver's crd-informer-synced readiness: the CRDs stored now are served before /readyz says yes
  crdController.start();
  await crdController.synced();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.securePort, cfg.bindAddress, () => resolve());
  });
  // the kubernetes Service points at this apiserver once it serves, as upstream's post-start hook
  const endpoints =
    cfg.endpointReconcilerType === 'lease'
      ? new LeaseEndpointReconciler({
          storage,
          registry,
          ip: cfg.advertiseAddress || firstIPv4(),
          port: cfg.securePort,
          log: log.child({ part: 'endpoint-reconciler' }),
        })
      : undefined;
  await endpoints?.start();
  ready = true;
  const stopSystemNamespaces = startSystemNamespacesLoop(registry, cfg.systemNamespacesIntervalSeconds, log);
  log.info('serving', { address: cfg.bindAddress, port: cfg.securePort, etcd: cfg.etcdServers, prefix: cfg.etcdPrefix });

  return {
    server,
    storage,
    registry,
    async stop() {
      ready = false;
      // our address leaves the kubernetes endpoints before we stop answering
      await endpoints?.stop().catch((e: unknown) => log.warn('removing this apiserver from the kubernetes endpoints failed', { err: e as Error }));
      clearTimeout(openApiPrebuild);
      stopSystemNamespaces();
      await crdController.stop();
      security.stop();
      await aggregator.stop();
      server.close();
      server.closeAllConnections();
      await storage.close();
      await auditor?.close();
    },
  };
}

async function main() {
  let cfg: ApiserverConfig;
  try {
    cfg = loadConfig();
  } catch (e) {
    if (e instanceof FlagError) {
      process.stderr.write(`apiserver: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const running = await startApiserver(cfg);
  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal: sig });
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await running.stop().catch((e: unknown) => log.error('shutdown error', { err: e as Error }));
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    log.error('fatal', { err: e as Error });
    process.exit(1);
  });
}
