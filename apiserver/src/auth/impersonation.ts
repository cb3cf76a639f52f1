// Impersonate-User, Impersonate-Group, Impersonate-Uid and Impersonate-Extra-* headers
// (k8s.io/apiserver/pkg/endpoints/filters/impersonation.go): each thing impersonated must be
// allowed with the `impersonate` verb; the request then runs as the impersonated user.
import type { IncomingMessage } from 'node:http';
import { errors } from '../errors.ts';
import type { UserInfo } from '../registry/store.ts';
import type { Attributes, Authorizer } from './attributes.ts';
import { authorizeOrThrow } from './authorizer.ts';

const SA_PREFIX = 'system:serviceaccount:';

function headerValues(req: IncomingMessage, name: string): string[] {
  const v = req.headers[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v])
    .flatMap((x) => (name === 'impersonate-group' ? x.split(',') : [x]))
    .map((x) => x.trim())
    .filter(Boolean);
}

const impersonation = (resource: string, name: string, group = '', namespace?: string, subresource?: string): Attributes => ({
  verb: 'impersonate',
  isResourceRequest: true,
  path: '',
  group,
  resource,
  subresource,
  namespace,
  name,
});

export function impersonate(req: IncomingMessage, user: UserInfo, authorizer: Authorizer): UserInfo {
  const users = headerValues(req, 'impersonate-user');
  const groups = headerValues(req, 'impersonate-group');
  const uids = headerValues(req, 'impersonate-uid');
  const extraKeys = Object.keys(req.headers).filter((h) => h.startsWith('impersonate-extra-'));
  if (!users.length) {
    if (groups.length || uids.length || extraKeys.length) {
      throw errors.internal('requested [Impersonate-Group Impersonate-Uid Impersonate-Extra] without impersonating a user');
    }
    return user;
  }
  const name = users[0]!;
  const checks: Attributes[] = [];
  let impliedGroups: string[] = [];
  if (name.startsWith(SA_PREFIX)) {
    const [ns, sa] = name.slice(SA_PREFIX.length).split(':');
    checks.push(impersonation('serviceaccounts', sa ?? '', '', ns));
    impliedGroups = ['system:serviceaccounts', `system:serviceaccounts:${ns}`];
  } else {
    checks.push(impersonation('users', name));
  }
  for (const g of groups) checks.push(impersonation('groups', g));
  for (const u of uids) checks.push(impersonation('uids', u, 'authentication.k8s.io'));
  const extra: Record<string, string[]> = {};
  for (const h of extraKeys) {
    const key = decodeURIComponent(h.slice('impersonate-extra-'.length));
    for (const v of headerValues(req, h)) {
      checks.push(impersonation('userextras', v, 'authentication.k8s.io', undefined, key));
      extra[key] = [...(extra[key] ?? []), v];
    }
  }
  for (const a of checks) authorizeOrThrow(authorizer, user, a);
  const all = [...new Set([...impliedGroups, ...groups])];
  if (name === 'system:anonymous') {
    if (!all.includes('system:unauthenticated')) all.push('system:unauthenticated');
  } else if (!all.includes('system:authenticated')) {
    all.push('system:authenticated');
  }
  // the impersonated extras are the user's from here on (an aggregated server gets them as X-Remote-Extra-*)
  return Object.keys(extra).length ? { name, groups: all, extra } : { name, groups: all };
}
