// Which group-resource is stored under `/registry/<segment>/`: the resource whose own name the
// segment is. A kind stored as another (events.k8s.io Events under core `events`) does not
// claim the segment, so encryption rules name the storage's resource, as in Kubernetes.
import type { GroupResource } from '../storage/encryption/index.ts';
import type { ResourceDef } from './types.ts';

export function storedResourceOf(defs: readonly ResourceDef[]): (segment: string) => GroupResource {
  const owners = new Map<string, GroupResource>();
  for (const def of defs) {
    const segment = def.storageResource ?? def.resource;
    if (def.storageResource && def.storageResource !== def.resource) continue;
    if (!owners.has(segment)) owners.set(segment, { group: def.group, resource: def.resource });
  }
  // keys outside the registry's resources (allocator ranges): named by their segment, core group
  return (segment) => owners.get(segment) ?? { group: '', resource: segment };
}
