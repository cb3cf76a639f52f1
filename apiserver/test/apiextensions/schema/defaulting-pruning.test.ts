// Structural defaulting and pruning of custom resources.
import { expect } from 'chai';
import { compileVersionSchema, type JSONSchemaProps } from '../../../src/apiextensions/schema/index.ts';

const cr = (spec: unknown, extra: Record<string, unknown> = {}) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec, ...extra });

describe('apiextensions schema: defaulting', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        default: {},
        properties: {
          replicas: { type: 'integer', default: 1 },
          mode: { type: 'string', default: 'fast' },
          note: { type: 'string', nullable: true, default: 'n' },
          gone: { type: 'string' },
          kept: { type: 'string', nullable: true },
          ports: {
            type: 'array',
            items: { type: 'object', default: { port: 80 }, properties: { port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' } } },
          },
          limits: { type: 'object', additionalProperties: { type: 'object', properties: { max: { type: 'integer', default: 10 } } } },
          template: { type: 'object', default: { a: [1] }, properties: { a: { type: 'array', items: { type: 'integer' } } } },
        },
      },
    },
  };
  const c = compileVersionSchema(schema);

  it('fills absent fields, and nulls where null is not allowed', () => {
    const obj = cr({ mode: null, note: null, gone: null, kept: null });
    c.default(obj);
    expect(obj.spec).to.deep.equal({ replicas: 1, mode: 'fast', note: null, kept: null, template: { a: [1] } });
  });

  it('defaults inside list items and map values, and null items', () => {
    const obj = cr({ ports: [{ port: 8080 }, null], limits: { cpu: {}, mem: { max: 3 } } });
    c.default(obj);
    const spec = obj.spec as Record<string, unknown>;
    expect(spec.ports).to.deep.equal([
      { port: 8080, protocol: 'TCP' },
      { port: 80, protocol: 'TCP' },
    ]);
    expect(spec.limits).to.deep.equal({ cpu: { max: 10 }, mem: { max: 3 } });
  });

  it('creates a defaulted parent and copies defaults rather than sharing them', () => {
    const a: Record<string, unknown> = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'a' } };
    const b: Record<string, unknown> = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'b' } };
    c.default(a);
    c.default(b);
    expect(a.spec).to.deep.include({ replicas: 1, mode: 'fast' });
    ((a.spec as Record<string, { a: number[] }>).template!.a as number[]).push(2);
    expect((b.spec as Record<string, { a: number[] }>).template!.a).to.deep.equal([1]);
  });
});

describe('apiextensions schema: pruning', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          known: { type: 'string' },
          list: { type: 'array', items: { type: 'object', properties: { a: { type: 'string' } } } },
          free: {
            type: 'object',
            'x-kubernetes-preserve-unknown-fields': true,
            properties: { typed: { type: 'object', properties: { x: { type: 'string' } } } },
          },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { y: { type: 'string' } } } } },
        },
      },
    },
  };
  const c = compileVersionSchema(schema);

  it('removes unknown fields and reports their paths', () => {
    const obj = cr(
      {
        known: 'k',
        unknown: 1,
        list: [{ a: 'x', b: 'y' }],
        free: { anything: { goes: true }, typed: { x: 'x', z: 'z' } },
        labels: { any: 'key' },
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { y: 'y', w: 'w' }, other: 1 },
      },
      { status: { phase: 'x' } },
    );
    const pruned = c.prune(obj);
    expect(pruned).to.have.members(['.spec.unknown', '.spec.list[0].b', '.spec.free.typed.z', '.spec.template.spec.w', '.spec.template.other', '.status']);
    expect(obj).to.deep.equal(
      cr({
        known: 'k',
        list: [{ a: 'x' }],
        free: { anything: { goes: true }, typed: { x: 'x' } },
        labels: { any: 'key' },
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { y: 'y' } },
      }),
    );
  });

  it('keeps apiVersion, kind and metadata at the root, and everything when the root preserves unknown fields', () => {
    const obj = { apiVersion: 'a/v1', kind: 'K', metadata: { name: 'n', labels: { a: 'b' } }, spec: { known: 'k' } };
    expect(c.prune(obj)).to.deep.equal([]);
    const open = compileVersionSchema({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    const any = { apiVersion: 'a/v1', kind: 'K', metadata: { name: 'n' }, spec: { x: 1 }, data: [1] };
    expect(open.prune(any)).to.deep.equal([]);
    expect(any.data).to.deep.equal([1]);
    const legacy = compileVersionSchema({ type: 'object', properties: { spec: { type: 'object' } } }, { preserveUnknownFieldsAtRoot: true });
    expect(legacy.prune({ apiVersion: 'a/v1', kind: 'K', extra: 1 })).to.deep.equal([]);
  });
});

describe('apiextensions schema: a stored schema that does not compile', () => {
  it('refuses objects with an internal error instead of throwing', () => {
    const c = compileVersionSchema({ type: 'object', properties: { spec: { type: 'string', pattern: '([a-z' } } });
    expect(c.validate(cr('x'))).to.deep.equal([
      {
        type: 'InternalError',
        field: '',
        detail: 'the schema of this version does not compile: Invalid regular expression: /([a-z/u: Unterminated character class',
      },
    ]);
  });
});
