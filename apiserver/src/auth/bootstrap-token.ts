// Bootstrap tokens as Kubernetes defines them (k8s.io/cluster-bootstrap): `<id>.<secret>`,
// stored as Secret kube-system/bootstrap-token-<id> of type bootstrap.kubernetes.io/token.
// Pure functions: the authenticator (bootstrap-token-authenticator.ts) does the lookups.
import { timingSafeEqual } from 'node:crypto';
import type { UserInfo } from '../registry/store.ts';
import type { KObject } from '../registry/types.ts';

export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_TOKEN_NAMESPACE = 'kube-system';
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = 'bootstrap-token-';
export const BOOTSTRAP_USER_PREFIX = 'system:bootstrap:';
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';

const tokenRe = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const extraGroupRe = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

export interface BootstrapToken {
  id: string;
  secret: string;
}

/** `abcdef.0123456789abcdef` split into id and secret; undefined for anything else. */
export function parseBootstrapToken(token: string): BootstrapToken | undefined {
  const m = tokenRe.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

export function bootstrapTokenSecretName(id: string): string {
  return `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}`;
}

/** A Secret's data value as text (data is base64, as stored). */
function dataValue(secret: KObject, key: string): string | undefined {
  const v = secret.data?.[key];
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The groups of `auth-extra-groups`; a malformed one makes the whole token unusable, as upstream. */
export function extraGroups(secret: KObject): string[] | undefined {
  const raw = dataValue(secret, 'auth-extra-groups');
  if (!raw) return [];
  const groups = raw
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  return groups.every((g) => extraGroupRe.test(g)) ? groups : undefined;
}

export type BootstrapCheck = { user: UserInfo } | { rejected: string };

/**
 * Whether `token` is good according to its Secret: right type, not being deleted, the secret
 * matching, usage-bootstrap-authentication=true and not expired.
 */
export function checkBootstrapToken(secret: KObject | undefined, token: BootstrapToken, now: Date = new Date()): BootstrapCheck {
  if (!secret) return { rejected: `no secret ${bootstrapTokenSecretName(token.id)}` };
  if (secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE) return { rejected: `secret has type ${secret.type}` };
  if (secret.metadata.deletionTimestamp) return { rejected: 'secret is being deleted' };
  const id = dataValue(secret, 'token-id');
  const tokenSecret = dataValue(secret, 'token-secret');
  if (id !== token.id || !tokenSecret || !sameText(tokenSecret, token.secret)) return { rejected: 'token does not match' };
  if (dataValue(secret, 'usage-bootstrap-authentication') !== 'true') return { rejected: 'token is not for authentication' };
  const expiration = dataValue(secret, 'expiration');
  if (expiration) {
    const at = Date.parse(expiration);
    if (Number.isNaN(at)) return { rejected: `unparseable expiration ${expiration}` };
    if (at <= now.getTime()) return { rejected: `token expired at ${expiration}` };
  }
  const extra = extraGroups(secret);
  if (!extra) return { rejected: 'invalid auth-extra-groups' };
  const groups = [BOOTSTRAPPERS_GROUP, ...extra.filter((g) => g !== BOOTSTRAPPERS_GROUP), 'system:authenticated'];
  return { user: { name: `${BOOTSTRAP_USER_PREFIX}${token.id}`, groups } };
}

/** A fresh random token (ids and secrets from [a-z0-9], as kubeadm makes them). */
export function generateBootstrapToken(random: (n: number) => Buffer): BootstrapToken {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (n: number) => {
    let out = '';
    // rejection sampling keeps every character equally likely
    while (out.length < n)
      for (const b of random(n * 2)) {
        if (b < 252 && out.length < n) out += alphabet[b % 36];
      }
    return out;
  };
  return { id: pick(6), secret: pick(16) };
}

/** The Secret that makes `token` valid for `ttlSeconds`, with the given extra groups. */
export function bootstrapTokenSecret(token: BootstrapToken, opts: { expiration?: Date; extraGroups?: string[]; description?: string }): KObject {
  const stringData: Record<string, string> = {
    'token-id': token.id,
    'token-secret': token.secret,
    'usage-bootstrap-authentication': 'true',
    'usage-bootstrap-signing': 'true',
  };
  if (opts.expiration) stringData.expiration = opts.expiration.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (opts.extraGroups?.length) stringData['auth-extra-groups'] = opts.extraGroups.join(',');
  if (opts.description) stringData.description = opts.description;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    metadata: { name: bootstrapTokenSecretName(token.id), namespace: BOOTSTRAP_TOKEN_NAMESPACE },
    stringData,
  };
}
