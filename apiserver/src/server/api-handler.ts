// One dispatch for everything under /api and /apis: discovery documents or a resource verb.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@skiff/common';
import { type AdmissionChain, connectSubresources } from '../admission/chain.ts';
import { errors } from '../errors.ts';
import { handleDeleteCollection } from '../handlers/delete.ts';
import { handleGet, handleList } from '../handlers/read.ts';
import { handleBinding, handleEviction, handleScale } from '../handlers/subresources.ts';
import { handleWatch, type WatchCounter } from '../handlers/watch.ts';
import { handleCreate, handleDelete, handlePatch, handleUpdate, type PatchMetaProvider } from '../pipeline/index.ts';
import { admissionOf, type HandlerContext } from '../handlers/context.ts';
import { responseFormat } from '../pipeline/encode.ts';
import type { ApiRegistry } from '../registry/api-registry.ts';
import type { UserInfo } from '../registry/store.ts';
import { writeError, writeJson } from './http-util.ts';
import { parseRequestInfo, type RequestInfo } from './request-info.ts';

export interface DiscoveryService {
  apiVersions(serverAddress: string): object;
  apiGroupList(): object;
  apiGroup?(group: string): object | undefined;
  resourceList(group: string, version: string): object | undefined;
  aggregated(accept: string, prefix: 'api' | 'apis'): { contentType: string; body: object } | undefined;
}

export interface ApiHandlerDeps {
  registry: ApiRegistry;
  discovery: DiscoveryService;
  patchMeta: PatchMetaProvider;
  /** proxies pods/log, exec, attach, portforward to the node; absent until the kubelet exists */
  podProxy?: (ctx: HandlerContext) => Promise<void>;
  watchCounter?: WatchCounter;
  /** mutating and validating admission for every write (absent: none) */
  admission?: AdmissionChain;
  /** --min-request-timeout: a watch without timeoutSeconds lasts 1x-2x this */
  minRequestTimeoutSeconds?: number;
  observe?: (info: RequestInfo, code: number, seconds: number) => void;
  /** API aggregation: proxies a group/version another server owns; false when it is ours */
  aggregate?: (req: IncomingMessage, res: ServerResponse, info: RequestInfo, user: UserInfo) => Promise<boolean>;
  log: Logger;
}

export function createApiHandler(deps: ApiHandlerDeps) {
  return async function handleApi(req: IncomingMessage, res: ServerResponse, user: UserInfo): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'https://local');
    const info = parseRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    let code = 200;
    try {
      if (deps.aggregate && (await deps.aggregate(req, res, info, user))) {
        // answered by the aggregated server
      } else if (!info.isResourceRequest) {
        serveDiscovery(deps, req, res, info);
      } else {
        await serveResource(deps, req, res, info, url.searchParams, user);
      }
      code = res.statusCode;
    } catch (e) {
      code = writeError(res, e, info.isResourceRequest ? req.headers.accept : undefined);
      if (code >= 500) deps.log.error('request failed', { method: req.method, path: url.pathname, err: e as Error });
    } finally {
      deps.observe?.(info, code, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}

function serveDiscovery(deps: ApiHandlerDeps, req: IncomingMessage, res: ServerResponse, info: RequestInfo): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
  const accept = req.headers.accept ?? '';
  const parts = info.path.split('/').filter(Boolean);
  if (parts.length === 1) {
    const agg = deps.discovery.aggregated(accept, info.apiPrefix as 'api' | 'apis');
    if (agg) {
      writeJson(res, 200, agg.body, agg.contentType);
      return;
    }
    const body =
      info.apiPrefix === 'api' ? deps.discovery.apiVersions(`${req.socket.localAddress ?? ''}:${req.socket.localPort ?? ''}`) : deps.discovery.apiGroupList();
    writeJson(res, 200, body);
    return;
  }
  if (info.apiPrefix === 'apis' && parts.length === 2) {
    const g = deps.discovery.apiGroup?.(parts[1]!);
    if (!g) throw notFoundPath();
    writeJson(res, 200, g);
    return;
  }
  const list = deps.discovery.resourceList(info.group, info.version);
  if (!list) throw notFoundPath();
  writeJson(res, 200, list);
}

const notFoundPath = errors.notFoundPath;
const streamedSubresources = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);

async function serveResource(
  deps: ApiHandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  info: RequestInfo,
  query: URLSearchParams,
  user: UserInfo,
): Promise<void> {
  const store = deps.registry.store(info.group, info.version, info.resource);
  if (!store) {
    // legacy collections such as POST /api/v1/namespaces/NS/bindings: the body names the object
    const via = info.name || info.verb !== 'create' ? undefined : deps.registry.subresourceCollection(info.group, info.version, info.resource);
    if (via?.subresource !== 'binding') throw notFoundPath();
    return handleBinding(makeCtx(deps, req, res, info, query, user, via.store), undefined);
  }
  const def = store.def;
  if (def.namespaced && !info.namespace && ['create'].includes(info.verb)) {
    throw errors.notFound('', 'namespaces', '');
  }
  if (!def.namespaced && info.namespace) throw notFoundPath();
  const ctx = makeCtx(deps, req, res, info, query, user, store);
  const sub = info.subresource;
  // the representation is settled before any work, so that an unacceptable one refuses a write
  // (406) instead of answering after it; streams to the node (logs, exec) are not negotiated
  if (!sub || !streamedSubresources.has(sub)) responseFormat(ctx);
  if (sub) {
    if (!def.subresources?.includes(sub)) throw notFoundPath();
    switch (sub) {
      case 'status':
        if (info.verb === 'get') return handleGet(ctx);
        if (info.verb === 'update') return handleUpdate(ctx, 'status');
        if (info.verb === 'patch') return handlePatch(ctx, deps.patchMeta, 'status');
        break;
      case 'finalize':
        if (info.verb === 'update' && def.prepareForFinalize) return handleUpdate(ctx, 'finalize');
        break;
      case 'scale':
        return handleScale(ctx, deps.patchMeta);
      case 'binding':
        if (info.verb === 'create') return handleBinding(ctx, info.name);
        break;
      case 'eviction':
        if (info.verb === 'create') return handleEviction(ctx);
        break;
      case 'log':
      case 'exec':
      case 'attach':
      case 'portforward':
      case 'proxy':
        if (!deps.podProxy) throw errors.notFound(def.group, `${def.resource}/${sub}`, info.name!);
        if (connectSubresources.has(sub)) await connectAdmission(ctx);
        return deps.podProxy(ctx);
    }
    throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
  }
  switch (info.verb) {
    case 'get':
      return handleGet(ctx);
    case 'list':
      return handleList(ctx);
    case 'watch':
      return handleWatch(ctx, deps.watchCounter, deps.minRequestTimeoutSeconds);
    case 'create':
      if (info.name) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      return handleCreate(ctx);
    case 'update':
      return handleUpdate(ctx);
    case 'patch':
      return handlePatch(ctx, deps.patchMeta);
    case 'delete':
      return handleDelete(ctx);
    case 'deletecollection':
      return handleDeleteCollection(ctx);
    default:
      throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
  }
}

function makeCtx(
  deps: ApiHandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  info: RequestInfo,
  query: URLSearchParams,
  user: UserInfo,
  store: HandlerContext['store'],
): HandlerContext {
  return { req, res, info, query, user, registry: deps.registry, store, warnings: [], admission: deps.admission };
}

/** exec, attach, portforward and proxy are admitted as CONNECT before the stream opens. */
async function connectAdmission(ctx: HandlerContext): Promise<void> {
  const a = admissionOf(ctx);
  await a?.admit('CONNECT', undefined, undefined);
  await a?.validate('CONNECT', undefined, undefined);
}
