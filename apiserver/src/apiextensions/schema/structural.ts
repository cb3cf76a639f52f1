// validateCustomResourceSchema: what the CRD strategy checks in a version's openAPIV3Schema before
// accepting it (apiextensions pkg/apis/apiextensions/validation + pkg/apiserver/schema): the schema
// must be structural (a type on every node, one items schema, no $ref and other unsupported
// keywords, metadata restricted to name/generateName), its Kubernetes extensions well-formed, its
// patterns and defaults valid, and every CEL rule must compile within the cost limits.
import { isDeepStrictEqual } from 'node:util';
import type { FieldError } from '../../errors.ts';
import { buildCelTree } from './cel/validator.ts';
import { goRegExp } from './go-regexp.ts';
import type { JSONSchemaProps } from './index.ts';
import { isObject, itemsSchema } from './node.ts';
import { compileOpenAPIValidator } from './openapi-validation.ts';
import { childPath, indexPath, keyPath } from './paths.ts';
import { pruneUnknown } from './pruning.ts';

const validTypes = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const notSupportedKeywords = ['$ref', 'definitions', 'dependencies', 'patternProperties', 'additionalItems', 'id', '$schema'] as const;

interface Ctx {
  errs: FieldError[];
  /** defaults seen in the walk, validated together at the end */
  defaults: { schema: JSONSchemaProps; path: string }[];
}

export function validateCustomResourceSchema(schema: JSONSchemaProps | undefined, fieldPath: string): FieldError[] {
  const ctx: Ctx = { errs: [], defaults: [] };
  if (!isObject(schema)) return [{ type: 'FieldValueRequired', field: fieldPath, detail: 'schemas are required' }];
  const s = schema as JSONSchemaProps;
  if (!s.type) ctx.errs.push({ type: 'FieldValueRequired', field: childPath(fieldPath, 'type'), detail: 'must not be empty at the root' });
  else if (s.type !== 'object')
    ctx.errs.push({ type: 'FieldValueInvalid', field: childPath(fieldPath, 'type'), value: s.type, detail: 'must be object at the root' });
  validateShapes(s, fieldPath, ctx);
  // The walks below assume the JSON shapes of JSONSchemaProps; a body that breaks them is the
  // client's mistake, reported above, never a reason to throw.
  if (ctx.errs.length > 0) return ctx.errs;
  validateRootMetadata(s, fieldPath, ctx);
  validateNode(s, fieldPath, ctx, 'root');
  validateDefaults(ctx);
  // CEL rules are compiled only when the schema itself is sound, as Kubernetes does.
  if (ctx.errs.length === 0) ctx.errs.push(...buildCelTree(s, fieldPath).errors);
  return ctx.errs;
}

const schemaMaps = ['properties', 'patternProperties', 'definitions'] as const;
const schemaLists = ['allOf', 'anyOf', 'oneOf'] as const;
const stringLists = ['required', 'x-kubernetes-list-map-keys'] as const;

/** Every nested schema is an object, every list a list: what the JSON decoding of a typed CRD guarantees in Kubernetes. */
function validateShapes(s: unknown, path: string, ctx: Ctx): void {
  const bad = (p: string, value: unknown, what: string) => ctx.errs.push({ type: 'FieldValueInvalid', field: p, value, detail: `must be ${what}` });
  if (!isObject(s)) return void bad(path, s, 'an object');
  const n = s as JSONSchemaProps;
  for (const k of schemaMaps) {
    const m = n[k];
    if (m === undefined) continue;
    if (!isObject(m)) bad(childPath(path, k), m, 'an object');
    else for (const [name, sub] of Object.entries(m)) validateShapes(sub, keyPath(childPath(path, k), name), ctx);
  }
  for (const k of schemaLists) {
    const l = n[k];
    if (l === undefined) continue;
    if (!Array.isArray(l)) bad(childPath(path, k), l, 'a list of schemas');
    else l.forEach((sub, i) => validateShapes(sub, indexPath(childPath(path, k), i), ctx));
  }
  for (const k of stringLists) {
    const l = n[k];
    if (l !== undefined && !(Array.isArray(l) && l.every((x) => typeof x === 'string'))) bad(childPath(path, k), l, 'a list of strings');
  }
  if (n.enum !== undefined && !Array.isArray(n.enum)) bad(childPath(path, 'enum'), n.enum, 'a list');
  if (n.type !== undefined && typeof n.type !== 'string') bad(childPath(path, 'type'), n.type, 'a string');
  const rules = n['x-kubernetes-validations'];
  if (rules !== undefined && !Array.isArray(rules)) bad(childPath(path, 'x-kubernetes-validations'), rules, 'a list');
  if (Array.isArray(n.items)) n.items.forEach((sub, i) => validateShapes(sub, indexPath(childPath(path, 'items'), i), ctx));
  else if (n.items !== undefined) validateShapes(n.items, childPath(path, 'items'), ctx);
  if (isObject(n.additionalProperties)) validateShapes(n.additionalProperties, childPath(path, 'additionalProperties'), ctx);
  else if (n.additionalProperties !== undefined && typeof n.additionalProperties !== 'boolean') {
    bad(childPath(path, 'additionalProperties'), n.additionalProperties, 'a schema or a boolean');
  }
  if (n.not !== undefined) validateShapes(n.not, childPath(path, 'not'), ctx);
  for (const k of ['maximum', 'minimum', 'multipleOf'] as const) {
    if (n[k] !== undefined && typeof n[k] !== 'number') bad(childPath(path, k), n[k], 'a number');
  }
  for (const k of ['maxLength', 'minLength', 'maxItems', 'minItems', 'maxProperties', 'minProperties'] as const) {
    if (n[k] !== undefined && !(Number.isInteger(n[k]) && (n[k] as number) >= 0)) bad(childPath(path, k), n[k], 'a non-negative integer');
  }
  if (n.pattern !== undefined && typeof n.pattern !== 'string') bad(childPath(path, 'pattern'), n.pattern, 'a string');
}

function validateRootMetadata(s: JSONSchemaProps, path: string, ctx: Ctx): void {
  const meta = s.properties?.metadata;
  if (!meta) return;
  const mp = keyPath(childPath(path, 'properties'), 'metadata');
  const forbidden = () =>
    ctx.errs.push({
      type: 'FieldValueForbidden',
      field: mp,
      detail: 'must not specify anything other than name and generateName, but metadata is implicitly specified',
    });
  const extra = Object.keys(meta).filter((k) => k !== 'type' && k !== 'properties');
  if (extra.length || (meta.type !== undefined && meta.type !== 'object')) return void forbidden();
  for (const [k, v] of Object.entries(meta.properties ?? {})) {
    if ((k !== 'name' && k !== 'generateName') || v.type !== 'string') return void forbidden();
  }
}

function isIntOrStringAnyOf(list: JSONSchemaProps[] | undefined): boolean {
  return isDeepStrictEqual(list, [{ type: 'integer' }, { type: 'string' }]);
}

type Where = 'root' | 'property' | 'items' | 'additionalProperties' | 'valueValidation';

function validateNode(s: JSONSchemaProps, path: string, ctx: Ctx, where: Where): void {
  const errs = ctx.errs;
  if (!isObject(s as unknown)) {
    errs.push({ type: 'FieldValueInvalid', field: path, value: s, detail: 'must be a schema object' });
    return;
  }
  for (const k of notSupportedKeywords) {
    if (s[k] !== undefined) errs.push({ type: 'FieldValueForbidden', field: childPath(path, k), detail: `${k} is not supported` });
  }
  if (s.type !== undefined && !validTypes.includes(s.type)) {
    errs.push({ type: 'FieldValueNotSupported', field: childPath(path, 'type'), value: s.type, supported: validTypes });
  }
  if (s.uniqueItems) {
    errs.push({
      type: 'FieldValueForbidden',
      field: childPath(path, 'uniqueItems'),
      detail: 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
    });
  }
  if (s.additionalProperties === false) {
    errs.push({ type: 'FieldValueForbidden', field: childPath(path, 'additionalProperties'), detail: 'additionalProperties cannot be set to false' });
  }
  if (s.additionalProperties !== undefined && s.properties) {
    errs.push({
      type: 'FieldValueForbidden',
      field: childPath(path, 'additionalProperties'),
      detail: 'additionalProperties and properties are mutual exclusive',
    });
  }
  if (Array.isArray(s.items)) {
    errs.push({ type: 'FieldValueForbidden', field: childPath(path, 'items'), detail: 'items must be a schema object and not an array' });
  }
  if (s.pattern !== undefined) {
    try {
      goRegExp(s.pattern, 'u');
    } catch (err) {
      errs.push({
        type: 'FieldValueInvalid',
        field: childPath(path, 'pattern'),
        value: s.pattern,
        detail: `must be a valid regular expression, but isn't: ${(err as Error).message}`,
      });
    }
  }
  if (s['x-kubernetes-preserve-unknown-fields'] === false) {
    errs.push({ type: 'FieldValueInvalid', field: childPath(path, 'x-kubernetes-preserve-unknown-fields'), value: false, detail: 'must be true or undefined' });
  }

  if (where === 'valueValidation') {
    validateValueValidation(s, path, ctx);
  } else {
    validateStructural(s, path, ctx, where);
  }

  for (const [k, p] of Object.entries(s.properties ?? {}))
    validateNode(p, keyPath(childPath(path, 'properties'), k), ctx, where === 'valueValidation' ? where : 'property');
  if (isObject(s.additionalProperties)) {
    validateNode(
      s.additionalProperties as JSONSchemaProps,
      childPath(path, 'additionalProperties'),
      ctx,
      where === 'valueValidation' ? where : 'additionalProperties',
    );
  }
  const items = itemsSchema(s);
  if (items) validateNode(items, childPath(path, 'items'), ctx, where === 'valueValidation' ? where : 'items');
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    // x-kubernetes-int-or-string may spell out its two types, as controller-gen writes it:
    // anyOf: [{type: integer}, {type: string}], or that anyOf as the first allOf entry.
    if (intOrString && k === 'anyOf' && isIntOrStringAnyOf(s.anyOf)) continue;
    (s[k] ?? []).forEach((b, i) => {
      const bp = indexPath(childPath(path, k), i);
      if (intOrString && k === 'allOf' && i === 0 && isIntOrStringAnyOf(b.anyOf)) {
        const { anyOf: _, ...rest } = b;
        validateNode(rest, bp, ctx, 'valueValidation');
      } else validateNode(b, bp, ctx, 'valueValidation');
    });
  }
  if (s.not) validateNode(s.not, childPath(path, 'not'), ctx, 'valueValidation');
}

/** The structural part: types everywhere, consistent extensions, valid defaults. */
function validateStructural(s: JSONSchemaProps, path: string, ctx: Ctx, where: Where): void {
  const errs = ctx.errs;
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (intOrString && s.type !== undefined) {
    errs.push({ type: 'FieldValueInvalid', field: childPath(path, 'type'), value: s.type, detail: 'must be empty if x-kubernetes-int-or-string is true' });
  }
  if (!s.type && !intOrString && !preserve && where !== 'root') {
    const what = where === 'items' ? 'array items' : 'object fields';
    errs.push({ type: 'FieldValueRequired', field: childPath(path, 'type'), detail: `must not be empty for specified ${what}` });
  }
  if (s.type === 'array' && !s.items) errs.push({ type: 'FieldValueRequired', field: childPath(path, 'items'), detail: 'must be specified' });
  if (s['x-kubernetes-embedded-resource']) {
    if (s.type !== 'object') {
      errs.push({
        type: 'FieldValueInvalid',
        field: childPath(path, 'type'),
        value: s.type ?? '',
        detail: 'must be object if x-kubernetes-embedded-resource is true',
      });
    }
    if (!preserve && !s.properties) {
      errs.push({
        type: 'FieldValueRequired',
        field: childPath(path, 'x-kubernetes-preserve-unknown-fields'),
        detail: 'must be true if x-kubernetes-embedded-resource is true and properties are empty',
      });
    }
  }
  validateListType(s, path, ctx);
  const mapType = s['x-kubernetes-map-type'];
  if (mapType !== undefined && mapType !== 'atomic' && mapType !== 'granular') {
    errs.push({ type: 'FieldValueNotSupported', field: childPath(path, 'x-kubernetes-map-type'), value: mapType, supported: ['atomic', 'granular'] });
  }
  if (s.default !== undefined) validateDefault(s, path, ctx);
}

function validateListType(s: JSONSchemaProps, path: string, ctx: Ctx): void {
  const errs = ctx.errs;
  const lt = s['x-kubernetes-list-type'];
  const keys = s['x-kubernetes-list-map-keys'];
  if (lt === undefined) {
    if (keys !== undefined) {
      errs.push({
        type: 'FieldValueForbidden',
        field: childPath(path, 'x-kubernetes-list-map-keys'),
        detail: 'must not be set if x-kubernetes-list-type is not map',
      });
    }
    return;
  }
  if (s.type !== 'array') {
    errs.push({
      type: 'FieldValueInvalid',
      field: childPath(path, 'type'),
      value: s.type ?? '',
      detail: 'must be array if x-kubernetes-list-type is specified',
    });
  }
  if (!['atomic', 'map', 'set'].includes(lt)) {
    errs.push({ type: 'FieldValueNotSupported', field: childPath(path, 'x-kubernetes-list-type'), value: lt, supported: ['atomic', 'map', 'set'] });
    return;
  }
  const items = itemsSchema(s);
  if (lt === 'map') {
    if (!keys?.length) {
      errs.push({
        type: 'FieldValueRequired',
        field: childPath(path, 'x-kubernetes-list-map-keys'),
        detail: 'must not be empty if x-kubernetes-list-type is map',
      });
    }
    if (items && items.type !== 'object') {
      errs.push({
        type: 'FieldValueInvalid',
        field: childPath(childPath(path, 'items'), 'type'),
        value: items.type ?? '',
        detail: "must be object if parent array's x-kubernetes-list-type is map",
      });
    }
    for (const [i, k] of (keys ?? []).entries()) {
      const ks = items?.properties?.[k];
      const kp = indexPath(childPath(path, 'x-kubernetes-list-map-keys'), i);
      if (!ks) errs.push({ type: 'FieldValueInvalid', field: kp, value: k, detail: 'entries must all be names of item properties' });
      else if (!['string', 'integer', 'number', 'boolean'].includes(ks.type ?? '') && !ks['x-kubernetes-int-or-string']) {
        errs.push({ type: 'FieldValueInvalid', field: kp, value: k, detail: "must be a scalar type if parent array's x-kubernetes-list-type is map" });
      } else if (ks.default === undefined && !items?.required?.includes(k)) {
        errs.push({ type: 'FieldValueRequired', field: kp, detail: 'entries are required to have a default or be required' });
      }
    }
  } else if (keys !== undefined) {
    errs.push({
      type: 'FieldValueForbidden',
      field: childPath(path, 'x-kubernetes-list-map-keys'),
      detail: 'must not be set if x-kubernetes-list-type is not map',
    });
  }
  if (
    lt === 'set' &&
    items &&
    (items.type === 'object' || items.type === 'array') &&
    items['x-kubernetes-map-type'] !== 'atomic' &&
    items['x-kubernetes-list-type'] !== 'atomic'
  ) {
    errs.push({
      type: 'FieldValueInvalid',
      field: childPath(childPath(path, 'items'), 'x-kubernetes-map-type'),
      value: items['x-kubernetes-map-type'] ?? '',
      detail: 'must be atomic as item of a list with x-kubernetes-list-type=set',
    });
  }
}

/** A default must survive pruning; its value validation is batched (validateDefaults). */
function validateDefault(s: JSONSchemaProps, path: string, ctx: Ctx): void {
  const dp = childPath(path, 'default');
  ctx.defaults.push({ schema: s, path: dp });
  const copy = structuredClone(s.default);
  const pruned = pruneUnknown(copy, s, { root: false, preserveAtRoot: false });
  if (pruned.length) {
    ctx.errs.push({
      type: 'FieldValueInvalid',
      field: dp,
      value: s.default,
      detail: `must not have unknown fields: ${pruned.map((p) => p.slice(1)).join(', ')}`,
    });
  }
}

/**
 * Validates every default against its schema with one ajv compilation: the schemas become the
 * properties of one object and the defaults its values (a compilation per default would cost a
 * second on Gateway API's HTTPRoute, which has dozens).
 */
function validateDefaults(ctx: Ctx): void {
  if (ctx.defaults.length === 0) return;
  const key = (i: number) => `__default_${i}__`;
  const properties: Record<string, JSONSchemaProps> = {};
  const values: Record<string, unknown> = {};
  ctx.defaults.forEach((d, i) => {
    properties[key(i)] = restrictToValues(d.schema, [d.schema.default]);
    values[key(i)] = d.schema.default;
  });
  let validator: ReturnType<typeof compileOpenAPIValidator>;
  try {
    validator = compileOpenAPIValidator({ type: 'object', properties });
  } catch {
    return; // a schema ajv cannot compile is reported through its pattern
  }
  for (const e of validator(values)) {
    const m = /^__default_(\d+)__/.exec(e.field);
    const d = m ? ctx.defaults[Number(m[1])] : undefined;
    if (!m || !d) continue;
    const rename = (t: string) => t.replaceAll(m[0], d.path);
    ctx.errs.push({ ...e, field: rename(e.field), ...(e.detail !== undefined ? { detail: rename(e.detail) } : {}) });
  }
}

/**
 * The part of a schema that can judge these values: properties, map values and items the values
 * do not have cannot fail (a missing property fails its parent's `required`, which stays). A
 * default high in a large CRD (Gateway API's `rules`) would otherwise make ajv compile the whole
 * subtree.
 */
function restrictToValues(s: JSONSchemaProps, values: unknown[]): JSONSchemaProps {
  const { properties, additionalProperties, items, ...rest } = s;
  const out: JSONSchemaProps = rest;
  const objects = values.filter(isObject);
  if (properties) {
    const present: Record<string, JSONSchemaProps> = {};
    for (const [k, p] of Object.entries(properties)) {
      const vs = objects.filter((o) => k in o).map((o) => o[k]);
      if (vs.length) present[k] = restrictToValues(p, vs);
    }
    out.properties = present;
  }
  if (isObject(additionalProperties)) {
    const vs = objects.flatMap((o) =>
      Object.entries(o)
        .filter(([k]) => !properties?.[k])
        .map(([, v]) => v),
    );
    if (vs.length) out.additionalProperties = restrictToValues(additionalProperties as JSONSchemaProps, vs);
  } else if (additionalProperties !== undefined) out.additionalProperties = additionalProperties;
  if (items && !Array.isArray(items)) {
    const vs = values.filter(Array.isArray).flat();
    if (vs.length) out.items = restrictToValues(items, vs);
  }
  return out;
}

/** allOf/anyOf/oneOf/not branches only restrict values: no types, defaults or extensions. */
function validateValueValidation(s: JSONSchemaProps, path: string, ctx: Ctx): void {
  const mustBeEmpty = ['type', 'default', 'nullable', 'additionalProperties', 'description', 'title'] as const;
  for (const k of mustBeEmpty) {
    if (s[k] !== undefined) ctx.errs.push({ type: 'FieldValueForbidden', field: childPath(path, k), detail: 'must be empty to be structural' });
  }
  for (const k of [
    'x-kubernetes-preserve-unknown-fields',
    'x-kubernetes-embedded-resource',
    'x-kubernetes-int-or-string',
    'x-kubernetes-list-type',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-map-type',
  ] as const) {
    if (s[k] !== undefined) ctx.errs.push({ type: 'FieldValueForbidden', field: childPath(path, k), detail: 'must be undefined to be structural' });
  }
  if (s['x-kubernetes-validations'] !== undefined) {
    ctx.errs.push({
      type: 'FieldValueForbidden',
      field: childPath(path, 'x-kubernetes-validations'),
      detail: 'rules inside allOf, anyOf, oneOf or not are not supported by this server; declare them on the structural schema',
    });
  }
}
