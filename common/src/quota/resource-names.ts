// Resource names as Kubernetes' core helpers classify them (pkg/apis/core/helper): which names
// are standard, which must be whole numbers, and which a ResourceQuota may limit.
import { checkQualifiedName } from '../apimachinery/names.ts';

const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);

const standardQuotaResources = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.storage',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'persistentvolumeclaims',
  'configmaps',
  'services.nodeports',
  'services.loadbalancers',
]);

const standardResources = new Set([...standardQuotaResources, 'storage']);

const integerResources = new Set([
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'persistentvolumeclaims',
  'configmaps',
  'services.nodeports',
  'services.loadbalancers',
]);

function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-') || name.startsWith('requests.hugepages-') || name.startsWith('limits.hugepages-');
}

/** IsStandardResourceName. */
export function isStandardResourceName(name: string): boolean {
  return standardResources.has(name) || isHugePages(name);
}

/** IsStandardContainerResourceName. */
export function isStandardContainerResourceName(name: string): boolean {
  return standardContainerResources.has(name) || name.startsWith('hugepages-');
}

/** IsStandardQuotaResourceName (plus object counts, `count/<resource>.<group>`). */
export function isStandardQuotaResourceName(name: string): boolean {
  return standardQuotaResources.has(name) || isHugePages(name) || name.startsWith('count/');
}

/** IsIntegerResourceName: object counts and the like may not be fractional. */
export function isIntegerResourceName(name: string): boolean {
  return integerResources.has(name) || name.startsWith('count/');
}

export const resourceNameRules = {
  /** validateResourceName */
  any: { standard: isStandardResourceName, message: 'must be a standard resource type or fully qualified' },
  /** validateContainerResourceName */
  container: { standard: isStandardContainerResourceName, message: 'must be a standard resource for containers' },
  /** validateResourceQuotaResourceName */
  quota: { standard: isStandardQuotaResourceName, message: 'must be a standard resource for quota' },
};

/** The problems validateResourceName and its variants report, empty when the name is fine. */
export function resourceNameProblems(name: string, rule: { standard: (n: string) => boolean; message: string }): string[] {
  const problems = checkQualifiedName(name);
  if (problems.length) return problems;
  if (!name.includes('/') && !rule.standard(name)) return [rule.message];
  return [];
}
