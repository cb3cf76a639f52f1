// Bearer tokens of the form <id>.<secret>, checked against their Secret in kube-system.
// Secrets are read through a small time-bounded cache: tokens change rarely, but a node
// joining sends dozens of requests with the same one.
import type { Logger } from '@skiff/common';
import type { KObject } from '../registry/types.ts';
import type { TokenAuthenticator } from '../server/authn.ts';
import { bootstrapTokenSecretName, checkBootstrapToken, parseBootstrapToken } from './bootstrap-token.ts';

export interface BootstrapTokenAuthenticatorOptions {
  /** Secret kube-system/NAME, or undefined when there is none. */
  getSecret(name: string): Promise<KObject | undefined>;
  /** How long a found Secret is trusted without a new read (default 5 s: a deleted token dies within it). */
  cacheTtlMs?: number;
  /** How long a missing Secret stays missing (default 1 s: a token created just now works at once after). */
  missTtlMs?: number;
  now?: () => Date;
  log?: Logger;
}

interface Cached {
  secret: KObject | undefined;
  until: number;
}

export function createBootstrapTokenAuthenticator(o: BootstrapTokenAuthenticatorOptions): TokenAuthenticator & { invalidate(): void } {
  const cacheTtl = o.cacheTtlMs ?? 5000;
  const missTtl = o.missTtlMs ?? 1000;
  const now = o.now ?? (() => new Date());
  const cache = new Map<string, Cached>();
  const inflight = new Map<string, Promise<KObject | undefined>>();

  async function secretFor(name: string): Promise<KObject | undefined> {
    const t = now().getTime();
    const hit = cache.get(name);
    if (hit && hit.until > t) return hit.secret;
    let p = inflight.get(name);
    if (!p) {
      p = o.getSecret(name).finally(() => inflight.delete(name));
      inflight.set(name, p);
    }
    const secret = await p;
    cache.set(name, { secret, until: t + (secret ? cacheTtl : missTtl) });
    // a flood of random token ids must not grow the cache without bound
    if (cache.size > 1000) for (const [k, v] of cache) if (v.until <= t) cache.delete(k);
    return secret;
  }

  const authenticate = async (token: string) => {
    const parsed = parseBootstrapToken(token);
    if (!parsed) return undefined;
    const result = checkBootstrapToken(await secretFor(bootstrapTokenSecretName(parsed.id)), parsed, now());
    if ('rejected' in result) {
      o.log?.info('bootstrap token rejected', { tokenId: parsed.id, why: result.rejected });
      return undefined;
    }
    return result.user;
  };
  return Object.assign(authenticate, { invalidate: () => cache.clear() });
}
