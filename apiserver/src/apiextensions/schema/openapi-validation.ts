// OpenAPI v3 value validation of a custom resource: the CRD schema is translated once into a
// draft-07 schema that ajv compiles to code, and ajv's errors are turned into the field errors
// kube-openapi + apiextensions produce (pkg/apiserver/validation: kubeOpenAPIResultToFieldErrors),
// e.g. `spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`.
import { isDeepStrictEqual } from 'node:util';
import { Ajv, type ErrorObject, type SchemaObject, type ValidateFunction } from 'ajv';
import type { FieldError } from '../../errors.ts';
import { supportedFormats } from './formats.ts';
import { goRegExp } from './go-regexp.ts';
import type { JSONSchemaProps } from './index.ts';
import { isObject, jsonTypeName } from './node.ts';
import { childPath, indexPath } from './paths.ts';

/** One ajv instance for every CRD: formats are registered once, each schema compiles to its own function. */
let sharedAjv: Ajv | undefined;
function ajv(): Ajv {
  if (!sharedAjv) {
    // strict: false because CRD schemas are full of keywords ajv does not know (x-kubernetes-*,
    // description); allErrors so that a 422 lists every bad field as Kubernetes does.
    sharedAjv = new Ajv({ allErrors: true, strict: false, validateSchema: false, addUsedSchema: false, unicodeRegExp: true, code: { regExp: goRegExp } });
    for (const [name, check] of Object.entries(supportedFormats)) sharedAjv.addFormat(name, { type: 'string', validate: check });
  }
  return sharedAjv;
}

/**
 * The CRD schema as ajv should read it: OpenAPI's boolean exclusiveMaximum/Minimum become draft-07
 * numbers, nullable lets null through before any other keyword (kube-openapi skips every check of a
 * null value when nullable), int-or-string becomes a two-type union, unsupported formats disappear.
 */
export function toAjvSchema(s: JSONSchemaProps): SchemaObject {
  const out: SchemaObject = {};
  if (s['x-kubernetes-int-or-string']) out.type = ['integer', 'string'];
  else if (s.type) out.type = s.type;
  if (s.format && supportedFormats[s.format] && (s.type === 'string' || s.type === undefined)) out.format = s.format;
  if (s.maximum !== undefined) {
    if (s.exclusiveMaximum) out.exclusiveMaximum = s.maximum;
    else out.maximum = s.maximum;
  }
  if (s.minimum !== undefined) {
    if (s.exclusiveMinimum) out.exclusiveMinimum = s.minimum;
    else out.minimum = s.minimum;
  }
  for (const k of ['maxLength', 'minLength', 'maxItems', 'minItems', 'maxProperties', 'minProperties', 'multipleOf'] as const) {
    if (s[k] !== undefined) out[k] = s[k];
  }
  if (s.pattern !== undefined) out.pattern = s.pattern;
  if (s.uniqueItems) out.uniqueItems = true;
  if (s.enum) out.enum = s.enum;
  if (s.required?.length) out.required = s.required;
  const items = s.items;
  if (items && !Array.isArray(items)) out.items = toAjvSchema(items);
  if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, toAjvSchema(v)]));
  if (isObject(s.additionalProperties)) out.additionalProperties = toAjvSchema(s.additionalProperties as JSONSchemaProps);
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = s[k];
    // int-or-string's spelled-out anyOf [{type: integer}, {type: string}] is the type union above
    if (k === 'anyOf' && s['x-kubernetes-int-or-string'] && isDeepStrictEqual(list, [{ type: 'integer' }, { type: 'string' }])) continue;
    if (list?.length) out[k] = list.map(toAjvSchema);
  }
  if (s.not) out.not = toAjvSchema(s.not);
  // if without then: a null passes, anything else must satisfy the rest
  if (s.nullable) return { if: { type: 'null' }, else: out };
  return out;
}

/**
 * `root` names the value in paths and messages (empty for a custom resource, the default's path for
 * a default); `ratchet`, given the JSON pointer of a failing value, says whether to drop its errors.
 */
export type OpenAPIValidator = (obj: unknown, root?: string, ratchet?: (pointer: string) => boolean) => FieldError[];

/**
 * Compiled validators by schema text, a few: the CRD strategy checks a schema's defaults and the
 * registry then compiles the same versions; a large CRD (Gateway API's HTTPRoute) costs ajv
 * a few hundred milliseconds to compile.
 */
const compiledByText = new Map<string, ValidateFunction>();
const compiledCacheSize = 32;

function compileAjv(schema: JSONSchemaProps): ValidateFunction {
  const ajvSchema = toAjvSchema(schema);
  const key = JSON.stringify(ajvSchema);
  let fn = compiledByText.get(key);
  if (!fn) {
    fn = ajv().compile(ajvSchema);
    if (compiledByText.size >= compiledCacheSize) compiledByText.delete(compiledByText.keys().next().value!);
    compiledByText.set(key, fn);
  }
  return fn;
}

export function compileOpenAPIValidator(schema: JSONSchemaProps): OpenAPIValidator {
  const fn = compileAjv(schema);
  return (obj, root = '', ratchet) => (fn(obj) ? [] : toFieldErrors(fn.errors ?? [], obj, root, ratchet));
}

/** `/spec/items/0/name` → `spec.items[0].name`, deciding index or key by the data, as kube-openapi names paths. */
function pointerToPath(pointer: string, root: unknown, rootName: string): { path: string; value: unknown } {
  let path = rootName;
  let cur: unknown = root;
  if (pointer === '') return { path, value: cur };
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      path = indexPath(path, Number(seg));
      cur = cur[Number(seg)];
    } else {
      path = childPath(path, seg);
      cur = isObject(cur) ? cur[seg] : undefined;
    }
  }
  return { path, value: cur };
}

/** Errors beneath anyOf/oneOf/not branches only explain why a branch failed; kube-openapi reports the combinator itself. */
function insideBranch(schemaPath: string): boolean {
  // Read the path keyword by keyword: a property may well be named "not" or "anyOf".
  const segs = schemaPath.split('/').slice(1);
  for (let i = 0; i < segs.length; ) {
    const seg = segs[i];
    if (seg === 'properties') i += 2;
    else if (seg === 'anyOf' || seg === 'oneOf') {
      if (i + 2 < segs.length) return true;
      i += 2;
    } else if (seg === 'not') {
      if (i + 1 < segs.length) return true;
      i += 1;
    } else if (seg === 'allOf') i += 2;
    else i += 1;
  }
  return false;
}

/** Go's %v of a float64 limit prints integers without a fraction, as JS does. */
const num = (n: unknown) => String(n);

function toFieldErrors(errs: ErrorObject[], root: unknown, rootName: string, ratchet?: (pointer: string) => boolean): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errs) {
    if (e.keyword === 'if' || insideBranch(e.schemaPath)) continue;
    if (ratchet?.(e.instancePath)) continue;
    const { path, value } = pointerToPath(e.instancePath, root, rootName);
    const name = path;
    const inBody = (msg: string) => `${name} in body ${msg}`;
    let fe: FieldError | undefined;
    switch (e.keyword) {
      case 'required':
        fe = { type: 'FieldValueRequired', field: childPath(path, String(e.params.missingProperty)), detail: '' };
        break;
      case 'type': {
        const want = String(e.params.type);
        const got = jsonTypeName(value);
        fe = { type: 'FieldValueTypeInvalid', field: path, value: got, detail: inBody(`must be of type ${want}: "${got}"`) };
        break;
      }
      case 'format':
        fe = { type: 'FieldValueTypeInvalid', field: path, value, detail: inBody(`must be of type ${e.params.format}: ${JSON.stringify(value)}`) };
        break;
      case 'enum': {
        const allowed = (e.params.allowedValues as unknown[]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
        fe = { type: 'FieldValueNotSupported', field: path, value, supported: allowed };
        break;
      }
      case 'maxLength':
        fe = { type: 'FieldValueTooLong', field: path, detail: `may not be more than ${e.params.limit} bytes` };
        break;
      case 'maxItems':
        fe = { type: 'FieldValueTooMany', field: path, value: (value as unknown[]).length, detail: `must have at most ${e.params.limit} items` };
        break;
      case 'maxProperties':
        fe = { type: 'FieldValueTooMany', field: path, value: Object.keys(value as object).length, detail: `must have at most ${e.params.limit} items` };
        break;
      case 'maximum':
        fe = { type: 'FieldValueInvalid', field: path, value, detail: inBody(`should be less than or equal to ${num(e.params.limit)}`) };
        break;
      case 'exclusiveMaximum':
        fe = { type: 'FieldValueInvalid', field: path, value, detail: inBody(`should be less than ${num(e.params.limit)}`) };
        break;
      case 'minimum':
        fe = { type: 'FieldValueInvalid', field: path, value, detail: inBody(`should be greater than or equal to ${num(e.params.limit)}`) };
        break;
      case 'exclusiveMinimum':
        fe = { type: 'FieldValueInvalid', field: path, value, detail: inBody(`should be greater than ${num(e.params.limit)}`) };
        break;
      case 'minLength':
        fe = { type: 'FieldValueInvalid', field: path, value, detail: inBody(`should be at least ${e.params.limit} chars long`) };
        break;
      case 'pattern':
        fe = { type: 'FieldValueInvalid', field: path, value, detail: inBody(`should match '${e.params.pattern}'`) };
        break;
      case 'multipleOf':
        fe = { type: 'FieldValueInvalid', field: path, value, detail: inBody(`should be a multiple of ${num(e.params.multipleOf)}`) };
        break;
      case 'minItems':
        fe = { type: 'FieldValueInvalid', field: path, value: (value as unknown[]).length, detail: inBody(`should have at least ${e.params.limit} items`) };
        break;
      case 'minProperties':
        fe = {
          type: 'FieldValueInvalid',
          field: path,
          value: Object.keys(value as object).length,
          detail: inBody(`should have at least ${e.params.limit} properties`),
        };
        break;
      case 'uniqueItems':
        fe = { type: 'FieldValueInvalid', field: path, value: '', detail: inBody("shouldn't contain duplicates") };
        break;
      case 'anyOf':
        fe = { type: 'FieldValueInvalid', field: path, value: '', detail: `"${name}" must validate at least one schema (anyOf)` };
        break;
      case 'oneOf':
        fe = { type: 'FieldValueInvalid', field: path, value: '', detail: `"${name}" must validate one and only one schema (oneOf)` };
        break;
      case 'not':
        fe = { type: 'FieldValueInvalid', field: path, value: '', detail: `"${name}" must not validate the schema (not)` };
        break;
      default:
        fe = { type: 'FieldValueInvalid', field: path, value, detail: inBody(e.message ?? 'is invalid') };
    }
    // allOf branches can repeat the same complaint; Kubernetes' ToAggregate drops duplicates too.
    const key = JSON.stringify(fe);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(fe);
    }
  }
  return out;
}
