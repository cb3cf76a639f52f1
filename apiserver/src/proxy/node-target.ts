// Where a pod's kubelet listens: the Node's InternalIP (else any address) and
// status.daemonEndpoints.kubeletEndpoint.Port (default 10250).
import { errors } from '../errors.ts';
import type { KObject } from '../registry/types.ts';

export interface KubeletTarget {
  host: string;
  port: number;
}

export function kubeletTarget(node: KObject): KubeletTarget {
  const status = (node as { status?: { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } }).status;
  const addrs = status?.addresses ?? [];
  const addr = addrs.find((a) => a.type === 'InternalIP') ?? addrs.find((a) => a.type === 'ExternalIP') ?? addrs.find((a) => a.type === 'Hostname');
  if (!addr) throw errors.badRequest(`node ${node.metadata?.name} has no address to reach its kubelet`);
  const port = status?.daemonEndpoints?.kubeletEndpoint?.Port || 10250;
  return { host: addr.address, port };
}

/** The kubelet path for a pods/<sub> request, validating the container as the apiserver does. */
export function kubeletPath(sub: string, pod: KObject, query: URLSearchParams): string {
  const ns = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '';
  const spec =
    (pod as { spec?: { containers?: { name: string }[]; initContainers?: { name: string }[]; ephemeralContainers?: { name: string }[] } }).spec ?? {};
  const all = [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])].map((c) => c.name);
  const container = (): string => {
    const c = query.get('container') ?? '';
    if (!c) {
      if ((spec.containers ?? []).length === 1) return spec.containers![0]!.name;
      throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${(spec.containers ?? []).map((x) => x.name).join(' ')}]`);
    }
    if (!all.includes(c)) throw errors.badRequest(`container ${c} is not valid for pod ${name}`);
    return c;
  };
  const out = new URLSearchParams();
  const copy = (...keys: string[]) => {
    for (const k of keys) for (const v of query.getAll(k)) out.append(k, v);
  };
  const enc = encodeURIComponent;
  switch (sub) {
    case 'log':
      copy('follow', 'previous', 'sinceSeconds', 'sinceTime', 'timestamps', 'tailLines', 'limitBytes');
      return `/containerLogs/${enc(ns)}/${enc(name)}/${enc(container())}?${out}`;
    case 'exec':
      if (!query.getAll('command').length) throw errors.badRequest('you must specify at least 1 command');
      copy('command', 'stdin', 'stdout', 'stderr', 'tty');
      return `/exec/${enc(ns)}/${enc(name)}/${enc(container())}?${out}`;
    case 'attach':
      copy('stdin', 'stdout', 'stderr', 'tty');
      return `/attach/${enc(ns)}/${enc(name)}/${enc(container())}?${out}`;
    case 'portforward':
      copy('ports');
      return `/portForward/${enc(ns)}/${enc(name)}?${out}`;
    default:
      throw errors.notFoundPath();
  }
}
