// The review kinds of authorization.k8s.io/v1 and authentication.k8s.io/v1: create-only and
// never stored; auth/reviews.ts answers them. Defined here so that discovery and OpenAPI list them.
import type { ResourceDef } from '../types.ts';

const review = (group: string, kind: string, resource: string, namespaced = false): ResourceDef => ({
  group,
  version: 'v1',
  kind,
  resource,
  singular: kind.toLowerCase(),
  namespaced,
  verbs: ['create'],
});

export const reviewResources: ResourceDef[] = [
  review('authorization.k8s.io', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews'),
  review('authorization.k8s.io', 'SubjectAccessReview', 'subjectaccessreviews'),
  review('authorization.k8s.io', 'LocalSubjectAccessReview', 'localsubjectaccessreviews', true),
  review('authorization.k8s.io', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews'),
  review('authentication.k8s.io', 'SelfSubjectReview', 'selfsubjectreviews'),
  review('authentication.k8s.io', 'TokenReview', 'tokenreviews'),
];

/** Whether a request's resource is one of the reviews. */
export function isReviewResource(group: string, resource: string): boolean {
  return reviewResources.some((r) => r.group === group && r.resource === resource);
}
