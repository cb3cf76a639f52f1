// compileVersionSchema: everything a CRD version needs to serve its objects, built once when the
// CRD is (re)loaded: the ajv validator, the compiled CEL rules, and which walks the schema needs.
import { buildCelTree, validateCel } from './cel/validator.ts';
import { applyDefaults, dropNonNullableNulls, hasDefaults } from './defaulting.ts';
import type { CompiledSchema, CompileOptions, FieldError, JSONSchemaProps } from './index.ts';
import { usesKubeExtensions, validateKubeExtensions } from './kube-extensions.ts';
import { compileOpenAPIValidator, type OpenAPIValidator } from './openapi-validation.ts';
import { pruneUnknown } from './pruning.ts';
import { unchangedAt } from './ratcheting.ts';

/** The implicit parts of every resource root, which the CRD schema may leave out. */
function withResourceRoot(s: JSONSchemaProps): JSONSchemaProps {
  const props = { ...(s.properties ?? {}) };
  props.apiVersion ??= { type: 'string' };
  props.kind ??= { type: 'string' };
  props.metadata ??= { type: 'object' };
  return { ...s, type: s.type ?? 'object', properties: props };
}

/**
 * A schema that passed validateCustomResourceSchema always compiles; one stored before a check
 * existed must not take the server down: its objects are refused with an internal error instead.
 */
function compileOrReport(schema: JSONSchemaProps): OpenAPIValidator {
  try {
    return compileOpenAPIValidator(schema);
  } catch (err) {
    const detail = `the schema of this version does not compile: ${(err as Error).message}`;
    return () => [{ type: 'InternalError', field: '', detail }];
  }
}

export function compileVersionSchema(openAPIV3Schema: JSONSchemaProps, opts: CompileOptions = {}): CompiledSchema {
  try {
    return compile(openAPIV3Schema, opts);
  } catch (err) {
    // Only a schema validateCustomResourceSchema refuses gets here (a malformed stored CRD): its
    // objects are refused, the rest of the server goes on.
    const detail = `the schema of this version does not compile: ${(err as Error).message}`;
    return {
      default() {},
      prune: () => [],
      validate: () => [{ type: 'InternalError', field: '', detail }],
    };
  }
}

function compile(openAPIV3Schema: JSONSchemaProps, opts: CompileOptions): CompiledSchema {
  const schema = withResourceRoot(openAPIV3Schema);
  const openapi = compileOrReport(schema);
  const cel = buildCelTree(openAPIV3Schema, 'openAPIV3Schema');
  const defaults = hasDefaults(schema);
  const extensions = usesKubeExtensions(schema);
  const preserveAtRoot = opts.preserveUnknownFieldsAtRoot === true || openAPIV3Schema['x-kubernetes-preserve-unknown-fields'] === true;
  return {
    default(obj: unknown): void {
      if (!defaults) return;
      applyDefaults(obj, schema);
      dropNonNullableNulls(obj, schema);
    },
    prune(obj: unknown): string[] {
      return pruneUnknown(obj, schema, { root: true, preserveAtRoot });
    },
    validate(obj: unknown, old?: unknown, warnings?: string[]): FieldError[] {
      const errs = openapi(obj, '', old === undefined ? undefined : (pointer) => unchangedAt(pointer, obj, old, schema));
      if (extensions) validateKubeExtensions(obj, schema, '', errs);
      errs.push(...validateCel(cel, obj, old, warnings));
      return errs;
    },
  };
}
