// What a request to the node API asks for, in the terms of a SubjectAccessReview, as the
// real kubelet maps it (pkg/kubelet/server/auth.go, with KubeletFineGrainedAuthz, on by
// default since 1.33): resource nodes, name = this node, and a subresource from the path:
//   /stats/*  stats     /metrics/*  metrics     /logs/*  log     /spec/*  spec
//   /checkpoint/*  checkpoint
//   /pods, /runningPods  pods      /healthz  healthz      /configz  configz
//   /readyz  healthz (Skiff's own: upstream's kubelet has no /readyz; Skiff's says not ready
//     while it drains its node before stopping, and is as harmless to read as /healthz)
//     (these fall back to proxy when refused, so a holder of nodes/proxy keeps them)
//   everything else (exec, attach, portForward, containerLogs, run, ...)  proxy
// The verb comes from the HTTP method; an upgrade (exec, attach, port-forward, over SPDY
// or WebSocket, always a GET) is `create`, because it runs something on the node.

export interface NodeApiAttributes {
  verb: string;
  subresource: string;
  /** asked next when `subresource` is refused */
  fallbackSubresource?: 'proxy';
}

const METHOD_VERBS: Record<string, string> = { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

const EXACT: [string, string][] = [
  ['/stats', 'stats'],
  ['/metrics', 'metrics'],
  ['/logs', 'log'],
  ['/spec', 'spec'],
  ['/checkpoint', 'checkpoint'],
];
const WITH_FALLBACK: [string, string][] = [
  ['/pods', 'pods'],
  ['/runningPods', 'pods'],
  ['/healthz', 'healthz'],
  ['/readyz', 'healthz'],
  ['/configz', 'configz'],
];

/** `path` is `prefix` or below it (/stats and /stats/summary, not /statsx). */
export function isSubpath(path: string, prefix: string): boolean {
  const p = prefix.replace(/\/$/, '');
  return path === p || (path.startsWith(p) && path[p.length] === '/');
}

/** The verb of a request: a method outside the five has none, and no rule grants that. */
export function nodeApiVerb(method: string, upgrade: boolean): string {
  if (upgrade) return 'create';
  return METHOD_VERBS[method.toUpperCase()] ?? '';
}

export function nodeApiAttributes(method: string, path: string, upgrade: boolean): NodeApiAttributes {
  const verb = nodeApiVerb(method, upgrade);
  for (const [prefix, subresource] of EXACT) if (isSubpath(path, prefix)) return { verb, subresource };
  for (const [prefix, subresource] of WITH_FALLBACK) if (isSubpath(path, prefix)) return { verb, subresource, fallbackSubresource: 'proxy' };
  return { verb, subresource: 'proxy' };
}
