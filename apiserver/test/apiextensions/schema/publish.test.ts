// The schema as /openapi/v2 and /openapi/v3 publish it.
import { expect } from 'chai';
import { type JSONSchemaProps, toOpenAPIV2Schema, toOpenAPIV3Schema } from '../../../src/apiextensions/schema/index.ts';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['size', 'note'],
      'x-kubernetes-validations': [{ rule: 'self.size > 0' }],
      properties: {
        size: { type: 'integer', anyOf: [{ minimum: 1 }, { maximum: -1 }] },
        note: { type: 'string', nullable: true },
        port: { 'x-kubernetes-int-or-string': true },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: { type: 'string' } } },
        labels: { type: 'object', additionalProperties: { type: 'string', nullable: true } },
      },
    },
  },
};

describe('apiextensions schema: OpenAPI publishing', () => {
  it('v3 keeps the schema and its extensions, adding apiVersion, kind and an ObjectMeta reference', () => {
    const v3 = toOpenAPIV3Schema(schema) as { properties: Record<string, unknown> };
    expect(v3.properties.spec).to.deep.equal(schema.properties!.spec);
    expect(v3.properties.metadata).to.deep.include({ allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }] });
    expect(v3.properties.apiVersion).to.deep.include({ type: 'string' });
    expect(v3.properties.kind).to.deep.include({ type: 'string' });
  });

  it('v2 is the structural schema kubectl can digest', () => {
    const v2 = toOpenAPIV2Schema(schema) as { properties: Record<string, any> };
    const spec = v2.properties.spec;
    expect(spec.required).to.deep.equal(['size']);
    expect(spec['x-kubernetes-validations']).to.deep.equal([{ rule: 'self.size > 0' }]);
    expect(spec.properties.size).to.deep.equal({ type: 'integer' });
    expect(spec.properties.note).to.deep.equal({});
    expect(spec.properties.port).to.deep.equal({ 'x-kubernetes-int-or-string': true });
    expect(spec.properties.extra).to.deep.equal({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    expect(spec.properties.labels).to.deep.equal({ type: 'object', additionalProperties: true });
    expect(v2.properties.metadata).to.deep.include({ $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' });
    // the input is not modified
    expect(schema.properties!.spec!.properties!.note).to.deep.equal({ type: 'string', nullable: true });
  });
});
