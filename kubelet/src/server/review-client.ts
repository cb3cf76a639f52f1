// The kubelet's TokenReview and SubjectAccessReview calls, with its own credentials (the Node
// authorizer lets every kubelet create both: they change nothing).
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { NodeApiUser, ReviewAttributes, Reviewer } from './node-api-auth.ts';

export function apiserverReviewer(kc: KubeConfig): Reviewer {
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  return {
    async tokenReview(token) {
      const r = await authn.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } });
      const u = r.status?.user;
      if (!r.status?.authenticated || !u?.username) return { authenticated: false };
      const user: NodeApiUser = { name: u.username, groups: u.groups ?? [], ...(u.uid ? { uid: u.uid } : {}), ...(u.extra ? { extra: u.extra } : {}) };
      return { authenticated: true, user };
    },
    async subjectAccessReview(user, attrs: ReviewAttributes) {
      const r = await authz.createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: user.name,
            groups: user.groups,
            ...(user.uid ? { uid: user.uid } : {}),
            ...(user.extra ? { extra: user.extra } : {}),
            resourceAttributes: { verb: attrs.verb, group: '', version: 'v1', resource: attrs.resource, name: attrs.name, subresource: attrs.subresource },
          },
        },
      });
      return { allowed: r.status?.allowed === true && r.status.denied !== true, reason: r.status?.reason };
    },
  };
}
