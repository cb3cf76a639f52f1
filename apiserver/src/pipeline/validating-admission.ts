// Stage 6 of the request path: validating admission, after the strategy's validation. The store
// runs it as a callback (WriteOptions.admission.validate): for updates inside its guaranteed-update
// retry, against the object then stored, as Kubernetes passes ValidateObjectFunc to its registry.
import type { AdmissionOperation } from '../admission/interface.ts';
import type { RequestAdmission } from '../admission/chain.ts';
import type { KObject } from '../registry/types.ts';

export async function admitValidating(
  admission: RequestAdmission | undefined,
  operation: AdmissionOperation,
  object: KObject | undefined,
  oldObject: KObject | undefined,
): Promise<void> {
  await admission?.validate(operation, object, oldObject);
}
