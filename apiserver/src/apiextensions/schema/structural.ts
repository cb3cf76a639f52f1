import type { FieldError, JSONSchemaProps } from './index.ts';

/** Checks a CRD version's schema at CRD create/update (filled in by the following commits). */
export function validateCustomResourceSchema(_schema: JSONSchemaProps | undefined, _fieldPath: string): FieldError[] {
  throw new Error('validateCustomResourceSchema: not implemented yet');
}
