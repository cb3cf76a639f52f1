// The routing table of the Ingresses this controller serves: host, then path, as the Ingress
// spec defines matching. Pure data and functions; state.ts builds it from the informers.
//
// Host: an exact host beats a wildcard one (`*.example.com` matches exactly one more label);
// a rule without host matches every other host. The first host group that matches decides. Path: Exact matches the whole path; Prefix matches
// element by element split on '/' (`/foo` matches /foo, /foo/ and /foo/bar, not /foobar) with
// a trailing '/' of the rule ignored. Among matches the longest path wins and Exact beats
// Prefix at equal length. ImplementationSpecific is Prefix here.

/** Where a request goes: ready endpoint addresses and the port on them, or nothing to reach. */
export interface Backend {
  /** namespace/service:port, for logs and metrics */
  name: string;
  endpoints: string[];
  port: number;
}

export interface PathRoute {
  path: string;
  exact: boolean;
  backend: Backend;
}

export interface HostRoutes {
  paths: PathRoute[];
}

export interface RouteTable {
  exact: Map<string, HostRoutes>;
  /** `*.example.com` keyed by `example.com` */
  wildcard: Map<string, HostRoutes>;
  /** rules without a host */
  anyHost: HostRoutes;
  defaultBackend?: Backend;
}

export function emptyTable(): RouteTable {
  return { exact: new Map(), wildcard: new Map(), anyHost: { paths: [] } };
}

/** Adds one rule's path; the first Ingress (oldest) to claim a host+path+type keeps it. */
export function addPath(table: RouteTable, host: string, route: PathRoute): void {
  let routes: HostRoutes | undefined;
  const map = host.startsWith('*.') ? table.wildcard : table.exact;
  const key = host.startsWith('*.') ? host.slice(2) : host;
  if (!host) routes = table.anyHost;
  else {
    routes = map.get(key);
    if (!routes) map.set(key, (routes = { paths: [] }));
  }
  if (routes.paths.some((p) => p.path === route.path && p.exact === route.exact)) return;
  routes.paths.push(route);
}

/** Prefix matching by path elements; the rule's trailing '/' does not count. */
export function prefixMatches(rule: string, path: string): boolean {
  const trimmed = rule.replace(/\/+$/, '');
  if (trimmed === '') return true;
  if (!path.startsWith(trimmed)) return false;
  return path.length === trimmed.length || path[trimmed.length] === '/';
}

function matchPath(routes: HostRoutes | undefined, path: string): PathRoute | undefined {
  if (!routes) return undefined;
  let best: PathRoute | undefined;
  for (const r of routes.paths) {
    const ok = r.exact ? r.path === path : prefixMatches(r.path, path);
    if (!ok) continue;
    const len = r.exact ? r.path.length : r.path.replace(/\/+$/, '').length;
    const bestLen = best ? (best.exact ? best.path.length : best.path.replace(/\/+$/, '').length) : -1;
    if (len > bestLen || (len === bestLen && r.exact && !best?.exact)) best = r;
  }
  return best;
}

/** The Host header without port, lower case. */
export function normalizeHost(host: string | undefined): string {
  if (!host) return '';
  const h = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return h.toLowerCase().replace(/\.$/, '');
}

/** The backend for a request, or undefined (404). The path excludes the query. */
export function route(table: RouteTable, hostHeader: string | undefined, path: string): Backend | undefined {
  const host = normalizeHost(hostHeader);
  const dot = host.indexOf('.');
  // the first host group that matches decides; no matching path there means the default backend
  const routes = table.exact.get(host) ?? (dot > 0 ? table.wildcard.get(host.slice(dot + 1)) : undefined) ?? table.anyHost;
  return matchPath(routes, path)?.backend ?? table.defaultBackend;
}
