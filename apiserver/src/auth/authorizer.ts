// Who may do what: the authorizers of --authorization-mode, asked in order until one allows or
// denies (the union authorizer), behind the superuser group system:masters as kube-apiserver
// has it. Node and RBAC answer from memory, kept by watches.
import type { Logger } from '@skiff/common';
import { ApiError, qualifiedResource } from '../errors.ts';
import type { ApiRegistry } from '../registry/api-registry.ts';
import type { UserInfo } from '../registry/store.ts';
import { allowed, noOpinion, type Attributes, type Authorizer, type Decision } from './attributes.ts';
import { NodeAuthorizer } from './node-authorizer.ts';
import { RbacAuthorizer } from './rbac/authorizer.ts';

export type { Attributes, Decision } from './attributes.ts';

export const SUPERUSER_GROUP = 'system:masters';
export const AUTHORIZATION_MODES = ['Node', 'RBAC', 'AlwaysAllow', 'AlwaysDeny'] as const;
export type AuthorizationMode = (typeof AUTHORIZATION_MODES)[number];

export interface AuthorizerChain extends Authorizer {
  /** present when RBAC is one of the modes (escalation checks and rules reviews need it) */
  rbac?: RbacAuthorizer;
  /** resolves when every watch-backed authorizer has its first list */
  start(): Promise<void>;
  stop(): void;
}

export function parseAuthorizationModes(text: string | readonly string[]): AuthorizationMode[] {
  const modes = (typeof text === 'string' ? text.split(',') : [...text]).map((m) => m.trim()).filter(Boolean);
  if (!modes.length) throw new Error('--authorization-mode: at least one mode is required');
  for (const m of modes) {
    if (!(AUTHORIZATION_MODES as readonly string[]).includes(m)) {
      throw new Error(`--authorization-mode: unknown mode "${m}" (supported: ${AUTHORIZATION_MODES.join(', ')})`);
    }
  }
  if (new Set(modes).size !== modes.length) throw new Error('--authorization-mode: a mode is listed twice');
  return modes as AuthorizationMode[];
}

export function createAuthorizer(modes: AuthorizationMode[], registry: ApiRegistry, log?: Logger): AuthorizerChain {
  const chain: Authorizer[] = [];
  const started: { start(): Promise<void>; stop(): void }[] = [];
  let rbac: RbacAuthorizer | undefined;
  for (const mode of modes) {
    if (mode === 'Node') {
      const node = new NodeAuthorizer(registry, log?.child({ part: 'node-authorizer' }));
      chain.push(node);
      started.push(node);
    } else if (mode === 'RBAC') {
      rbac = new RbacAuthorizer(registry, log?.child({ part: 'rbac' }));
      chain.push(rbac);
      started.push(rbac);
    } else if (mode === 'AlwaysAllow') {
      chain.push({ authorize: () => allowed() });
    } else {
      chain.push({ authorize: () => ({ decision: 'deny', reason: '' }) });
    }
  }
  return {
    rbac,
    authorize(user: UserInfo, a: Attributes): Decision {
      if (user.groups.includes(SUPERUSER_GROUP)) return allowed();
      const reasons: string[] = [];
      for (const z of chain) {
        const d = z.authorize(user, a);
        if (d.decision !== 'noOpinion') return d;
        if (d.reason) reasons.push(d.reason);
      }
      return noOpinion(reasons.join('\n'));
    },
    async start() {
      await Promise.all(started.map((s) => s.start()));
    },
    stop() {
      for (const s of started) s.stop();
    },
  };
}

/** The 403 kube-apiserver returns (responsewriters.ForbiddenStatusError), with the authorizers' reason. */
export function forbiddenError(user: UserInfo, a: Attributes, reason = ''): ApiError {
  const suffix = reason ? `: ${reason}` : '';
  if (!a.isResourceRequest) {
    return new ApiError(403, 'Forbidden', `forbidden: User "${user.name}" cannot ${a.verb} path "${a.path}"${suffix}`, {});
  }
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  const who = `User "${user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${scope}`;
  const what = qualifiedResource(a.group, resource);
  return new ApiError(403, 'Forbidden', `${what}${a.name ? ` "${a.name}"` : ''} is forbidden: ${who}${suffix}`, {
    name: a.name,
    group: a.group || undefined,
    kind: a.resource,
  });
}

/** Throws the 403 unless the chain allows `a`. */
export function authorizeOrThrow(chain: Authorizer, user: UserInfo, a: Attributes): void {
  const d = chain.authorize(user, a);
  if (d.decision !== 'allow') throw forbiddenError(user, a, d.reason);
}
