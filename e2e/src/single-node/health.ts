// When an object applied from a manifest counts as healthy, the way `kubectl wait` and a user
// reading `kubectl get` would judge it: Deployments Available with every replica updated and
// ready, Pods Ready (or Succeeded), Services with at least one ready endpoint. Objects without
// a status to wait for (ConfigMaps, Secrets, ...) are healthy once they exist.

export interface Condition {
  type: string;
  status: string;
}

export interface KubeObject {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; namespace?: string; generation?: number; deletionTimestamp?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface EndpointSliceLike {
  metadata: { labels?: Record<string, string> };
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] | null;
}

function condition(obj: KubeObject, type: string): string | undefined {
  const conditions = (obj.status?.conditions ?? []) as Condition[];
  return conditions.find((c) => c.type === type)?.status;
}

/** Ready endpoint addresses of a Service, from its EndpointSlices. */
export function readyAddresses(service: string, slices: readonly EndpointSliceLike[]): string[] {
  return (
    slices
      .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === service)
      .flatMap((s) => s.endpoints ?? [])
      // an absent `ready` means ready (discovery.k8s.io/v1 semantics)
      .filter((e) => e.conditions?.ready !== false)
      .flatMap((e) => e.addresses)
  );
}

/** undefined when healthy, else why not. */
export function unhealthyReason(obj: KubeObject, slices: readonly EndpointSliceLike[]): string | undefined {
  if (obj.metadata.deletionTimestamp) return 'being deleted';
  const status = obj.status ?? {};
  switch (obj.kind) {
    case 'Deployment': {
      const want = (obj.spec?.replicas as number | undefined) ?? 1;
      const observed = (status.observedGeneration as number | undefined) ?? 0;
      if (observed < (obj.metadata.generation ?? 0)) return `generation ${obj.metadata.generation} not yet observed (${observed})`;
      if (condition(obj, 'Available') !== 'True') return 'condition Available is not True';
      for (const field of ['updatedReplicas', 'readyReplicas', 'availableReplicas'] as const) {
        const have = (status[field] as number | undefined) ?? 0;
        if (have !== want) return `${field} ${have}/${want}`;
      }
      return undefined;
    }
    case 'Pod':
      if (status.phase === 'Succeeded') return undefined;
      if (status.phase !== 'Running') return `phase ${String(status.phase ?? 'unknown')}`;
      return condition(obj, 'Ready') === 'True' ? undefined : 'condition Ready is not True';
    case 'Service': {
      const selector = obj.spec?.selector as Record<string, string> | undefined;
      if (obj.spec?.type === 'ExternalName' || !selector || Object.keys(selector).length === 0) return undefined;
      return readyAddresses(obj.metadata.name, slices).length > 0 ? undefined : 'no ready endpoints';
    }
    case 'PersistentVolumeClaim':
      return status.phase === 'Bound' ? undefined : `phase ${String(status.phase ?? 'unknown')}`;
    default:
      return undefined;
  }
}
