// The resources the API server serves, as the registry describes them: enough of each
// ResourceDef for the OpenAPI builder (which reads only identity, scope and subresources).
import type { ResourceDef } from '../src/registry/types.ts';

function def(group: string, kind: string, resource: string, namespaced: boolean, subresources: string[] = []): ResourceDef {
  return { group, version: 'v1', kind, resource, singular: kind.toLowerCase(), namespaced, subresources };
}

export const servedResources: ResourceDef[] = [
  def('', 'Namespace', 'namespaces', false, ['status']),
  def('', 'Node', 'nodes', false, ['status']),
  def('', 'Pod', 'pods', true, ['status', 'binding', 'eviction', 'log']),
  def('', 'Service', 'services', true, ['status']),
  def('', 'Endpoints', 'endpoints', true),
  def('', 'ConfigMap', 'configmaps', true),
  def('', 'Secret', 'secrets', true),
  def('', 'Event', 'events', true),
  def('', 'ServiceAccount', 'serviceaccounts', true),
  def('apps', 'Deployment', 'deployments', true, ['status', 'scale']),
  def('apps', 'ReplicaSet', 'replicasets', true, ['status', 'scale']),
  def('discovery.k8s.io', 'EndpointSlice', 'endpointslices', true),
  def('coordination.k8s.io', 'Lease', 'leases', true),
  def('events.k8s.io', 'Event', 'events', true),
  def('scheduling.k8s.io', 'PriorityClass', 'priorityclasses', false),
  def('certificates.k8s.io', 'CertificateSigningRequest', 'certificatesigningrequests', false, ['status', 'approval']),
];
