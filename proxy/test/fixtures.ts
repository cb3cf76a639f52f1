// Services and EndpointSlices as the apiserver returns them, small enough to read in a test.
import type { V1EndpointSlice, V1Service, V1ServiceSpec } from '@kubernetes/client-node';

export function service(name: string, spec: Partial<V1ServiceSpec>, namespace = 'default'): V1Service {
  return { metadata: { name, namespace }, spec: { type: 'ClusterIP', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], ...spec } };
}

export interface EndpointSpec {
  ip: string;
  ready?: boolean;
  node?: string;
}

export function slice(
  serviceName: string,
  endpoints: EndpointSpec[],
  ports = [{ name: 'http', port: 8080, protocol: 'TCP' }],
  namespace = 'default',
): V1EndpointSlice {
  return {
    metadata: { name: `${serviceName}-abc`, namespace, labels: { 'kubernetes.io/service-name': serviceName } },
    addressType: 'IPv4',
    ports,
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], nodeName: e.node, conditions: e.ready === undefined ? {} : { ready: e.ready } })),
  };
}
