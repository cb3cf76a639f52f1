// Bearer JWTs signed by this cluster's service-account key. A token lives no longer than what
// it is bound to: the ServiceAccount (and the Pod or Secret, for bound tokens) must still
// exist with the uid named in the token, as kube-apiserver's legacy-lookup-free validator does.
import type { Logger } from '@skiff/common';
import type { KObject } from '../registry/types.ts';
import type { TokenAuthenticator } from '../server/authn.ts';
import type { ObjectRef, ServiceAccountTokenVerifier } from './service-account-token.ts';

export interface ObjectLookup {
  /** core/v1 object RESOURCE NAMESPACE/NAME, or undefined when absent */
  get(resource: 'serviceaccounts' | 'pods' | 'secrets', namespace: string, name: string): Promise<KObject | undefined>;
}

export interface ServiceAccountAuthenticatorOptions {
  verifier: ServiceAccountTokenVerifier;
  /** without it the bound objects are not checked (unit tests) */
  lookup?: ObjectLookup;
  log?: Logger;
}

async function boundObjectProblem(
  lookup: ObjectLookup,
  resource: 'serviceaccounts' | 'pods' | 'secrets',
  namespace: string,
  ref: ObjectRef,
): Promise<string | undefined> {
  const obj = await lookup.get(resource, namespace, ref.name);
  if (!obj) return `${resource} ${namespace}/${ref.name} no longer exists`;
  if (obj.metadata.uid !== ref.uid) return `${resource} ${namespace}/${ref.name} was recreated (uid ${obj.metadata.uid}, token names ${ref.uid})`;
  if (resource !== 'serviceaccounts' && obj.metadata.deletionTimestamp) return `${resource} ${namespace}/${ref.name} is being deleted`;
  return undefined;
}

export function createServiceAccountTokenAuthenticator(o: ServiceAccountAuthenticatorOptions): TokenAuthenticator {
  return async (token) => {
    const verified = await o.verifier.verify(token);
    if ('rejected' in verified) {
      // bootstrap tokens and foreign JWTs end up here too: not worth a log line each
      return undefined;
    }
    const { claims } = verified;
    if (o.lookup) {
      const problem =
        (await boundObjectProblem(o.lookup, 'serviceaccounts', claims.namespace, claims.serviceaccount)) ??
        (claims.pod ? await boundObjectProblem(o.lookup, 'pods', claims.namespace, claims.pod) : undefined) ??
        (claims.secret ? await boundObjectProblem(o.lookup, 'secrets', claims.namespace, claims.secret) : undefined);
      if (problem) {
        o.log?.info('service account token rejected', { user: verified.user.name, why: problem });
        return undefined;
      }
    }
    return verified.user;
  };
}
