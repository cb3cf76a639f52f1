// The main resource and its /status subresource write disjoint parts of an object.
import type { KObject } from '../../types.ts';

/** PUT/PATCH of the main resource: status is not the client's to change. */
export function keepOldStatus(obj: KObject, old: KObject): void {
  if (old.status === undefined) delete obj.status;
  else obj.status = structuredClone(old.status);
}

/**
 * PUT/PATCH of /status: only status changes, plus labels and annotations (which controllers
 * may touch while reporting); resourceVersion stays the client's for the optimistic check.
 */
export function takeStatusOnly(obj: KObject, old: KObject): KObject {
  const next = structuredClone(old);
  next.status = structuredClone(obj.status);
  next.metadata = {
    ...structuredClone(old.metadata),
    labels: structuredClone(obj.metadata?.labels),
    annotations: structuredClone(obj.metadata?.annotations),
    resourceVersion: obj.metadata?.resourceVersion,
    managedFields: obj.metadata?.managedFields ?? old.metadata.managedFields,
  };
  for (const k of ['labels', 'annotations', 'resourceVersion', 'managedFields'] as const) {
    if (next.metadata[k] === undefined) delete next.metadata[k];
  }
  return next;
}

/** Did anything outside metadata and status change (bumps metadata.generation)? */
export function specDiffers(obj: KObject, old: KObject): boolean {
  const strip = (o: KObject) => {
    const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
    return rest;
  };
  return JSON.stringify(strip(obj)) !== JSON.stringify(strip(old));
}
