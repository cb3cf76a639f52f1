// POST serviceaccounts/NAME/token (authentication.k8s.io/v1 TokenRequest): the kubelet asks
// for a pod's projected token here; `kubectl create token` too.
import { errors, field, type FieldError } from '../errors.ts';
import type { HandlerContext } from '../handlers/context.ts';
import { admissionOf, dryRunOf } from '../handlers/context.ts';
import { admitCreate } from '../pipeline/mutating-admission.ts';
import { writeStatusObject } from '../pipeline/encode.ts';
import { checkKind, readObject } from '../pipeline/decode.ts';
import type { KObject } from '../registry/types.ts';
import type { ObjectRef, ServiceAccountTokenIssuer } from './service-account-token.ts';

export interface TokenRequestOptions {
  issuer: ServiceAccountTokenIssuer;
  /** audiences when the request names none (--api-audiences, else the issuer) */
  defaultAudiences: string[];
  /** longest lifetime granted (--service-account-max-token-expiration); longer requests are cut */
  maxExpirationSeconds: number;
}

const MIN_EXPIRATION_SECONDS = 600;
const DEFAULT_EXPIRATION_SECONDS = 3600;

function validateTokenRequest(spec: any): FieldError[] {
  const out: FieldError[] = [];
  const exp = spec.expirationSeconds;
  if (exp !== undefined && exp !== null) {
    if (!Number.isInteger(exp) || exp < MIN_EXPIRATION_SECONDS)
      out.push(field.invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 10 minutes'));
    else if (exp > 2 ** 32) out.push(field.tooLong('spec.expirationSeconds', exp, 2 ** 32));
  }
  if (spec.audiences != null && (!Array.isArray(spec.audiences) || spec.audiences.some((a: unknown) => typeof a !== 'string' || !a))) {
    out.push(field.invalid('spec.audiences', spec.audiences, 'must be a list of non-empty strings'));
  }
  const ref = spec.boundObjectRef;
  if (ref) {
    if (!['Pod', 'Secret', 'Node'].includes(ref.kind)) out.push(field.notSupported('spec.boundObjectRef.kind', ref.kind, ['Pod', 'Secret', 'Node']));
    if (!ref.name) out.push(field.required('spec.boundObjectRef.name'));
    if (ref.apiVersion && ref.apiVersion !== 'v1') out.push(field.notSupported('spec.boundObjectRef.apiVersion', ref.apiVersion, ['v1']));
  }
  return out;
}

/** The object the token dies with; its uid must match when the request names one. */
async function boundObject(ctx: HandlerContext, namespace: string, ref: any): Promise<{ kind: string; ref: ObjectRef; obj: KObject }> {
  const resource = ref.kind === 'Pod' ? 'pods' : ref.kind === 'Secret' ? 'secrets' : 'nodes';
  const store = ctx.registry.store('', 'v1', resource);
  if (!store) throw errors.internal(`no ${resource} store`);
  const obj = await store.get(ref.kind === 'Node' ? undefined : namespace, ref.name);
  if (ref.uid && ref.uid !== obj.metadata.uid) {
    throw errors.conflict(
      '',
      resource,
      ref.name,
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  }
  if (obj.metadata.deletionTimestamp) throw errors.badRequest(`${ref.kind} ${ref.name} is being deleted`);
  return { kind: ref.kind, ref: { name: obj.metadata.name!, uid: obj.metadata.uid! }, obj };
}

export function createTokenRequestHandler(o: TokenRequestOptions) {
  return async function handleTokenRequest(ctx: HandlerContext): Promise<void> {
    const { namespace, name } = ctx.info;
    if (ctx.info.verb !== 'create') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    if (!namespace || !name) throw errors.notFoundPath();
    const body = await readObject(ctx);
    checkKind(ctx, body, 'TokenRequest', 'authentication.k8s.io/v1');
    const spec = body.spec ?? {};
    const problems = validateTokenRequest(spec);
    if (problems.length) throw errors.invalid('authentication.k8s.io', 'TokenRequest', name, problems);
    // a TokenRequest is admitted as a create of serviceaccounts/token (NodeRestriction judges a kubelet's)
    const admission = admissionOf(ctx);
    await admitCreate(admission, body);
    await admission?.validate('CREATE', body, undefined);

    const sa = await ctx.store.get(namespace, name);
    const bound = spec.boundObjectRef ? await boundObject(ctx, namespace, spec.boundObjectRef) : undefined;
    if (bound?.kind === 'Pod' && (bound.obj.spec?.serviceAccountName ?? 'default') !== name) {
      throw errors.badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
    }
    const audiences: string[] = spec.audiences?.length ? spec.audiences : o.defaultAudiences;
    const requested = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    const expirationSeconds = Math.min(requested, o.maxExpirationSeconds);
    const { token, expiresAt } = await o.issuer.issue({
      namespace,
      serviceAccount: { name: sa.metadata.name!, uid: sa.metadata.uid! },
      audiences,
      expirationSeconds,
      pod: bound?.kind === 'Pod' ? bound.ref : undefined,
      secret: bound?.kind === 'Secret' ? bound.ref : undefined,
      node: bound?.kind === 'Node' ? bound.ref : undefined,
    });
    const out = {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace, creationTimestamp: null },
      spec: { audiences, expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
      status: { token: dryRunOf(ctx.query) ? '' : token, expirationTimestamp: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') },
    };
    writeStatusObject(ctx, 201, out);
  };
}
