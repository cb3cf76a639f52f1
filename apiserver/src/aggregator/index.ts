// API aggregation (kube-aggregator inside kube-apiserver): APIServices route a group/version
// to another server; request-header authentication lets a front proxy in front of us name
// users; Local APIServices for our own groups; the availability controller; the groups
// discovery adds; the extension-apiserver-authentication ConfigMap.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@skiff/common';
import type client from 'prom-client';
import { ApiError } from '../errors.ts';
import type { AggregationConfig } from '../config.ts';
import type { ApiRegistry } from '../registry/api-registry.ts';
import type { UserInfo } from '../registry/store.ts';
import type { KObject } from '../registry/types.ts';
import type { Authenticator } from '../server/authn.ts';
import type { RequestInfo } from '../server/request-info.ts';
import { createRequestHeaderAuthenticator } from '../auth/requestheader-authenticator.ts';
import { apiServiceName } from '../registry/resources/apiservices.ts';
import { loadProxyClientCert } from './backend.ts';
import { AvailableController } from './available-controller.ts';
import { AggregatedGroups } from './discovery-source.ts';
import { registerLocalApiServices } from './local-apiservices.ts';
import { createAggregatorProxy } from './proxy.ts';
import { authenticationData, publishAuthenticationConfigMap } from './authentication-configmap.ts';

export interface AggregatorOptions {
  registry: ApiRegistry;
  config: AggregationConfig;
  /** --client-ca-file, published in the ConfigMap */
  clientCaFile: string;
  /** whether this apiserver serves the group/version itself (then it is never proxied) */
  servesLocally: (group: string, version: string) => boolean;
  /** /metrics: aggregator_unavailable_apiservice and _total */
  metrics?: client.Registry;
  log: Logger;
}

export interface Aggregator {
  /** request-header authentication; undefined without --requestheader-client-ca-file */
  authenticator?: Authenticator;
  /** the groups discovery lists besides ours */
  groups: AggregatedGroups;
  /** proxies the request when an APIService with a Service owns its group/version; false: not ours */
  route(req: IncomingMessage, res: ServerResponse, info: RequestInfo, user: UserInfo): Promise<boolean>;
  /** Local APIServices, the ConfigMap, the availability controller; after bootstrap */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createAggregator(o: AggregatorOptions): Aggregator {
  const c = o.config;
  const log = o.log;
  const authenticator = c.requestHeaderClientCaFile
    ? createRequestHeaderAuthenticator({
        caPem: readFileSync(c.requestHeaderClientCaFile, 'utf8'),
        allowedNames: c.requestHeaderAllowedNames,
        usernameHeaders: c.requestHeaderUsernameHeaders,
        groupHeaders: c.requestHeaderGroupHeaders,
        extraHeaderPrefixes: c.requestHeaderExtraHeadersPrefix,
      })
    : undefined;
  const proxyClient = loadProxyClientCert(c.proxyClientCertFile, c.proxyClientKeyFile);
  if (!proxyClient) log.warn('no --proxy-client-cert-file: aggregated API servers cannot authenticate this apiserver');
  const groups = new AggregatedGroups();
  const proxy = createAggregatorProxy({ registry: o.registry, proxyClient, log });
  const controller = new AvailableController({
    registry: o.registry,
    proxyClient,
    discovery: groups,
    intervalSeconds: c.availabilityCheckSeconds,
    log,
    metrics: o.metrics,
  });

  async function apiServiceFor(group: string, version: string): Promise<KObject | undefined> {
    const store = o.registry.store('apiregistration.k8s.io', 'v1', 'apiservices');
    if (!store) return undefined;
    try {
      return await store.get(undefined, apiServiceName(group, version));
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    }
  }

  return {
    authenticator,
    groups,
    async route(req, res, info, user) {
      if (info.apiPrefix !== 'apis' || !info.group || !info.version) return false;
      // the hot path: a resource we store is ours without asking anything else
      if (info.isResourceRequest && o.registry.store(info.group, info.version, info.resource)) return false;
      if (o.servesLocally(info.group, info.version)) return false;
      const apiService = await apiServiceFor(info.group, info.version);
      if (!apiService?.spec?.service) return false;
      await proxy(req, res, user, apiService);
      return true;
    },
    async start() {
      await registerLocalApiServices(o.registry, log);
      await publishAuthenticationConfigMap(o.registry, authenticationData(o.clientCaFile, c));
      await controller.start();
    },
    stop: () => controller.stop(),
  };
}
