import type { JSONSchemaProps } from './index.ts';

/** The schema as /openapi/v3 publishes it (filled in by the following commits). */
export function toOpenAPIV3Schema(_schema: JSONSchemaProps): Record<string, unknown> {
  throw new Error('toOpenAPIV3Schema: not implemented yet');
}

/** The schema as /openapi/v2 publishes it (filled in by the following commits). */
export function toOpenAPIV2Schema(_schema: JSONSchemaProps): Record<string, unknown> {
  throw new Error('toOpenAPIV2Schema: not implemented yet');
}
