// The structural-schema library for CustomResourceDefinitions (apiextensions-apiserver's
// pkg/apiserver/schema, pkg/apiserver/validation and pkg/apiserver/schema/cel, in one place):
// a CRD version's openAPIV3Schema is compiled once into a CompiledSchema that defaults, prunes
// and validates custom resources, and the CRD strategy checks a schema with
// validateCustomResourceSchema before accepting it.
import type { FieldError } from '../../errors.ts';

export type { FieldError } from '../../errors.ts';

/** apiextensions.k8s.io/v1 JSONSchemaProps, as the CRD carries it (JSON field names). */
export interface JSONSchemaProps {
  id?: string;
  $schema?: string;
  $ref?: string;
  description?: string;
  type?: string;
  format?: string;
  title?: string;
  default?: unknown;
  maximum?: number;
  exclusiveMaximum?: boolean;
  minimum?: number;
  exclusiveMinimum?: boolean;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  maxItems?: number;
  minItems?: number;
  uniqueItems?: boolean;
  multipleOf?: number;
  enum?: unknown[];
  maxProperties?: number;
  minProperties?: number;
  required?: string[];
  items?: JSONSchemaProps | JSONSchemaProps[];
  allOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  patternProperties?: Record<string, JSONSchemaProps>;
  dependencies?: Record<string, JSONSchemaProps | string[]>;
  additionalItems?: JSONSchemaProps | boolean;
  definitions?: Record<string, JSONSchemaProps>;
  externalDocs?: { description?: string; url?: string };
  example?: unknown;
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-validations'?: ValidationRule[];
}

/** One x-kubernetes-validations entry. */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

export interface CompileOptions {
  /** spec.preserveUnknownFields (v1beta1 leftovers) or a root with x-kubernetes-preserve-unknown-fields. */
  preserveUnknownFieldsAtRoot?: boolean;
}

/** A CRD version's schema, compiled once; every method is synchronous and bounded. */
export interface CompiledSchema {
  /** Fills `default` values in place (structural defaulting); call on create/update and on read from storage. */
  default(obj: unknown): void;
  /**
   * Removes fields the schema does not know, in place, and returns their paths as field validation
   * reports them (`.spec.foo`, `.spec.list[0].bar`), for fieldValidation=Strict/Warn.
   */
  prune(obj: unknown): string[];
  /**
   * OpenAPI v3 + Kubernetes extensions + CEL rules; `old` (on update) enables transition rules
   * (oldSelf) and ratcheting. A CEL failure that ratcheting drops is pushed to `warnings`, printed
   * as Kubernetes sends it in a Warning header.
   */
  validate(obj: unknown, old?: unknown, warnings?: string[]): FieldError[];
}

export { compileVersionSchema } from './compile.ts';
export { validateCustomResourceSchema } from './structural.ts';
export { toOpenAPIV3Schema, toOpenAPIV2Schema } from './publish.ts';
