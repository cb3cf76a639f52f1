// POST handlers of the review APIs: SelfSubjectAccessReview, SubjectAccessReview,
// LocalSubjectAccessReview and SelfSubjectRulesReview ask the authorizers; SelfSubjectReview
// says who the caller is; TokenReview runs the token authenticators.
import { errors, field } from '../errors.ts';
import type { HandlerContext } from '../handlers/context.ts';
import { writeStatusObject } from '../pipeline/encode.ts';
import { checkKind, readObject } from '../pipeline/decode.ts';
import type { UserInfo } from '../registry/store.ts';
import type { KObject } from '../registry/types.ts';
import type { TokenAuthenticator } from '../server/authn.ts';
import type { Attributes } from './attributes.ts';
import { SUPERUSER_GROUP, type AuthorizerChain } from './authorizer.ts';
import { nodeIdentity } from './node-authorizer.ts';
import { nodeRules } from './rbac/bootstrap-policy.ts';
import type { PolicyRule } from './rbac/rules.ts';

export interface ReviewDeps {
  authorizer: AuthorizerChain;
  tokenAuthenticators: TokenAuthenticator[];
}

type Review = (ctx: HandlerContext, body: KObject, deps: ReviewDeps) => Promise<KObject> | KObject;

function attributesFromSpec(spec: any, kind: string, name: string): Attributes {
  const ra = spec?.resourceAttributes;
  const nra = spec?.nonResourceAttributes;
  if (!!ra === !!nra) {
    throw errors.invalid('authorization.k8s.io', kind, name, [
      field.invalid('spec.resourceAttributes', ra ?? null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'),
    ]);
  }
  if (nra) return { verb: nra.verb ?? '', isResourceRequest: false, path: nra.path ?? '', group: '', resource: '' };
  return {
    verb: ra.verb ?? '',
    isResourceRequest: true,
    path: '',
    group: ra.group ?? '',
    resource: ra.resource ?? '',
    subresource: ra.subresource || undefined,
    namespace: ra.namespace || undefined,
    name: ra.name || undefined,
  };
}

function accessStatus(deps: ReviewDeps, user: UserInfo, a: Attributes) {
  const d = deps.authorizer.authorize(user, a);
  const status: Record<string, unknown> = { allowed: d.decision === 'allow' };
  if (d.decision === 'deny') status.denied = true;
  if (d.reason) status.reason = d.reason;
  return status;
}

const answer = (body: KObject, kind: string, apiVersion: string, status: unknown): KObject => ({
  kind,
  apiVersion,
  // Go's zero time: the review was never stored
  metadata: { ...body.metadata, creationTimestamp: null as unknown as string },
  ...(body.spec !== undefined ? { spec: body.spec } : {}),
  status,
});

const selfSubjectAccessReview: Review = (ctx, body, deps) =>
  answer(
    body,
    'SelfSubjectAccessReview',
    'authorization.k8s.io/v1',
    accessStatus(deps, ctx.user, attributesFromSpec(body.spec, 'SelfSubjectAccessReview', '')),
  );

function subjectOf(spec: any, kind: string): UserInfo {
  if (!spec?.user && !(Array.isArray(spec?.groups) && spec.groups.length)) {
    throw errors.invalid('authorization.k8s.io', kind, '', [field.invalid('spec.user', spec?.user ?? '', 'at least one of user or group must be specified')]);
  }
  return { name: spec.user ?? '', groups: Array.isArray(spec.groups) ? spec.groups : [] };
}

const subjectAccessReview: Review = (_ctx, body, deps) =>
  answer(
    body,
    'SubjectAccessReview',
    'authorization.k8s.io/v1',
    accessStatus(deps, subjectOf(body.spec, 'SubjectAccessReview'), attributesFromSpec(body.spec, 'SubjectAccessReview', '')),
  );

const localSubjectAccessReview: Review = (ctx, body, deps) => {
  const namespace = ctx.info.namespace ?? '';
  const ra = body.spec?.resourceAttributes;
  if (ra) {
    if (!ra.namespace) ra.namespace = namespace;
    else if (ra.namespace !== namespace) {
      throw errors.badRequest(`spec.resourceAttributes.namespace must match namespace: ${namespace}`);
    }
  }
  if (body.spec?.nonResourceAttributes) {
    throw errors.invalid('authorization.k8s.io', 'LocalSubjectAccessReview', '', [
      field.invalid('spec.nonResourceAttributes', body.spec.nonResourceAttributes, 'disallowed on this kind of request'),
    ]);
  }
  const user = subjectOf(body.spec, 'LocalSubjectAccessReview');
  return answer(
    body,
    'LocalSubjectAccessReview',
    'authorization.k8s.io/v1',
    accessStatus(deps, user, attributesFromSpec(body.spec, 'LocalSubjectAccessReview', '')),
  );
};

const everything: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

const selfSubjectRulesReview: Review = (ctx, body, deps) => {
  const namespace = body.spec?.namespace;
  if (!namespace) {
    throw errors.invalid('authorization.k8s.io', 'SelfSubjectRulesReview', '', [field.required('spec.namespace', '')]);
  }
  const user = ctx.user;
  const rules: PolicyRule[] = [];
  if (user.groups.includes(SUPERUSER_GROUP)) rules.push(...everything);
  if (nodeIdentity(user) !== undefined) rules.push(...nodeRules);
  rules.push(...(deps.authorizer.rbac?.rulesFor(user, namespace) ?? []));
  const resourceRules = rules
    .filter((r) => !r.nonResourceURLs?.length)
    .map((r) => ({ verbs: r.verbs ?? [], apiGroups: r.apiGroups, resources: r.resources, resourceNames: r.resourceNames }));
  const nonResourceRules = rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs }));
  return answer(body, 'SelfSubjectRulesReview', 'authorization.k8s.io/v1', { resourceRules, nonResourceRules, incomplete: false });
};

const selfSubjectReview: Review = (ctx, body) =>
  answer({ ...body, spec: undefined } as KObject, 'SelfSubjectReview', 'authentication.k8s.io/v1', {
    userInfo: { username: ctx.user.name, groups: ctx.user.groups },
  });

const tokenReview: Review = async (_ctx, body, deps) => {
  const token = body.spec?.token;
  if (!token) throw errors.invalid('authentication.k8s.io', 'TokenReview', '', [field.required('spec.token', '')]);
  for (const check of deps.tokenAuthenticators) {
    const user = await check(token);
    if (user) return answer(body, 'TokenReview', 'authentication.k8s.io/v1', { authenticated: true, user: { username: user.name, groups: user.groups } });
  }
  return answer(body, 'TokenReview', 'authentication.k8s.io/v1', { user: {} });
};

const reviews: Record<string, { kind: string; apiVersion: string; run: Review }> = {
  selfsubjectaccessreviews: { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', run: selfSubjectAccessReview },
  subjectaccessreviews: { kind: 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', run: subjectAccessReview },
  localsubjectaccessreviews: { kind: 'LocalSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', run: localSubjectAccessReview },
  selfsubjectrulesreviews: { kind: 'SelfSubjectRulesReview', apiVersion: 'authorization.k8s.io/v1', run: selfSubjectRulesReview },
  selfsubjectreviews: { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', run: selfSubjectReview },
  tokenreviews: { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', run: tokenReview },
};

export function createReviewHandler(deps: ReviewDeps) {
  return async function handleReview(ctx: HandlerContext): Promise<void> {
    const r = reviews[ctx.info.resource];
    if (!r) throw errors.notFoundPath();
    if (ctx.info.verb !== 'create' || ctx.info.name) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    const body = await readObject(ctx);
    checkKind(ctx, body, r.kind, r.apiVersion);
    writeStatusObject(ctx, 201, await r.run(ctx, body, deps));
  };
}
