// Where an APIService's server listens: its Service's port, then a ready endpoint address of
// that port (EndpointSlices first, Endpoints otherwise). Skiff always dials endpoints
// directly, as kube-apiserver does with --enable-aggregator-routing=true: the control plane
// need not run the service proxy. Failures carry the availability controller's reasons.
import { ApiError } from '../errors.ts';
import type { ApiRegistry } from '../registry/api-registry.ts';
import type { KObject } from '../registry/types.ts';

export interface ServiceRef {
  namespace: string;
  name: string;
  port: number;
}

export interface BackendTarget {
  host: string;
  port: number;
}

/** Why there is no target: the reason and message of the Available=False condition. */
export type TargetErrorReason = 'ServiceNotFound' | 'ServicePortError' | 'EndpointsNotFound' | 'MissingEndpoints';

export class TargetError extends Error {
  readonly reason: TargetErrorReason;
  constructor(reason: TargetErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

async function getOrUndefined(registry: ApiRegistry, group: string, resource: string, ns: string, name: string): Promise<KObject | undefined> {
  const store = registry.store(group, 'v1', resource);
  if (!store) return undefined;
  try {
    return await store.get(ns, name);
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) return undefined;
    throw e;
  }
}

/** Ready addresses of the Service's port from its EndpointSlices; undefined when it has none (ready unset counts as ready, as kube). */
async function fromSlices(registry: ApiRegistry, ref: ServiceRef, portName: string): Promise<BackendTarget[] | undefined> {
  const store = registry.store('discovery.k8s.io', 'v1', 'endpointslices');
  if (!store) return undefined;
  const { items } = await store.list(ref.namespace, { labelSelector: `kubernetes.io/service-name=${ref.name}` });
  if (!items.length) return undefined;
  const out: BackendTarget[] = [];
  for (const slice of items) {
    const port = (slice.ports ?? []).find((p: any) => (p?.name ?? '') === portName);
    if (!port?.port) continue;
    for (const ep of slice.endpoints ?? []) {
      if (ep?.conditions?.ready === false) continue;
      for (const address of ep?.addresses ?? []) out.push({ host: address, port: port.port });
    }
  }
  return out;
}

/** Ready addresses of the Service's port from its Endpoints; undefined when there is no Endpoints object. */
async function fromEndpoints(registry: ApiRegistry, ref: ServiceRef, portName: string): Promise<BackendTarget[] | undefined> {
  const eps = await getOrUndefined(registry, '', 'endpoints', ref.namespace, ref.name);
  if (!eps) return undefined;
  const out: BackendTarget[] = [];
  for (const subset of eps.subsets ?? []) {
    const port = (subset.ports ?? []).find((p: any) => (p?.name ?? '') === portName);
    if (!port?.port) continue;
    for (const a of subset.addresses ?? []) if (a?.ip) out.push({ host: a.ip, port: port.port });
  }
  return out;
}

/** Every ready target of the Service port; throws TargetError when there is none. */
export async function resolveTargets(registry: ApiRegistry, ref: ServiceRef): Promise<BackendTarget[]> {
  const svc = await getOrUndefined(registry, '', 'services', ref.namespace, ref.name);
  if (!svc) throw new TargetError('ServiceNotFound', `service/${ref.name} in "${ref.namespace}" is not present`);
  if (svc.spec?.type === 'ExternalName') {
    if (!svc.spec.externalName) throw new TargetError('ServiceNotFound', `service/${ref.name} in "${ref.namespace}" has no externalName`);
    return [{ host: svc.spec.externalName, port: ref.port }];
  }
  const svcPort = (svc.spec?.ports ?? []).find((p: any) => p?.port === ref.port);
  if (!svcPort) throw new TargetError('ServicePortError', `service/${ref.name} in "${ref.namespace}" is not listening on port ${ref.port}`);
  const portName = svcPort.name ?? '';
  // kube reads EndpointSlices only; Endpoints are a fallback for clusters where nothing mirrors them
  const fromSlice = await fromSlices(registry, ref, portName);
  const targets = fromSlice ?? (await fromEndpoints(registry, ref, portName));
  const what = fromSlice || !targets ? 'endpointslices' : 'endpoints';
  if (targets === undefined) throw new TargetError('EndpointsNotFound', `cannot find endpointslices for service/${ref.name} in "${ref.namespace}"`);
  if (!targets.length) {
    throw new TargetError('MissingEndpoints', `${what} for service/${ref.name} in "${ref.namespace}" have no addresses with port name "${portName}"`);
  }
  return targets;
}

/** One target, picked at random as kube's endpoint routing does. */
export async function resolveTarget(registry: ApiRegistry, ref: ServiceRef): Promise<BackendTarget> {
  const targets = await resolveTargets(registry, ref);
  return targets[Math.floor(Math.random() * targets.length)]!;
}
