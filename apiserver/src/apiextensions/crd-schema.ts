// The one place the CRD code meets the structural-schema library (apiextensions/schema/, built
// on its own branch): compile a version's openAPIV3Schema once, check a schema at CRD create.
// Until that library is merged, schemas are taken as they are: custom resources keep every
// field, nothing is defaulted or refused, and the published schema is the CRD's own.
import type { FieldError } from '../errors.ts';

export interface CompiledSchema {
  /** fills `default` values in place */
  default(obj: unknown): void;
  /** removes fields the schema does not know, in place; returns their paths (`.spec.foo`) */
  prune(obj: unknown): string[];
  /** the schema's rules, CEL included; `old` for transition rules */
  validate(obj: unknown, old?: unknown): FieldError[];
}

export function compileVersionSchema(_schema: Record<string, unknown>, _opts: { preserveUnknownFieldsAtRoot?: boolean } = {}): CompiledSchema {
  return { default() {}, prune: () => [], validate: () => [] };
}

export function validateCustomResourceSchema(_schema: Record<string, unknown> | undefined, _fieldPath: string): FieldError[] {
  return [];
}

/** The schema as /openapi/v2 publishes it. */
export function toOpenAPIV2Schema(schema: Record<string, unknown>): Record<string, unknown> {
  return structuredClone(schema);
}
