// What an authorizer is asked (authorizer.Attributes) and what it answers.
import type { UserInfo } from '../registry/store.ts';

export interface Attributes {
  verb: string;
  isResourceRequest: boolean;
  /** the URL path (non-resource requests are judged by it) */
  path: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** allow and deny end the chain; noOpinion hands the request to the next authorizer. */
export type Decision = { decision: 'allow' | 'deny' | 'noOpinion'; reason: string };

export interface Authorizer {
  authorize(user: UserInfo, a: Attributes): Decision;
}

export const allowed = (reason = ''): Decision => ({ decision: 'allow', reason });
export const noOpinion = (reason = ''): Decision => ({ decision: 'noOpinion', reason });
