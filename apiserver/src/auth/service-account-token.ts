// ServiceAccount tokens: RS256 (or ES256) JWTs with the claims Kubernetes puts in bound tokens,
// signed with --service-account-signing-key-file and checked with --service-account-key-file.
import { createHash, createPrivateKey, createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { UserInfo } from '../registry/store.ts';

export const SERVICE_ACCOUNT_USER_PREFIX = 'system:serviceaccount:';
export const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';

export interface ObjectRef {
  name: string;
  uid: string;
}

export interface TokenClaimsInput {
  namespace: string;
  serviceAccount: ObjectRef;
  /** the pod the token is bound to (projected volumes); it dies with the pod */
  pod?: ObjectRef;
  /** a Secret the token is bound to */
  secret?: ObjectRef;
  node?: ObjectRef;
  audiences: string[];
  expirationSeconds: number;
}

/** The `kubernetes.io` private claim, as upstream writes it. */
export interface KubernetesClaim {
  namespace: string;
  serviceaccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
}

export interface VerifiedToken {
  user: UserInfo;
  claims: KubernetesClaim;
  audiences: string[];
  expiresAt: Date;
}

/** kube-apiserver names a key by the SHA-256 of its public key (DER), base64url: clients can pick the key. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
}

function algorithmOf(key: KeyObject): 'RS256' | 'ES256' | 'ES384' {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    if (curve === 'secp384r1') return 'ES384';
  }
  throw new Error(`unsupported service-account key type ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim());
}

/** The user a token stands for: system:serviceaccount:NS:NAME in the service-account groups. */
export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    name: `${SERVICE_ACCOUNT_USER_PREFIX}${namespace}:${name}`,
    groups: [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${namespace}`, 'system:authenticated'],
  };
}

/** Splits system:serviceaccount:NS:NAME; undefined for other users. */
export function parseServiceAccountUser(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SERVICE_ACCOUNT_USER_PREFIX)) return undefined;
  const [namespace, name, ...rest] = user.slice(SERVICE_ACCOUNT_USER_PREFIX.length).split(':');
  return namespace && name && rest.length === 0 ? { namespace, name } : undefined;
}

export class ServiceAccountTokenIssuer {
  readonly issuer: string;
  private readonly key: KeyObject;
  private readonly keyId: string;
  private readonly alg: string;

  constructor(o: { signingKeyPem: string | Buffer; issuer: string }) {
    if (!o.issuer) throw new Error('a service-account issuer is required');
    this.key = createPrivateKey(o.signingKeyPem);
    this.alg = algorithmOf(this.key);
    this.keyId = keyIdOf(createPublicKey(this.key));
    this.issuer = o.issuer;
  }

  async issue(input: TokenClaimsInput, now: Date = new Date()): Promise<{ token: string; expiresAt: Date }> {
    if (!input.audiences.length) throw new Error('a token needs at least one audience');
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + input.expirationSeconds;
    const k8s: KubernetesClaim = {
      namespace: input.namespace,
      serviceaccount: { name: input.serviceAccount.name, uid: input.serviceAccount.uid },
    };
    if (input.pod) k8s.pod = { name: input.pod.name, uid: input.pod.uid };
    if (input.secret) k8s.secret = { name: input.secret.name, uid: input.secret.uid };
    if (input.node) k8s.node = { name: input.node.name, uid: input.node.uid };
    const token = await new SignJWT({ 'kubernetes.io': k8s })
      .setProtectedHeader({ alg: this.alg, kid: this.keyId })
      .setIssuer(this.issuer)
      .setSubject(`${SERVICE_ACCOUNT_USER_PREFIX}${input.namespace}:${input.serviceAccount.name}`)
      .setAudience(input.audiences)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }
}

export interface VerifierOptions {
  /** public keys (PEM) of --service-account-key-file; any of them may have signed */
  publicKeysPem: (string | Buffer)[];
  /** accepted `iss` values; the first is the one this apiserver signs with */
  issuers: string[];
  /** accepted audiences (--api-audiences); a token must name at least one */
  audiences: string[];
}

/** Splits PEM bundles: one --service-account-key-file may hold several public keys. */
export function publicKeysFromPem(pem: string): KeyObject[] {
  const blocks = pem.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
  return blocks.map((b) => createPublicKey(b)); // a private key's PEM yields its public half
}

export class ServiceAccountTokenVerifier {
  private readonly keys: KeyObject[];
  private readonly o: VerifierOptions;

  constructor(o: VerifierOptions) {
    this.o = o;
    this.keys = o.publicKeysPem.flatMap((p) => publicKeysFromPem(p.toString()));
    if (!this.keys.length) throw new Error('no service-account public key');
  }

  /** Cheap test before any signature work: does this look like one of our JWTs? */
  static looksLikeJwt(token: string): boolean {
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
  }

  /** The verified token, or a reason why not. Claims must carry kubernetes.io.namespace/serviceaccount. */
  async verify(token: string, now: Date = new Date()): Promise<VerifiedToken | { rejected: string }> {
    if (!ServiceAccountTokenVerifier.looksLikeJwt(token)) return { rejected: 'not a JWT' };
    const lastError = 'no key verified the signature';
    for (const key of this.keys) {
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer: this.o.issuers,
          audience: this.o.audiences,
          currentDate: now,
          clockTolerance: 60,
          algorithms: ['RS256', 'ES256', 'ES384'],
        });
        const k8s = payload['kubernetes.io'] as KubernetesClaim | undefined;
        const sa = k8s?.serviceaccount;
        if (!k8s?.namespace || !sa?.name || !sa.uid) return { rejected: 'missing kubernetes.io claims' };
        if (payload.sub !== `${SERVICE_ACCOUNT_USER_PREFIX}${k8s.namespace}:${sa.name}`) return { rejected: 'sub does not match the kubernetes.io claims' };
        if (payload.exp === undefined) return { rejected: 'token has no expiry' };
        const audiences = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
        return { user: serviceAccountUser(k8s.namespace, sa.name), claims: k8s, audiences, expiresAt: new Date(payload.exp * 1000) };
      } catch (e) {
        if (e instanceof joseErrors.JWSSignatureVerificationFailed) continue; // another key may have signed
        return { rejected: (e as Error).message };
      }
    }
    return { rejected: lastError };
  }
}
