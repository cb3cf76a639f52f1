// The apiserver's security in one place: authenticators (x509, bootstrap tokens,
// ServiceAccount JWTs), impersonation, the TokenRequest and CSR approval handlers, and the
// authorizers of --authorization-mode.
// main.ts builds it once from its flags.
import { readFileSync } from 'node:fs';
import type { Logger } from '@skiff/common';
import { ApiError, errors } from '../errors.ts';
import type { HandlerContext } from '../handlers/context.ts';
import type { ApiRegistry } from '../registry/api-registry.ts';
import type { KObject } from '../registry/types.ts';
import { bearerTokenAuthenticator, x509Authenticator, type Authenticator, type TokenAuthenticator } from '../server/authn.ts';
import type { RequestInfo } from '../server/request-info.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UserInfo } from '../registry/store.ts';
import { parseRequestInfo } from '../server/request-info.ts';
import { writeError } from '../server/http-util.ts';
import { authorizeRequest as authorizeAgainst } from '../pipeline/authorization.ts';
import { createAuthorizer, forbiddenError, type AuthorizationMode, type AuthorizerChain } from './authorizer.ts';
import { impersonate } from './impersonation.ts';
import { createReviewHandler } from './reviews.ts';
import { isReviewResource } from '../registry/resources/reviews.ts';
import { createBootstrapTokenAuthenticator } from './bootstrap-token-authenticator.ts';
import { BOOTSTRAP_TOKEN_NAMESPACE } from './bootstrap-token.ts';
import { handleCsrApproval } from './csr-approval.ts';
import { createServiceAccountTokenAuthenticator } from './service-account-authenticator.ts';
import { ServiceAccountTokenIssuer, ServiceAccountTokenVerifier } from './service-account-token.ts';
import { createTokenRequestHandler } from './token-request.ts';
import type { AdmissionChain } from '../admission/chain.ts';
import { auditAuthorization, auditImpersonation } from '../audit/auditor.ts';

export { authorizeOrThrow, createAuthorizer, forbiddenError, parseAuthorizationModes } from './authorizer.ts';
export type { Attributes, Decision } from './authorizer.ts';
export { handleCsrApproval } from './csr-approval.ts';

export const DEFAULT_SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface SecurityOptions {
  registry: ApiRegistry;
  /** --service-account-key-file: PEM files with the public (or private) keys tokens are checked with */
  serviceAccountKeyFiles: string[];
  /** --service-account-signing-key-file: private key new tokens are signed with ('' = no TokenRequest) */
  serviceAccountSigningKeyFile: string;
  /** --service-account-issuer (the first signs; all are accepted) */
  serviceAccountIssuers: string[];
  /** --api-audiences; default: the first issuer */
  apiAudiences: string[];
  /** --service-account-max-token-expiration in seconds */
  maxTokenExpirationSeconds: number;
  /** --enable-bootstrap-token-auth */
  enableBootstrapTokenAuth: boolean;
  /** --authorization-mode, in order */
  authorizationModes: AuthorizationMode[];
  /** the admission plugins the subresources served here pass (serviceaccounts/token) */
  admission?: AdmissionChain;
  log?: Logger;
}

export interface Security {
  authenticators: Authenticator[];
  /** serviceaccounts/NAME/token; undefined without a signing key */
  handleTokenRequest?: (ctx: HandlerContext) => Promise<void>;
  handleCsrApproval: (ctx: HandlerContext) => Promise<void>;
  /** throws the 403 ApiError when the user may not do what the request asks */
  authorizeRequest: (user: UserInfo, info: RequestInfo, query?: URLSearchParams) => void;
  authorizer: AuthorizerChain;
  /** throws the 403 unless the user may use a path outside /api and /apis (health, metrics, OpenAPI) */
  authorizePath: (user: UserInfo, req: IncomingMessage, path: string) => void;
  /** loads what the authorizers keep in memory; call before serving */
  start(): Promise<void>;
  stop(): void;
  /**
   * Wraps the /api and /apis handler: authorizes every request, and serves the two
   * subresources the generic handler does not know (serviceaccounts/token, csr/approval).
   */
  wrapApi: (handleApi: ApiFunction) => ApiFunction;
}

export type ApiFunction = (req: IncomingMessage, res: ServerResponse, user: UserInfo) => Promise<void>;

/** A core/v1 object, or undefined when there is none. */
async function getIfExists(registry: ApiRegistry, resource: string, namespace: string | undefined, name: string): Promise<KObject | undefined> {
  const store = registry.store('', 'v1', resource);
  if (!store) return undefined;
  try {
    return await store.get(namespace, name);
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) return undefined;
    throw e;
  }
}

export function createSecurity(o: SecurityOptions): Security {
  const issuers = o.serviceAccountIssuers.filter(Boolean);
  const audiences = o.apiAudiences.length ? o.apiAudiences : issuers.slice(0, 1);
  const tokenAuthenticators: TokenAuthenticator[] = [];
  if (o.enableBootstrapTokenAuth) {
    tokenAuthenticators.push(
      createBootstrapTokenAuthenticator({
        getSecret: (name) => getIfExists(o.registry, 'secrets', BOOTSTRAP_TOKEN_NAMESPACE, name),
        log: o.log?.child({ part: 'bootstrap-token' }),
      }),
    );
  }
  const keyFiles = [...o.serviceAccountKeyFiles];
  if (!keyFiles.length && o.serviceAccountSigningKeyFile) keyFiles.push(o.serviceAccountSigningKeyFile);
  if (keyFiles.length) {
    if (!issuers.length) throw new Error('--service-account-issuer is required with --service-account-key-file');
    const verifier = new ServiceAccountTokenVerifier({ publicKeysPem: keyFiles.map((f) => readFileSync(f)), issuers, audiences });
    tokenAuthenticators.push(
      createServiceAccountTokenAuthenticator({
        verifier,
        lookup: { get: (resource, namespace, name) => getIfExists(o.registry, resource, namespace, name) },
        log: o.log?.child({ part: 'serviceaccount-token' }),
      }),
    );
  }
  let handleTokenRequest: Security['handleTokenRequest'];
  if (o.serviceAccountSigningKeyFile) {
    if (!issuers.length) throw new Error('--service-account-issuer is required with --service-account-signing-key-file');
    const issuer = new ServiceAccountTokenIssuer({ signingKeyPem: readFileSync(o.serviceAccountSigningKeyFile), issuer: issuers[0]! });
    handleTokenRequest = createTokenRequestHandler({ issuer, defaultAudiences: audiences, maxExpirationSeconds: o.maxTokenExpirationSeconds });
  }
  const authorizer = createAuthorizer(o.authorizationModes, o.registry, o.log);
  // escalation checks of the rbac kinds ask the same authorizers
  o.registry.services.authorization = { authorize: authorizer.authorize, rbac: authorizer.rbac };
  const authorizeRequest: Security['authorizeRequest'] = (user, info, query) => authorizeAgainst(authorizer, user, info, query);
  const authorizePath: Security['authorizePath'] = (user, req, path) => {
    const as = impersonate(req, user, authorizer);
    if (as !== user) auditImpersonation(req, as);
    const a = { verb: (req.method ?? 'GET').toLowerCase(), isResourceRequest: false, path, group: '', resource: '' };
    const d = authorizer.authorize(as, a);
    auditAuthorization(req, d.decision === 'allow', d.reason);
    if (d.decision !== 'allow') throw forbiddenError(as, a, d.reason);
  };
  const handleReview = createReviewHandler({ authorizer, tokenAuthenticators });
  const wrapApi =
    (handleApi: ApiFunction): ApiFunction =>
    async (req, res, authenticated) => {
      const url = new URL(req.url ?? '/', 'https://local');
      const info = parseRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
      let user = authenticated;
      try {
        user = impersonate(req, authenticated, authorizer);
        if (user !== authenticated) auditImpersonation(req, user);
        authorizeAgainst(authorizer, user, info, url.searchParams, (allowed, reason) => auditAuthorization(req, allowed, reason));
        const special =
          info.isResourceRequest && isReviewResource(info.group, info.resource)
            ? handleReview
            : info.isResourceRequest && info.group === '' && info.resource === 'serviceaccounts' && info.subresource === 'token'
              ? handleTokenRequest
              : info.isResourceRequest &&
                  info.group === 'certificates.k8s.io' &&
                  info.resource === 'certificatesigningrequests' &&
                  info.subresource === 'approval'
                ? handleCsrApproval
                : undefined;
        if (special) {
          const store = o.registry.store(info.group, info.version, info.resource);
          if (!store) throw errors.notFoundPath();
          await special({ req, res, info, query: url.searchParams, user, registry: o.registry, store, warnings: [], admission: o.admission });
          return;
        }
        if (info.isResourceRequest && info.resource === 'serviceaccounts' && info.subresource === 'token' && !handleTokenRequest) {
          throw errors.notFound('', 'serviceaccounts/token', info.name ?? '');
        }
      } catch (e) {
        writeError(res, e);
        return;
      }
      await handleApi(req, res, user);
    };
  return {
    // x509 first, as kube-apiserver: a client certificate wins over a token
    authenticators: [x509Authenticator, ...(tokenAuthenticators.length ? [bearerTokenAuthenticator(tokenAuthenticators)] : [])],
    handleTokenRequest,
    handleCsrApproval,
    authorizeRequest,
    authorizer,
    authorizePath,
    start: () => authorizer.start(),
    stop: () => authorizer.stop(),
    wrapApi,
  };
}
