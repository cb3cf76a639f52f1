// Validation ratcheting on update: errors about values that did not change are dropped.
import { expect } from 'chai';
import { compileVersionSchema, type JSONSchemaProps } from '../../../src/apiextensions/schema/index.ts';
import { validateSpec } from './helpers.ts';

describe('apiextensions schema: validation ratcheting on update', () => {
  const spec: JSONSchemaProps = {
    type: 'object',
    properties: {
      name: { type: 'string', maxLength: 3 },
      other: { type: 'string' },
      ref: { type: 'object', required: ['kind'], properties: { kind: { type: 'string' }, name: { type: 'string' } } },
      tags: { type: 'array', items: { type: 'string', maxLength: 2 } },
      ports: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer', maximum: 1000 } } },
      },
      replicas: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self % 2 == 1', message: 'must be odd' }] },
    },
  };
  const old = { name: 'toolong', ref: { name: 'x' }, tags: ['abc'], ports: [{ name: 'http', port: 8080 }], replicas: 2 };

  it('keeps accepting values that were already invalid and did not change', () => {
    expect(validateSpec(spec, { ...old, other: 'changed' }, old)).to.deep.equal([]);
  });

  it('still reports them on create and once they change', () => {
    expect(validateSpec(spec, old)).to.deep.equal([
      'spec.name: Too long: may not be more than 3 bytes',
      'spec.ref.kind: Required value',
      'spec.tags[0]: Too long: may not be more than 2 bytes',
      'spec.ports[0].port: Invalid value: 8080: spec.ports[0].port in body should be less than or equal to 1000',
      'spec.replicas: Invalid value: 2: must be odd',
    ]);
    const changed = {
      name: 'toolonger',
      ref: { name: 'y' },
      tags: ['abc', 'de'],
      ports: [
        { name: 'admin', port: 9090 },
        { name: 'http', port: 8080 },
      ],
      replicas: 4,
    };
    expect(validateSpec(spec, changed, old)).to.deep.equal([
      'spec.name: Too long: may not be more than 3 bytes',
      'spec.ref.kind: Required value',
      'spec.tags[0]: Too long: may not be more than 2 bytes',
      'spec.ports[0].port: Invalid value: 9090: spec.ports[0].port in body should be less than or equal to 1000',
      'spec.replicas: Invalid value: 4: must be odd',
    ]);
  });

  it('returns ratcheted rule failures as warnings', () => {
    const c = compileVersionSchema({ type: 'object', properties: { spec } });
    const cr = (s: unknown) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: s });
    const warnings: string[] = [];
    expect(c.validate(cr({ ...old, other: 'changed' }), cr(old), warnings)).to.deep.equal([]);
    expect(warnings).to.deep.equal(['spec.replicas: Invalid value: 2: must be odd']);
  });
});
