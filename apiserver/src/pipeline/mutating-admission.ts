// Stage 4 of the request path: mutating admission, right after decode and defaulting, before
// the strategy's own preparation and validation. A create runs it here; an update (PUT, patch,
// apply, the subresources' writes) hands it to the store, which runs it on each attempt of its
// guaranteed update with the object then stored, as Kubernetes' UpdatedObjectInfo transformers.
import type { RequestAdmission } from '../admission/chain.ts';
import type { AdmissionOperation } from '../admission/interface.ts';
import type { KObject } from '../registry/types.ts';

/** What the store calls on each update attempt: CREATE when there is no old object (create on update). */
export type MutatingAdmission = (object: KObject, oldObject: KObject | undefined) => Promise<void>;

export function mutatingAdmission(admission: RequestAdmission | undefined): MutatingAdmission | undefined {
  if (!admission) return undefined;
  return (object, oldObject) => admitMutating(admission, oldObject ? 'UPDATE' : 'CREATE', object, oldObject);
}

/** The mutating phase: plugins may change `object` in place. */
export async function admitMutating(
  admission: RequestAdmission | undefined,
  operation: AdmissionOperation,
  object: KObject | undefined,
  oldObject: KObject | undefined,
): Promise<void> {
  await admission?.admit(operation, object, oldObject);
}

/** The mutating phase of a create. */
export function admitCreate(admission: RequestAdmission | undefined, object: KObject): Promise<void> {
  return admitMutating(admission, 'CREATE', object, undefined);
}
