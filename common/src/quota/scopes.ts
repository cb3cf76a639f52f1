// ResourceQuota scopes (Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass,
// CrossNamespacePodAffinity): which resources each may limit, and whether a pod falls in one,
// as Kubernetes' pod evaluator decides (pkg/quota/v1/evaluator/core/pods.go).
export const quotaScopes = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];

/** The compute resources a pod-scoped quota may limit (podComputeQuotaResources). */
export const podComputeResources = new Set(['cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);

/** IsResourceQuotaScopeValidForResource */
export function scopeValidForResource(scope: string, resource: string): boolean {
  if (scope === 'BestEffort') return resource === 'pods';
  return resource === 'pods' || podComputeResources.has(resource);
}

export interface ScopeRequirement {
  scopeName: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** GetScopeSelectorsFromQuota: spec.scopes as Exists requirements, plus spec.scopeSelector's. */
export function scopeRequirementsOf(quota: any): ScopeRequirement[] {
  const out: ScopeRequirement[] = (quota?.spec?.scopes ?? []).map((s: string) => ({ scopeName: s, operator: 'Exists' }));
  for (const e of quota?.spec?.scopeSelector?.matchExpressions ?? []) out.push({ scopeName: e.scopeName, operator: e.operator, values: e.values ?? [] });
  return out;
}

function containers(pod: any): any[] {
  return [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])];
}

/** A pod is BestEffort when no container requests or limits cpu or memory (qos.GetPodQOS). */
export function isBestEffort(pod: any): boolean {
  return containers(pod).every((c) => {
    const named = (l: any) => Object.keys(l ?? {}).some((k) => k === 'cpu' || k === 'memory');
    return !named(c?.resources?.requests) && !named(c?.resources?.limits);
  });
}

function usesCrossNamespaceAffinity(pod: any): boolean {
  const affinity = pod?.spec?.affinity ?? {};
  const terms = [
    ...(affinity.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(affinity.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w: any) => w?.podAffinityTerm),
    ...(affinity.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(affinity.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w: any) => w?.podAffinityTerm),
  ];
  return terms.some((t) => (t?.namespaces?.length ?? 0) > 0 || t?.namespaceSelector !== undefined);
}

/** podMatchesScopeFunc */
export function podMatchesScope(req: ScopeRequirement, pod: any): boolean {
  const terminating = typeof pod?.spec?.activeDeadlineSeconds === 'number' && pod.spec.activeDeadlineSeconds >= 0;
  switch (req.scopeName) {
    case 'Terminating':
      return terminating;
    case 'NotTerminating':
      return !terminating;
    case 'BestEffort':
      return isBestEffort(pod);
    case 'NotBestEffort':
      return !isBestEffort(pod);
    case 'CrossNamespacePodAffinity':
      return usesCrossNamespaceAffinity(pod);
    case 'PriorityClass': {
      const pc: string = pod?.spec?.priorityClassName ?? '';
      switch (req.operator) {
        case 'Exists':
          return pc !== '';
        case 'DoesNotExist':
          return pc === '';
        case 'In':
          return (req.values ?? []).includes(pc);
        case 'NotIn':
          return !(req.values ?? []).includes(pc);
      }
      return false;
    }
  }
  return false;
}
