// metrics.k8s.io/v1beta1 over HTTP(S): discovery documents for the group and version,
// NodeMetrics and PodMetrics (list and get, label selectors, namespaces), as metrics-server
// serves them behind the APIService. Every request but the health probes is authenticated
// (authentication.ts) and authorized by SubjectAccessReview (authorization.ts) first.
// Answers are JSON; failures are Kubernetes Status objects.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '@skiff/common/apimachinery/status';
import { parseSelector, type Selector } from '@skiff/common/apimachinery/label-selector';
import { Quantity } from '@skiff/common/apimachinery/quantity';
import type { AuthenticationResult } from './authentication.ts';
import { METRICS_GROUP, METRICS_VERSION, type Decision, type RequestAttributes } from './authorization.ts';
import type { UserInfo } from './authentication.ts';
import type { NodeInfo } from './node-watcher.ts';
import type { MetricsStorage, PodUsage, Usage } from './storage.ts';

const GV = `${METRICS_GROUP}/${METRICS_VERSION}`;

export interface PodMeta {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  creationTimestamp?: string;
}

export interface MetricsApiOptions {
  storage: MetricsStorage;
  /** the nodes known (the scraper's informer), for their labels */
  nodes: () => readonly NodeInfo[];
  /** pods' metadata from the apiserver: in a namespace or all, matching a label and field selector */
  listPods(namespace: string | undefined, labelSelector: string | undefined, fieldSelector: string | undefined): Promise<PodMeta[]>;
  authenticate(req: IncomingMessage): Promise<AuthenticationResult>;
  authorize(user: UserInfo, attrs: RequestAttributes): Promise<Decision>;
  /** /readyz: the first scrape cycle ran and authentication config is loaded */
  ready(): boolean;
}

/** A duration as Go prints it (metav1.Duration): 15.012s, 1m0.5s. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const minutes = Math.floor(ms / 60_000);
  const seconds = Number(((ms % 60_000) / 1000).toFixed(9)).toString();
  return minutes ? `${minutes}m${seconds}s` : `${seconds}s`;
}

export function usageQuantities(u: Usage): { cpu: string; memory: string } {
  // CPU as resource.NewScaledQuantity(nanocores, -9), memory as NewQuantity(bytes, BinarySI)
  return { cpu: new Quantity(BigInt(u.cpu), 'DecimalSI').toString(), memory: new Quantity(BigInt(u.memory) * 1_000_000_000n, 'BinarySI').toString() };
}

const notFound = (resource: string, name: string) =>
  new ApiError(404, 'NotFound', `${resource}.${METRICS_GROUP} "${name}" not found`, { name, group: METRICS_GROUP, kind: resource });

function selectorOf(q: URLSearchParams): { text?: string; selector?: Selector } {
  const text = q.get('labelSelector') ?? undefined;
  if (!text) return {};
  try {
    return { text, selector: parseSelector(text) };
  } catch (e) {
    throw new ApiError(400, 'BadRequest', `unable to parse requirement: ${(e as Error).message}`);
  }
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function nodeItem(node: NodeInfo | undefined, name: string, u: Usage, now: string) {
  return {
    metadata: { name, creationTimestamp: now, ...(node && Object.keys(node.labels).length ? { labels: node.labels } : {}) },
    timestamp: new Date(u.timestampMs).toISOString(),
    window: goDuration(u.windowMs),
    usage: usageQuantities(u),
  };
}

function podItem(meta: PodMeta, u: PodUsage, now: string) {
  return {
    metadata: { name: meta.name, namespace: meta.namespace, creationTimestamp: now, ...(meta.labels ? { labels: meta.labels } : {}) },
    timestamp: new Date(u.timestampMs).toISOString(),
    window: goDuration(u.windowMs),
    containers: u.containers.map((c) => ({ name: c.name, usage: usageQuantities(c.usage) })),
  };
}

const list = (kind: string, items: unknown[]) => ({ kind, apiVersion: GV, metadata: {}, items });

export const discovery = {
  group: {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: METRICS_GROUP,
    versions: [{ groupVersion: GV, version: METRICS_VERSION }],
    preferredVersion: { groupVersion: GV, version: METRICS_VERSION },
  },
  resources: {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: GV,
    resources: [
      { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
      { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
    ],
  },
};

/** What a path asks for, in SubjectAccessReview terms, and which handler answers it. */
export function route(method: string, path: string, q: URLSearchParams): RequestAttributes & { kind: 'discovery' | 'nodes' | 'pods' } {
  const verbOf = (named: boolean) => (method !== 'GET' ? method.toLowerCase() : named ? 'get' : q.get('watch') === 'true' ? 'watch' : 'list');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== 'apis') throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  if (parts.length <= 3 && (parts.length === 1 || parts[1] === METRICS_GROUP) && (parts.length < 3 || parts[2] === METRICS_VERSION)) {
    return { kind: 'discovery', verb: 'get', path };
  }
  if (parts[1] !== METRICS_GROUP || parts[2] !== METRICS_VERSION) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const rest = parts.slice(3);
  if (rest[0] === 'nodes' && rest.length <= 2) return { kind: 'nodes', resource: 'nodes', verb: verbOf(rest.length === 2), name: rest[1] };
  if (rest[0] === 'pods' && rest.length === 1) return { kind: 'pods', resource: 'pods', verb: verbOf(false) };
  if (rest[0] === 'namespaces' && rest[2] === 'pods' && rest.length <= 4 && rest[1]) {
    return { kind: 'pods', resource: 'pods', verb: verbOf(rest.length === 4), namespace: rest[1], name: rest[3] };
  }
  throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
}

export function metricsHandler(o: MetricsApiOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://metrics-server');
    const path = url.pathname;
    try {
      if (path === '/healthz' || path === '/livez' || path === '/readyz') {
        const ok = path !== '/readyz' || o.ready();
        res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain' });
        res.end(ok ? 'ok' : 'not ready: no scrape cycle has run yet');
        return;
      }
      const who = await o.authenticate(req);
      if (!who.ok) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      const attrs = route(req.method ?? 'GET', path, url.searchParams);
      const decision = await o.authorize(who.user, attrs);
      if (!decision.allowed) {
        const what = attrs.resource
          ? `resource "${attrs.resource}" in API group "${METRICS_GROUP}"${attrs.namespace ? ` in the namespace "${attrs.namespace}"` : ' at the cluster scope'}`
          : `path "${attrs.path}"`;
        throw new ApiError(
          403,
          'Forbidden',
          `${attrs.resource ? `${attrs.resource}.${METRICS_GROUP}${attrs.name ? ` "${attrs.name}"` : ''} is forbidden: ` : 'forbidden: '}User "${who.user.name}" cannot ${attrs.verb} ${what}`,
        );
      }
      if (attrs.verb !== 'get' && attrs.verb !== 'list') throw new ApiError(405, 'MethodNotAllowed', `${attrs.verb} is not supported on ${path}`);
      const now = new Date().toISOString();
      if (attrs.kind === 'discovery') {
        const parts = path.split('/').filter(Boolean);
        if (parts.length === 1) send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [discovery.group] });
        else send(res, 200, parts.length === 2 ? discovery.group : discovery.resources);
        return;
      }
      if (attrs.kind === 'nodes') {
        const nodes = new Map(o.nodes().map((n) => [n.name, n]));
        if (attrs.name) {
          const u = o.storage.nodeUsage(attrs.name);
          if (!u) throw notFound('nodemetrics', attrs.name);
          send(res, 200, { kind: 'NodeMetrics', apiVersion: GV, ...nodeItem(nodes.get(attrs.name), attrs.name, u, now) });
          return;
        }
        const { selector } = selectorOf(url.searchParams);
        const items = [];
        for (const name of o.storage.nodeNames().sort()) {
          const node = nodes.get(name);
          if (selector && !selector.matches(node?.labels ?? {})) continue;
          const u = o.storage.nodeUsage(name);
          if (u) items.push(nodeItem(node, name, u, now));
        }
        send(res, 200, list('NodeMetricsList', items));
        return;
      }
      // pods: the ones that exist (and match) per the apiserver, with usage known here
      if (attrs.name) {
        const u = o.storage.podUsage(attrs.namespace!, attrs.name);
        const meta = u ? (await o.listPods(attrs.namespace, undefined, `metadata.name=${attrs.name}`)).find((p) => p.name === attrs.name) : undefined;
        if (!u || !meta) throw notFound('podmetrics', `${attrs.namespace}/${attrs.name}`);
        send(res, 200, { kind: 'PodMetrics', apiVersion: GV, ...podItem(meta, u, now) });
        return;
      }
      const { text } = selectorOf(url.searchParams);
      const metas = await o.listPods(attrs.namespace, text, url.searchParams.get('fieldSelector') ?? undefined);
      const items = [];
      for (const meta of metas) {
        const u = o.storage.podUsage(meta.namespace, meta.name);
        if (u) items.push(podItem(meta, u, now));
      }
      send(res, 200, list('PodMetricsList', items));
    } catch (e) {
      if (e instanceof ApiError) send(res, e.code, e.toStatus());
      else send(res, 500, new ApiError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`).toStatus());
    }
  };
}
