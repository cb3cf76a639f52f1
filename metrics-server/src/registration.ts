// The APIService without a manifest: this server runs as a host process, not a pod, so (as
// the DNS server publishes kube-dns) it publishes itself: a Service without a selector in
// kube-system, its Endpoints at --advertise-address and the secure port, and the APIService
// v1beta1.metrics.k8s.io naming that Service. The aggregator verifies the serving
// certificate with caBundle for metrics-server.kube-system.svc: the self-signed certificate
// is its own CA; a certificate given by flags is trusted with --apiservice-ca-file, or not
// verified (insecureSkipTLSVerify, as metrics-server's own manifest does) without one.
import type { ApiserverClient } from './apiserver-client.ts';
import { METRICS_GROUP, METRICS_VERSION } from './authorization.ts';

export const SERVICE = { namespace: 'kube-system', name: 'metrics-server', port: 443 } as const;
export const APISERVICE_NAME = `${METRICS_VERSION}.${METRICS_GROUP}`;

export interface RegistrationOptions {
  /** where the apiserver reaches this server */
  address: string;
  port: number;
  /** PEM the aggregator verifies the serving certificate with; none: insecureSkipTLSVerify */
  caBundle?: string;
}

const labels = { 'k8s-app': 'metrics-server', 'app.kubernetes.io/managed-by': 'skiff-metrics-server' };

export function registrationObjects(o: RegistrationOptions) {
  const ns = SERVICE.namespace;
  return {
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: SERVICE.name, namespace: ns, labels },
      spec: { type: 'ClusterIP', ports: [{ name: 'https', port: SERVICE.port, protocol: 'TCP', targetPort: o.port }] },
    },
    endpoints: {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: SERVICE.name, namespace: ns, labels },
      subsets: [{ addresses: [{ ip: o.address }], ports: [{ name: 'https', port: o.port, protocol: 'TCP' }] }],
    },
    apiService: {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: APISERVICE_NAME, labels },
      spec: {
        group: METRICS_GROUP,
        version: METRICS_VERSION,
        service: { namespace: ns, name: SERVICE.name, port: SERVICE.port },
        groupPriorityMinimum: 100,
        versionPriority: 100,
        ...(o.caBundle ? { caBundle: Buffer.from(o.caBundle).toString('base64') } : { insecureSkipTLSVerify: true }),
      },
    },
  };
}

/** Creates or repairs the Service, its Endpoints and the APIService; idempotent. */
export async function register(api: ApiserverClient, o: RegistrationOptions): Promise<void> {
  const objs = registrationObjects(o);
  const nsPath = `/api/v1/namespaces/${SERVICE.namespace}`;
  await api.createOrReplace(`${nsPath}/services`, SERVICE.name, objs.service);
  await api.createOrReplace(`${nsPath}/endpoints`, SERVICE.name, objs.endpoints);
  await api.createOrReplace('/apis/apiregistration.k8s.io/v1/apiservices', APISERVICE_NAME, objs.apiService);
}
