// Shared by the schema tests: errors printed as the 422 message prints each cause.
import { fieldErrorMessage } from '@skiff/common/apimachinery/field-errors';
import { compileVersionSchema, type JSONSchemaProps } from '../../../src/apiextensions/schema/index.ts';

export function messages(errs: Parameters<typeof fieldErrorMessage>[0][]): string[] {
  return errs.map(fieldErrorMessage);
}

/** A CR with the given spec, validated against a schema whose spec is `spec`. */
export function validateSpec(spec: JSONSchemaProps, value: unknown, old?: unknown): string[] {
  const c = compileVersionSchema({ type: 'object', properties: { spec } });
  const obj = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: value };
  const prev = old === undefined ? undefined : { ...obj, spec: old };
  return messages(c.validate(obj, prev));
}
