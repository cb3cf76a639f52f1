// Name and namespace checks each resource runs in validate(); the store already checks labels,
// annotations, finalizers and owner references for every kind (registry/meta-validation.ts).
import type { FieldError } from '../../../errors.ts';
import type { KObject } from '../../types.ts';
import { validateObjectMetaNames } from '../../validation/meta.ts';
import type { NameValidator } from '../../validation/names.ts';

export function validateMetaFor(obj: KObject, namespaced: boolean, validateName: NameValidator): FieldError[] {
  return validateObjectMetaNames(obj.metadata, { namespaced, validateName });
}
