// validateCustomResourceSchema: the structural-schema checks of CRD create/update.
import { expect } from 'chai';
import { type JSONSchemaProps, validateCustomResourceSchema } from '../../../src/apiextensions/schema/index.ts';
import { messages } from './helpers.ts';

const root = 'spec.versions[0].schema.openAPIV3Schema';
const check = (s: unknown) => messages(validateCustomResourceSchema(s as JSONSchemaProps, root));
const withSpec = (spec: unknown) => check({ type: 'object', properties: { spec } });
const sp = `${root}.properties[spec]`;

describe('apiextensions schema: structural schema checks at CRD create', () => {
  it('requires an object at the root and a schema at all', () => {
    expect(check(undefined)).to.deep.equal([`${root}: Required value: schemas are required`]);
    expect(check({ properties: {} })).to.deep.equal([`${root}.type: Required value: must not be empty at the root`]);
    expect(check({ type: 'string' })).to.deep.equal([`${root}.type: Invalid value: "string": must be object at the root`]);
    expect(check({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true })).to.deep.equal([]);
  });

  it('reports malformed JSON shapes instead of failing on them', () => {
    expect(
      withSpec({ type: 'object', properties: { a: 'string', l: { type: 'array', items: { type: 'string' }, maxItems: -1 } }, required: 'a', allOf: {} }),
    ).to.deep.equal([
      `${sp}.properties[a]: Invalid value: "string": must be an object`,
      `${sp}.properties[l].maxItems: Invalid value: -1: must be a non-negative integer`,
      `${sp}.allOf: Invalid value: map[string]string{}: must be a list of schemas`,
      `${sp}.required: Invalid value: "a": must be a list of strings`,
    ]);
    expect(withSpec({ type: 'object', 'x-kubernetes-validations': { rule: 'true' } })).to.deep.equal([
      `${sp}.x-kubernetes-validations: Invalid value: map[string]string{"rule":"true"}: must be a list`,
    ]);
  });

  it('requires a type on every field and items on every array', () => {
    expect(withSpec({ properties: { a: { type: 'string' } } })).to.deep.equal([`${sp}.type: Required value: must not be empty for specified object fields`]);
    expect(withSpec({ type: 'object', properties: { l: { type: 'array' }, m: { type: 'array', items: {} } } })).to.deep.equal([
      `${sp}.properties[l].items: Required value: must be specified`,
      `${sp}.properties[m].items.type: Required value: must not be empty for specified array items`,
    ]);
    expect(withSpec({ type: 'object', properties: { t: { type: 'float' } } })).to.deep.equal([
      `${sp}.properties[t].type: Unsupported value: "float": supported values: "array", "boolean", "integer", "number", "object", "string"`,
    ]);
  });

  it('refuses keywords Kubernetes does not support', () => {
    expect(
      withSpec({
        type: 'object',
        properties: {
          r: { $ref: '#/definitions/x' },
          u: { type: 'array', items: { type: 'string' }, uniqueItems: true },
          t: { type: 'array', items: [{ type: 'string' }] },
          f: { type: 'object', additionalProperties: false },
          both: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } },
          p: { type: 'object', patternProperties: { '^a': { type: 'string' } } },
        },
      }),
    ).to.deep.equal([
      `${sp}.properties[r].$ref: Forbidden: $ref is not supported`,
      `${sp}.properties[r].type: Required value: must not be empty for specified object fields`,
      `${sp}.properties[u].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`,
      `${sp}.properties[t].items: Forbidden: items must be a schema object and not an array`,
      `${sp}.properties[f].additionalProperties: Forbidden: additionalProperties cannot be set to false`,
      `${sp}.properties[both].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
      `${sp}.properties[p].patternProperties: Forbidden: patternProperties is not supported`,
    ]);
  });

  it('checks the Kubernetes extensions', () => {
    expect(
      withSpec({
        type: 'object',
        properties: {
          p: { type: 'object', 'x-kubernetes-preserve-unknown-fields': false },
          ios: { type: 'string', 'x-kubernetes-int-or-string': true },
          e: { type: 'string', 'x-kubernetes-embedded-resource': true },
          e2: { type: 'object', 'x-kubernetes-embedded-resource': true },
          lt: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'bag' },
          lm: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } }, 'x-kubernetes-list-type': 'map' },
          lk: {
            type: 'array',
            items: { type: 'object', properties: { name: { type: 'string' } } },
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['name', 'port'],
          },
        },
      }),
    ).to.deep.equal([
      `${sp}.properties[p].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
      `${sp}.properties[ios].type: Invalid value: "string": must be empty if x-kubernetes-int-or-string is true`,
      `${sp}.properties[e].type: Invalid value: "string": must be object if x-kubernetes-embedded-resource is true`,
      `${sp}.properties[e].x-kubernetes-preserve-unknown-fields: Required value: must be true if x-kubernetes-embedded-resource is true and properties are empty`,
      `${sp}.properties[e2].x-kubernetes-preserve-unknown-fields: Required value: must be true if x-kubernetes-embedded-resource is true and properties are empty`,
      `${sp}.properties[lt].x-kubernetes-list-type: Unsupported value: "bag": supported values: "atomic", "map", "set"`,
      `${sp}.properties[lm].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`,
      `${sp}.properties[lk].x-kubernetes-list-map-keys[0]: Required value: entries are required to have a default or be required`,
      `${sp}.properties[lk].x-kubernetes-list-map-keys[1]: Invalid value: "port": entries must all be names of item properties`,
    ]);
  });

  it('lets metadata restrict only name and generateName', () => {
    const meta = (m: unknown) => check({ type: 'object', properties: { metadata: m } });
    expect(meta({ type: 'object', properties: { name: { type: 'string', maxLength: 20 } } })).to.deep.equal([]);
    const forbidden = `${root}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`;
    expect(meta({ type: 'object', properties: { labels: { type: 'object' } } })).to.deep.equal([forbidden]);
    expect(meta({ type: 'object', required: ['name'] })).to.deep.equal([forbidden]);
  });

  it('checks patterns and defaults', () => {
    expect(
      withSpec({
        type: 'object',
        properties: {
          re: { type: 'string', pattern: '([a-z' },
          n: { type: 'integer', default: 'three' },
          o: { type: 'object', properties: { a: { type: 'string' } }, default: { a: 'x', b: 'y' } },
          ok: { type: 'integer', default: 3, minimum: 1 },
          deep: {
            type: 'object',
            properties: { a: { type: 'array', items: { type: 'object', required: ['c'], properties: { b: { type: 'integer' }, c: { type: 'string' } } } } },
            default: { a: [{ b: 'x', c: 'y' }, { b: 1 }] },
          },
        },
      }),
    ).to.have.members([
      `${sp}.properties[re].pattern: Invalid value: "([a-z": must be a valid regular expression, but isn't: Invalid regular expression: /([a-z/u: Unterminated character class`,
      `${sp}.properties[n].default: Invalid value: "string": ${sp}.properties[n].default in body must be of type integer: "string"`,
      `${sp}.properties[deep].default.a[0].b: Invalid value: "string": ${sp}.properties[deep].default.a[0].b in body must be of type integer: "string"`,
      `${sp}.properties[deep].default.a[1].c: Required value`,
      // Kubernetes prints map[string]interface {}{...}: the shared field-error printer types a map by its values
      `${sp}.properties[o].default: Invalid value: map[string]string{"a":"x", "b":"y"}: must not have unknown fields: b`,
    ]);
  });

  it('lets x-kubernetes-int-or-string spell out its two types, as controller-gen writes it', () => {
    const ios = (extra: JSONSchemaProps) => withSpec({ type: 'object', properties: { port: { 'x-kubernetes-int-or-string': true, ...extra } } });
    expect(ios({ anyOf: [{ type: 'integer' }, { type: 'string' }], pattern: '^[0-9]+m?$' })).to.deep.equal([]);
    expect(ios({ allOf: [{ anyOf: [{ type: 'integer' }, { type: 'string' }] }, { pattern: '^a' }] })).to.deep.equal([]);
    expect(ios({ anyOf: [{ type: 'integer' }, { type: 'boolean' }] })).to.deep.equal([
      `${sp}.properties[port].anyOf[0].type: Forbidden: must be empty to be structural`,
      `${sp}.properties[port].anyOf[1].type: Forbidden: must be empty to be structural`,
    ]);
  });

  it('keeps allOf/anyOf/oneOf/not to value validations', () => {
    expect(
      withSpec({
        type: 'object',
        properties: { a: { type: 'string', anyOf: [{ type: 'string', pattern: '^a' }, { default: 'b' }] } },
      }),
    ).to.deep.equal([
      `${sp}.properties[a].anyOf[0].type: Forbidden: must be empty to be structural`,
      `${sp}.properties[a].anyOf[1].default: Forbidden: must be empty to be structural`,
    ]);
  });
});
