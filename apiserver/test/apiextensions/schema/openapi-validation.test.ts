// OpenAPI v3 validation of custom resources, with the messages kube-openapi and apiextensions print.
import { expect } from 'chai';
import { validateSpec } from './helpers.ts';

describe('apiextensions schema: OpenAPI validation messages', () => {
  it('reports a wrong type with the value type, as kube-openapi does', () => {
    const spec = { type: 'object', properties: { replicas: { type: 'integer' }, ratio: { type: 'number' }, on: { type: 'boolean' } } };
    expect(validateSpec(spec, { replicas: 'string', ratio: 'x', on: 1 })).to.deep.equal([
      'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
      'spec.ratio: Invalid value: "string": spec.ratio in body must be of type number: "string"',
      'spec.on: Invalid value: "integer": spec.on in body must be of type boolean: "integer"',
    ]);
    expect(validateSpec(spec, { replicas: 1.5 })).to.deep.equal([
      'spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"',
    ]);
    expect(validateSpec(spec, { replicas: 3, ratio: 0.5, on: true })).to.deep.equal([]);
  });

  it('reports required fields, enums, lengths and bounds', () => {
    const spec = {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 2, maxLength: 5, pattern: '^[a-z]+$' },
        mode: { type: 'string', enum: ['a', 'b'] },
        size: { type: 'integer', enum: [1, 2] },
        replicas: { type: 'integer', minimum: 1, maximum: 10 },
        weight: { type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 1, exclusiveMaximum: true },
        step: { type: 'integer', multipleOf: 5 },
      },
    };
    expect(validateSpec(spec, {})).to.deep.equal(['spec.name: Required value']);
    expect(validateSpec(spec, { name: 'TOOLONG', mode: 'c', size: 3, replicas: 11, weight: 1, step: 7 })).to.deep.equal([
      'spec.name: Too long: may not be more than 5 bytes',
      'spec.name: Invalid value: "TOOLONG": spec.name in body should match \'^[a-z]+$\'',
      'spec.mode: Unsupported value: "c": supported values: "a", "b"',
      'spec.size: Unsupported value: 3: supported values: "1", "2"',
      'spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10',
      'spec.weight: Invalid value: 1: spec.weight in body should be less than 1',
      'spec.step: Invalid value: 7: spec.step in body should be a multiple of 5',
    ]);
    expect(validateSpec(spec, { name: 'a', replicas: 0, weight: 0 })).to.deep.equal([
      'spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long',
      'spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1',
      'spec.weight: Invalid value: 0: spec.weight in body should be greater than 0',
    ]);
  });

  it('reads patterns as Go regular expressions', () => {
    const spec = {
      type: 'object',
      properties: {
        name: { type: 'string', pattern: '(?i)^[a-z]+$' },
        digits: { type: 'string', pattern: '\\A[[:digit:]]+\\z' },
        word: { type: 'string', pattern: '^\\pL+$' },
      },
    };
    expect(validateSpec(spec, { name: 'ABC', digits: '123', word: 'Grüße' })).to.deep.equal([]);
    expect(validateSpec(spec, { name: 'A1', digits: '12a', word: 'a-b' })).to.deep.equal([
      'spec.name: Invalid value: "A1": spec.name in body should match \'(?i)^[a-z]+$\'',
      'spec.digits: Invalid value: "12a": spec.digits in body should match \'\\A[[:digit:]]+\\z\'',
      'spec.word: Invalid value: "a-b": spec.word in body should match \'^\\pL+$\'',
    ]);
  });

  it('counts items and properties', () => {
    const spec = {
      type: 'object',
      properties: {
        list: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 },
        labels: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 1, minProperties: 1 },
      },
    };
    expect(validateSpec(spec, { list: ['a', 'b', 'c'], labels: { a: 'x', b: 'y' } })).to.deep.equal([
      'spec.list: Too many: 3: must have at most 2 items',
      'spec.labels: Too many: 2: must have at most 1 items',
    ]);
    expect(validateSpec(spec, { list: [], labels: {} })).to.deep.equal([
      'spec.list: Invalid value: 0: spec.list in body should have at least 1 items',
      'spec.labels: Invalid value: 0: spec.labels in body should have at least 1 properties',
    ]);
  });

  it('names list items and map values in paths', () => {
    const spec = {
      type: 'object',
      properties: {
        ports: { type: 'array', items: { type: 'object', required: ['port'], properties: { port: { type: 'integer', maximum: 65535 } } } },
        env: { type: 'object', additionalProperties: { type: 'integer' } },
      },
    };
    expect(validateSpec(spec, { ports: [{ port: 80 }, {}, { port: 70000 }], env: { '0': 'x' } })).to.deep.equal([
      'spec.ports[1].port: Required value',
      'spec.ports[2].port: Invalid value: 70000: spec.ports[2].port in body should be less than or equal to 65535',
      'spec.env.0: Invalid value: "string": spec.env.0 in body must be of type integer: "string"',
    ]);
  });

  it('lets null through only where nullable, skipping every other check of it', () => {
    const spec = {
      type: 'object',
      properties: { a: { type: 'string', nullable: true, enum: ['x'] }, b: { type: 'string' }, c: { type: 'object', nullable: true, required: ['z'] } },
    };
    expect(validateSpec(spec, { a: null, c: null })).to.deep.equal([]);
    expect(validateSpec(spec, { a: 'y', b: null })).to.deep.equal([
      'spec.a: Unsupported value: "y": supported values: "x"',
      'spec.b: Invalid value: "null": spec.b in body must be of type string: "null"',
    ]);
  });

  it('accepts integers and strings for x-kubernetes-int-or-string and nothing else', () => {
    const spec = { type: 'object', properties: { port: { 'x-kubernetes-int-or-string': true } } };
    expect(validateSpec(spec, { port: 8080 })).to.deep.equal([]);
    expect(validateSpec(spec, { port: 'http' })).to.deep.equal([]);
    expect(validateSpec(spec, { port: true })).to.deep.equal([
      'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
    ]);
    // as controller-gen writes it, with the two types spelled out and a pattern for the strings
    const spelled = {
      type: 'object',
      properties: { q: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }], pattern: '^[0-9]+m?$' } },
    };
    expect(validateSpec(spelled, { q: 5 })).to.deep.equal([]);
    expect(validateSpec(spelled, { q: '5m' })).to.deep.equal([]);
    expect(validateSpec(spelled, { q: 'x' })).to.deep.equal(['spec.q: Invalid value: "x": spec.q in body should match \'^[0-9]+m?$\'']);
    expect(validateSpec(spelled, { q: true })).to.deep.equal(['spec.q: Invalid value: "boolean": spec.q in body must be of type integer,string: "boolean"']);
  });

  it('checks the formats apiextensions supports and ignores the others', () => {
    const spec = {
      type: 'object',
      properties: {
        at: { type: 'string', format: 'date-time' },
        id: { type: 'string', format: 'uuid' },
        ip: { type: 'string', format: 'ipv4' },
        net: { type: 'string', format: 'cidr' },
        other: { type: 'string', format: 'my-own-format' },
      },
    };
    expect(validateSpec(spec, { at: '2024-02-30T00:00:00Z', id: 'nope', ip: '10.0.0.256', net: '10.0.0.0/33', other: 'anything' })).to.deep.equal([
      'spec.at: Invalid value: "2024-02-30T00:00:00Z": spec.at in body must be of type date-time: "2024-02-30T00:00:00Z"',
      'spec.id: Invalid value: "nope": spec.id in body must be of type uuid: "nope"',
      'spec.ip: Invalid value: "10.0.0.256": spec.ip in body must be of type ipv4: "10.0.0.256"',
      'spec.net: Invalid value: "10.0.0.0/33": spec.net in body must be of type cidr: "10.0.0.0/33"',
    ]);
    expect(
      validateSpec(spec, { at: '2024-02-29T10:00:00.5+01:00', id: '123e4567-e89b-12d3-a456-426614174000', ip: '10.0.0.1', net: 'fd00::/64' }),
    ).to.deep.equal([]);
  });

  it('reports anyOf, oneOf and not as a whole, allOf through its branches', () => {
    const spec = {
      type: 'object',
      properties: {
        any: { type: 'string', anyOf: [{ pattern: '^a' }, { pattern: '^b' }] },
        one: { type: 'integer', oneOf: [{ minimum: 0 }, { maximum: 10 }] },
        not: { type: 'string', not: { enum: ['forbidden'] } },
        all: { type: 'integer', allOf: [{ minimum: 5 }, { maximum: 6 }] },
      },
    };
    expect(validateSpec(spec, { any: 'c', one: 5, not: 'forbidden', all: 7 })).to.deep.equal([
      'spec.any: Invalid value: "": "spec.any" must validate at least one schema (anyOf)',
      'spec.one: Invalid value: "": "spec.one" must validate one and only one schema (oneOf)',
      'spec.not: Invalid value: "": "spec.not" must not validate the schema (not)',
      'spec.all: Invalid value: 7: spec.all in body should be less than or equal to 6',
    ]);
  });
});
