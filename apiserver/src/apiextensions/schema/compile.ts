import type { CompiledSchema, CompileOptions, JSONSchemaProps } from './index.ts';

/** Compiles one CRD version's openAPIV3Schema (filled in by the following commits). */
export function compileVersionSchema(_schema: JSONSchemaProps, _opts: CompileOptions = {}): CompiledSchema {
  throw new Error('compileVersionSchema: not implemented yet');
}
