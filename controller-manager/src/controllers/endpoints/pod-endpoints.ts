// Pod facts both the Endpoints and the EndpointSlice controllers need: whether a pod backs
// a service, whether it is ready, and which port each service port reaches on it.
import { selectorFromSet } from '@skiff/common/apimachinery/label-selector';

export type Obj = {
  metadata: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string>; deletionTimestamp?: any; [k: string]: any };
  spec?: any;
  status?: any;
  [k: string]: any;
};

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}
export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

/** A service selects pods only when it has a non-empty selector. */
export function selectsPods(service: Obj): boolean {
  return !!service.spec?.selector && Object.keys(service.spec.selector).length > 0;
}

/** A Service's spec.selector (a plain map, labels.SelectorFromSet) selects the labels. */
export function matchesSelector(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return selectorFromSet(selector).matches(labels);
}

export function isPodReady(pod: Obj): boolean {
  return (pod.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Whether the pod belongs in the service's endpoints at all: it needs an IP, must not
 * have finished for good, and terminating pods count only when asked for.
 */
export function podIsEndpointCandidate(pod: Obj, includeTerminating: boolean): boolean {
  if (!pod.status?.podIP) return false;
  const phase = pod.status?.phase;
  const restartPolicy = pod.spec?.restartPolicy ?? 'Always';
  if (restartPolicy === 'Never' && (phase === 'Failed' || phase === 'Succeeded')) return false;
  if (restartPolicy === 'OnFailure' && phase === 'Succeeded') return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** Pods of the service's namespace its selector matches. */
export function podsOfService(service: Obj, pods: readonly Obj[]): Obj[] {
  const selector = selectorFromSet(service.spec?.selector as Record<string, string>);
  return pods.filter((p) => p.metadata.namespace === service.metadata.namespace && selector.matches(p.metadata.labels));
}

/** The container port a service port reaches on this pod; undefined if a named port is missing. */
export function resolveTargetPort(pod: Obj, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = sp.protocol ?? 'TCP';
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** The service's ports as this pod serves them; a port the pod lacks is left out. */
export function endpointPortsFor(service: Obj, pod: Obj): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of (service.spec?.ports ?? []) as ServicePort[]) {
    const port = resolveTargetPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
    if (sp.name) ep.name = sp.name;
    if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

/** Only a pod that names this service as its subdomain gets a DNS hostname in it. */
export function hostnameFor(service: Obj, pod: Obj): string | undefined {
  const h = pod.spec?.hostname;
  return h && pod.spec?.subdomain === service.metadata.name ? h : undefined;
}

export function podTargetRef(pod: Obj): { kind: 'Pod'; name: string; namespace: string; uid: string } {
  return { kind: 'Pod', name: pod.metadata.name!, namespace: pod.metadata.namespace!, uid: pod.metadata.uid! };
}

export function portsKey(ports: readonly EndpointPort[]): string {
  return sortPorts(ports)
    .map((p) => `${p.name ?? ''}/${p.port}/${p.protocol}/${p.appProtocol ?? ''}`)
    .join(',');
}

export function sortPorts<T extends EndpointPort>(ports: readonly T[]): T[] {
  return [...ports].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port || a.protocol.localeCompare(b.protocol));
}

export function isHeadless(service: Obj): boolean {
  return service.spec?.clusterIP === 'None';
}

/** The `default/kubernetes` service's endpoints belong to the apiserver. */
export function isApiserverService(service: { metadata: { namespace?: string; name?: string } }): boolean {
  return service.metadata.namespace === 'default' && service.metadata.name === 'kubernetes';
}
