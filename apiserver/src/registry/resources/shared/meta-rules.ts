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

/**
 * What the store checks on every write of any kind. apiextensions-apiserver's kinds (CRDs and
 * custom resources) take apimachinery's rules only, without the core API's finalizer-name rule.
 */
export function validateObjectMetaCommon(obj: KObject, def: ResourceDef): FieldError[] {
  const apiextensions = def.unstructured === true || def.group === 'apiextensions.k8s.io';
  return validateObjectMetaFields(obj.metadata, 'metadata', !apiextensions);
}
