// list-type uniqueness and embedded resources.
import { expect } from 'chai';
import { validateSpec } from './helpers.ts';

describe('apiextensions schema: list types and embedded resources', () => {
  it('refuses duplicates in a list-type set', () => {
    const spec = { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' } } };
    expect(validateSpec(spec, { tags: ['a', 'b', 'a'] })).to.deep.equal(['spec.tags[2]: Duplicate value: "a"']);
    expect(validateSpec(spec, { tags: ['a', 'b'] })).to.deep.equal([]);
  });

  it('refuses two items of a list-type map with the same keys', () => {
    const spec = {
      type: 'object',
      properties: {
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['port', 'protocol'],
          items: { type: 'object', required: ['port', 'protocol'], properties: { port: { type: 'integer' }, protocol: { type: 'string' } } },
        },
      },
    };
    const ok = [
      { port: 80, protocol: 'TCP' },
      { port: 80, protocol: 'UDP' },
    ];
    expect(validateSpec(spec, { ports: ok })).to.deep.equal([]);
    // Kubernetes prints the key tuple with Go's %#v (map[string]interface {}{...}); the shared
    // field-error printer shows mixed-type maps as JSON.
    expect(validateSpec(spec, { ports: [...ok, { port: 80, protocol: 'TCP' }] })).to.deep.equal([
      'spec.ports[2]: Duplicate value: {"port":80,"protocol":"TCP"}',
    ]);
  });

  it('requires apiVersion and kind in an embedded resource and validates its metadata', () => {
    const spec = {
      type: 'object',
      properties: { template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } },
    };
    expect(validateSpec(spec, { template: { metadata: {} } })).to.deep.equal([
      'spec.template.apiVersion: Required value: must not be empty',
      'spec.template.kind: Required value: must not be empty',
    ]);
    expect(validateSpec(spec, { template: { apiVersion: 'a/b/c', kind: 'Bad_Kind', metadata: { name: 'a/b', labels: { 'bad key!': 'v' } } } })).to.deep.equal([
      'spec.template.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
      "spec.template.kind: Invalid value: \"Bad_Kind\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      'spec.template.metadata.name: Invalid value: "a/b": may not contain \'/\'',
      "spec.template.metadata.labels: Invalid value: \"bad key!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]);
    expect(validateSpec(spec, { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} } })).to.deep.equal([]);
  });
});
