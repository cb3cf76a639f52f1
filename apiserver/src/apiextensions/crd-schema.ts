// The one place the CRD code meets the structural-schema library (apiextensions/schema/): compile
// a version's openAPIV3Schema once (default, prune, validate with CEL), check a schema at CRD
// create, publish it in /openapi.
export { compileVersionSchema, validateCustomResourceSchema, toOpenAPIV2Schema, toOpenAPIV3Schema } from './schema/index.ts';
export type { CompiledSchema, JSONSchemaProps } from './schema/index.ts';
