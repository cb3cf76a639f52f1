// The kube-dns Service without a manifest: our DNS server runs as a host process, not a
// pod, so the Service has no selector and we publish its endpoint ourselves (an
// EndpointSlice managed by skiff-dns, plus the legacy Endpoints for `kubectl describe`).
import { ApiException, CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1EndpointSlice, V1Endpoints, V1Service } from '@kubernetes/client-node';

export const KUBE_DNS = { namespace: 'kube-system', name: 'kube-dns', clusterIP: '10.96.0.10' } as const;
export const MANAGED_BY = 'skiff-dns';

export interface KubeDnsOptions {
  /** where the DNS server is reachable from every node (a node IP) */
  endpointIP: string;
  /** the port it listens on there (UDP and TCP) */
  endpointPort: number;
  clusterIP?: string;
  namespace?: string;
  nodeName?: string;
}

const is404 = (e: unknown) => e instanceof ApiException && e.code === 404;
const is409 = (e: unknown) => e instanceof ApiException && e.code === 409;

export function kubeDnsService(clusterIP: string, namespace: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: KUBE_DNS.name, namespace, labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'SkiffDNS' } },
    spec: {
      type: 'ClusterIP',
      clusterIP,
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ],
    },
  };
}

export function kubeDnsSlice(o: KubeDnsOptions, namespace: string): V1EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${KUBE_DNS.name}-skiff`,
      namespace,
      labels: { 'kubernetes.io/service-name': KUBE_DNS.name, 'endpointslice.kubernetes.io/managed-by': MANAGED_BY, 'k8s-app': 'kube-dns' },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [o.endpointIP], conditions: { ready: true, serving: true, terminating: false }, ...(o.nodeName ? { nodeName: o.nodeName } : {}) }],
    ports: [
      { name: 'dns', port: o.endpointPort, protocol: 'UDP' },
      { name: 'dns-tcp', port: o.endpointPort, protocol: 'TCP' },
    ],
  };
}

function kubeDnsEndpoints(o: KubeDnsOptions, namespace: string): V1Endpoints {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: KUBE_DNS.name, namespace, labels: { 'k8s-app': 'kube-dns' } },
    subsets: [
      {
        addresses: [{ ip: o.endpointIP, ...(o.nodeName ? { nodeName: o.nodeName } : {}) }],
        ports: [
          { name: 'dns', port: o.endpointPort, protocol: 'UDP' },
          { name: 'dns-tcp', port: o.endpointPort, protocol: 'TCP' },
        ],
      },
    ],
  };
}

/** Creates or repairs the kube-dns Service, its EndpointSlice and Endpoints; idempotent. */
export async function ensureKubeDns(kc: KubeConfig, o: KubeDnsOptions): Promise<V1Service> {
  const namespace = o.namespace ?? KUBE_DNS.namespace;
  const clusterIP = o.clusterIP ?? KUBE_DNS.clusterIP;
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);

  await core.readNamespace({ name: namespace }).catch(async (e) => {
    if (!is404(e)) throw e;
    await core.createNamespace({ body: { metadata: { name: namespace } } }).catch((e2) => {
      if (!is409(e2)) throw e2;
    });
  });

  let svc = await core.readNamespacedService({ name: KUBE_DNS.name, namespace }).catch((e) => {
    if (is404(e)) return undefined;
    throw e;
  });
  if (!svc) svc = await core.createNamespacedService({ namespace, body: kubeDnsService(clusterIP, namespace) });
  if (svc.spec?.clusterIP !== clusterIP) {
    throw new Error(`${namespace}/${KUBE_DNS.name} has ClusterIP ${svc.spec?.clusterIP}, not ${clusterIP}; delete it or pass that address`);
  }
  if (svc.spec?.selector && Object.keys(svc.spec.selector).length > 0) {
    throw new Error(`${namespace}/${KUBE_DNS.name} has a selector; the endpoints controller would fight over its endpoints`);
  }

  const slice = kubeDnsSlice(o, namespace);
  const current = await discovery.readNamespacedEndpointSlice({ name: slice.metadata!.name!, namespace }).catch((e) => {
    if (is404(e)) return undefined;
    throw e;
  });
  if (!current) await discovery.createNamespacedEndpointSlice({ namespace, body: slice });
  else
    await discovery.replaceNamespacedEndpointSlice({
      name: slice.metadata!.name!,
      namespace,
      body: { ...slice, metadata: { ...slice.metadata, resourceVersion: current.metadata?.resourceVersion } },
    });

  const eps = kubeDnsEndpoints(o, namespace);
  const curEps = await core.readNamespacedEndpoints({ name: KUBE_DNS.name, namespace }).catch((e) => {
    if (is404(e)) return undefined;
    throw e;
  });
  if (!curEps) await core.createNamespacedEndpoints({ namespace, body: eps });
  else
    await core.replaceNamespacedEndpoints({
      name: KUBE_DNS.name,
      namespace,
      body: { ...eps, metadata: { ...eps.metadata, resourceVersion: curEps.metadata?.resourceVersion } },
    });
  return svc;
}
