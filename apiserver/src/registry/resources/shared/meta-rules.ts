// ObjectMeta checks: the store runs the ones every kind shares (labels, annotations,
// finalizers, owner references, managed fields) for all writes; each resource runs the name
// and namespace rules of its kind in validate(). Both come from the shared ValidateObjectMeta.
import type { NameValidator } from '@skiff/common/apimachinery/names';
import { validateObjectMetaFields, validateObjectMetaNames } from '@skiff/common/apimachinery/object-meta';
import type { FieldError } from '../../../errors.ts';
import type { KObject, ResourceDef } from '../../types.ts';

export function validateMetaFor(obj: KObject, namespaced: boolean, validateName: NameValidator): FieldError[] {
  return validateObjectMetaNames(obj.metadata, { namespaced, validateName });
}

/** What the store checks on every write of any kind. */
export function validateObjectMetaCommon(obj: KObject, _def: ResourceDef): FieldError[] {
  return validateObjectMetaFields(obj.metadata);
}
