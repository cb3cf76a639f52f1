// CRD printer columns: the JSONPath subset they use, and the cells the table convertor fills.
import { expect } from 'chai';
import { evaluateJsonPath, JsonPathError, parseJsonPath } from '../src/apiextensions/jsonpath.ts';
import { printerColumnsConvertor } from '../src/apiextensions/printer-columns.ts';

const cert = {
  metadata: { name: 'web', creationTimestamp: '2026-01-01T00:00:00Z', labels: { 'app.kubernetes.io/name': 'web' } },
  spec: { secretName: 'web-tls', dnsNames: ['a.example.com', 'b.example.com'], replicas: 3 },
  status: {
    conditions: [
      { type: 'Issuing', status: 'False' },
      { type: 'Ready', status: 'True', message: 'Certificate is up to date' },
    ],
  },
};
const at = (path: string) => evaluateJsonPath(parseJsonPath(path), cert);

describe('CRD printer columns: JSONPath', () => {
  it('follows fields, indexes, wildcards and quoted keys, with or without braces', () => {
    expect(at('.spec.secretName')).to.deep.equal(['web-tls']);
    expect(at('{.spec.secretName}')).to.deep.equal(['web-tls']);
    expect(at('.spec.dnsNames[1]')).to.deep.equal(['b.example.com']);
    expect(at('.spec.dnsNames[-1]')).to.deep.equal(['b.example.com']);
    expect(at('.spec.dnsNames[*]')).to.deep.equal(['a.example.com', 'b.example.com']);
    expect(at(".metadata.labels['app.kubernetes.io/name']")).to.deep.equal(['web']);
    expect(at('..message')).to.deep.equal(['Certificate is up to date']);
  });

  it('filters list items as cert-manager columns do', () => {
    expect(at('.status.conditions[?(@.type=="Ready")].status')).to.deep.equal(['True']);
    expect(at(".status.conditions[?(@.type=='Ready')].message")).to.deep.equal(['Certificate is up to date']);
    expect(at('.status.conditions[?(@.type!="Ready")].type')).to.deep.equal(['Issuing']);
    expect(at('.status.conditions[?(@.message)].type')).to.deep.equal(['Ready']);
  });

  it('finds nothing for missing fields and refuses what it cannot parse', () => {
    expect(at('.spec.missing.deeper')).to.deep.equal([]);
    expect(at('.spec.dnsNames[5]')).to.deep.equal([]);
    expect(() => parseJsonPath('.spec[')).to.throw(JsonPathError);
    expect(() => parseJsonPath('spec..')).to.throw(JsonPathError);
  });
});

describe('CRD printer columns: table cells', () => {
  it('Name first, then the columns; dates as ages, missing values null, non-strings as they are', () => {
    const table = printerColumnsConvertor([
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Issuer', type: 'string', jsonPath: '.spec.issuerRef.name', priority: 1 },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ]);
    expect(table.columns.map((c) => [c.name, c.priority])).to.deep.equal([
      ['Name', 0],
      ['Ready', 0],
      ['Replicas', 0],
      ['Issuer', 1],
      ['Age', 0],
    ]);
    const cells = (table.cells as (o: object, now: Date) => unknown[])(cert, new Date('2026-01-01T00:05:00Z'));
    expect(cells).to.deep.equal(['web', 'True', 3, null, '5m']);
  });

  it('without printer columns, an Age column', () => {
    const table = printerColumnsConvertor(undefined);
    expect(table.columns.map((c) => c.name)).to.deep.equal(['Name', 'Age']);
  });
});
