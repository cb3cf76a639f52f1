// fieldRef and resourceFieldRef values, shared by env vars and downwardAPI volumes.
import type { V1Container, V1ObjectFieldSelector, V1Pod, V1ResourceFieldSelector } from '@kubernetes/client-node';
import { parseQuantity } from '@skiff/common/apimachinery/quantity';

export interface NodeFacts {
  nodeName: string;
  hostIP: string;
  allocatableCpuMillis: number;
  allocatableMemoryBytes: number;
}

export function fieldRefValue(pod: V1Pod, ref: V1ObjectFieldSelector, podIP: string, node: NodeFacts): string {
  const path = ref.fieldPath;
  const meta = pod.metadata ?? {};
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (keyed) return (keyed[1] === 'labels' ? meta.labels : meta.annotations)?.[keyed[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? node.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return node.hostIP;
    case 'status.hostIPs':
      return node.hostIP;
    case 'status.podIP':
      return podIP;
    case 'status.podIPs':
      return podIP;
    default:
      throw new Error(`unsupported fieldPath ${path}`);
  }
}

function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/** limits.cpu etc., divided by the divisor and rounded up as Kubernetes does. */
export function resourceFieldValue(pod: V1Pod, ref: V1ResourceFieldSelector, defaultContainer: V1Container | undefined, node: NodeFacts): string {
  const name = ref.containerName || defaultContainer?.name;
  const c = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x) => x.name === name);
  if (!c) throw new Error(`resourceFieldRef: no container ${name}`);
  const [kind, res] = ref.resource.split('.') as [string, string];
  const fromSpec = (kind === 'limits' ? c.resources?.limits : c.resources?.requests)?.[res];
  let value: number;
  if (fromSpec !== undefined) value = parseQuantity(fromSpec).asApproximateFloat64();
  else if (kind === 'limits' && res === 'cpu') value = node.allocatableCpuMillis / 1000;
  else if (kind === 'limits' && res === 'memory') value = node.allocatableMemoryBytes;
  else value = 0;
  const divisor = ref.divisor !== undefined ? parseQuantity(ref.divisor).asApproximateFloat64() : 1;
  return String(Math.ceil(value / (divisor || 1)));
}
