// Turns a request path into what is asked, as apiserver's RequestInfoFactory does.
import { errors } from '../errors.ts';

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  verb: string; // get list watch create update patch delete deletecollection
  apiPrefix: 'api' | 'apis' | '';
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** path segments after the subresource (pods/x/proxy/...) */
  rest: string[];
}

const namespaceSubresources = new Set(['status', 'finalize']);

export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = { isResourceRequest: false, path, verb: method.toLowerCase(), apiPrefix: '', group: '', version: '', resource: '', rest: [] };
  const parts = path
    .split('/')
    .filter((p) => p.length > 0)
    .map(decodeSegment);
  if (parts[0] !== 'api' && parts[0] !== 'apis') return info;
  info.apiPrefix = parts[0];
  let cur = parts.slice(1);
  if (info.apiPrefix === 'apis') {
    if (cur.length < 2) return info; // /apis, /apis/apps: discovery
    info.group = cur[0]!;
    cur = cur.slice(1);
  } else if (cur.length < 1) return info; // /api
  info.version = cur[0]!;
  cur = cur.slice(1);
  if (cur.length === 0) return info; // /api/v1: discovery
  info.isResourceRequest = true;
  let watchPath = false;
  if (cur[0] === 'watch') {
    watchPath = true;
    cur = cur.slice(1);
  }
  if (cur[0] === 'namespaces' && cur.length > 1) {
    info.namespace = cur[1];
    if (cur.length > 2 && !namespaceSubresources.has(cur[2]!)) cur = cur.slice(2);
  }
  info.resource = cur[0] ?? '';
  if (cur.length >= 2) info.name = cur[1];
  if (cur.length >= 3) info.subresource = cur[2];
  if (cur.length > 3) info.rest = cur.slice(3);
  if (info.resource === 'namespaces' && info.name) info.namespace = undefined;

  switch (method) {
    case 'GET':
    case 'HEAD':
      info.verb = watchPath || query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : info.name ? 'get' : 'list';
      break;
    case 'POST':
      info.verb = 'create';
      break;
    case 'PUT':
      info.verb = 'update';
      break;
    case 'PATCH':
      info.verb = 'patch';
      break;
    case 'DELETE':
      info.verb = info.name ? 'delete' : 'deletecollection';
      break;
    default:
      info.verb = method.toLowerCase();
  }
  return info;
}

/** A bad %-escape is the client's mistake: 400, as Go's URL parser answers. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw errors.badRequest(`invalid URL escape in path segment "${segment.slice(0, 64)}"`);
  }
}
