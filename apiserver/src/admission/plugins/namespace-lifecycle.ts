// NamespaceLifecycle: the system namespaces can never be deleted, and nothing is created in a
// namespace that is missing or being terminated (upstream's
// k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle).
import { ApiError, errors, qualifiedResource } from '../../errors.ts';
import type { KObject } from '../../registry/types.ts';
import type { AdmissionAttributes, AdmissionPlugin, AdmissionServices } from '../interface.ts';

/** kube-apiserver's immortal namespaces (kube-node-lease is not one: it is recreated instead) */
export const immortalNamespaces = new Set(['default', 'kube-system', 'kube-public']);

const isNamespace = (a: AdmissionAttributes) => a.group === '' && a.kind === 'Namespace';

/** Resources that reveal permissions, not content; a missing namespace must not be told apart. */
const accessReviews = new Set(['authorization.k8s.io/localsubjectaccessreviews']);

/** A namespace this apiserver just deleted is read live for a while: the cache may lag behind. */
const forceLiveLookupMs = 30_000;
const recentlyDeleted = new Map<string, number>();
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function rememberDeletion(name: string): void {
  const now = Date.now();
  for (const [n, at] of recentlyDeleted) if (now - at >= forceLiveLookupMs) recentlyDeleted.delete(n);
  recentlyDeleted.set(name, now);
}

/** As upstream: the watch cache first, a live read when it misses (or after a recent delete). */
async function lookUpNamespace(services: AdmissionServices, name: string): Promise<KObject | undefined> {
  const namespaces = services.registry.store('', 'v1', 'namespaces');
  if (!namespaces || !dnsLabel.test(name)) return undefined;
  const deletedAt = recentlyDeleted.get(name);
  const live = deletedAt !== undefined && Date.now() - deletedAt < forceLiveLookupMs;
  if (deletedAt !== undefined && !live) recentlyDeleted.delete(name);
  if (!live) {
    const cached = await namespaces.list(undefined, { resourceVersion: '0', fieldSelector: `metadata.name=${name}` });
    if (cached.items[0]) return cached.items[0];
  }
  try {
    return await namespaces.get(undefined, name);
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) return undefined;
    throw e;
  }
}

const qualified = (a: AdmissionAttributes) => qualifiedResource(a.group, a.resource);

export const namespaceLifecycle: AdmissionPlugin = {
  name: 'NamespaceLifecycle',
  operations: ['CREATE', 'UPDATE', 'DELETE'],

  async admit(a, services) {
    if (a.operation === 'DELETE' && isNamespace(a) && immortalNamespaces.has(a.name)) {
      throw errors.forbidden('', 'namespaces', a.name, 'this namespace may not be deleted');
    }
    if (isNamespace(a)) {
      // every other operation on namespaces themselves is allowed; creates into one being
      // deleted must not slip through a cache that has not seen the deletion yet
      if (a.operation === 'DELETE') rememberDeletion(a.name);
      return;
    }
    if (!a.namespace) return; // cluster-scoped
    if (a.operation === 'DELETE') return;
    if (accessReviews.has(`${a.group}/${a.resource}`)) return;
    const ns = await lookUpNamespace(services, a.namespace);
    if (!ns) throw errors.notFound('', 'namespaces', a.namespace);
    if (a.operation !== 'CREATE') return;
    if (ns.status?.phase !== 'Terminating' && !ns.metadata?.deletionTimestamp) return;
    throw new ApiError(
      403,
      'Forbidden',
      `${qualified(a)} "${a.name}" is forbidden: unable to create new content in namespace ${a.namespace} because it is being terminated`,
      {
        name: a.name,
        group: a.group || undefined,
        kind: a.resource,
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${a.namespace} is being terminated`, field: 'metadata.namespace' }],
      },
    );
  },
};
