// May this user do this? Asked of the apiserver by SubjectAccessReview, as a delegating
// extension apiserver does, and cached briefly (allowed and denied answers alike, 10 s, as
// k8s.io/apiserver's delegating authorizer caches them). Resource requests name the group
// metrics.k8s.io; discovery paths are non-resource requests.
import type { UserInfo } from './authentication.ts';

export interface RequestAttributes {
  verb: string;
  /** resource requests */
  resource?: string;
  namespace?: string;
  name?: string;
  /** non-resource requests */
  path?: string;
}

export interface Decision {
  allowed: boolean;
  reason?: string;
}

export type SubjectAccessReviewer = (spec: Record<string, unknown>) => Promise<Decision>;

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';

export class Authorizer {
  private readonly cache = new Map<string, { decision: Decision; until: number }>();
  private readonly review: SubjectAccessReviewer;
  private readonly ttlMs: number;

  constructor(review: SubjectAccessReviewer, ttlMs = 10_000) {
    this.review = review;
    this.ttlMs = ttlMs;
  }

  static spec(user: UserInfo, a: RequestAttributes): Record<string, unknown> {
    return {
      user: user.name,
      groups: user.groups,
      ...(user.uid ? { uid: user.uid } : {}),
      ...(user.extra ? { extra: user.extra } : {}),
      ...(a.resource
        ? {
            resourceAttributes: {
              verb: a.verb,
              group: METRICS_GROUP,
              version: METRICS_VERSION,
              resource: a.resource,
              ...(a.namespace ? { namespace: a.namespace } : {}),
              ...(a.name ? { name: a.name } : {}),
            },
          }
        : { nonResourceAttributes: { verb: a.verb, path: a.path } }),
    };
  }

  async authorize(user: UserInfo, a: RequestAttributes): Promise<Decision> {
    const spec = Authorizer.spec(user, a);
    const key = JSON.stringify(spec);
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.decision;
    const decision = await this.review(spec);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { decision, until: now + this.ttlMs });
    return decision;
  }
}
