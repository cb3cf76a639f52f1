// x-kubernetes-validations: evaluation on custom resources and compilation at CRD create.
import { expect } from 'chai';
import { compileVersionSchema, type JSONSchemaProps, validateCustomResourceSchema } from '../../../src/apiextensions/schema/index.ts';
import { messages, validateSpec } from './helpers.ts';

const crdPath = 'spec.versions[0].schema.openAPIV3Schema';
const schemaErrors = (spec: JSONSchemaProps) => messages(validateCustomResourceSchema({ type: 'object', properties: { spec } }, crdPath));

describe('apiextensions schema: CEL validation rules', () => {
  const scaling: JSONSchemaProps = {
    type: 'object',
    'x-kubernetes-validations': [{ rule: 'self.minReplicas <= self.replicas' }],
    properties: { replicas: { type: 'integer' }, minReplicas: { type: 'integer' } },
  };

  it('reports a false rule as "failed rule" at the rule\'s node', () => {
    expect(validateSpec(scaling, { replicas: 3, minReplicas: 1 })).to.deep.equal([]);
    expect(validateSpec(scaling, { replicas: 3, minReplicas: 5 })).to.deep.equal([
      'spec: Invalid value: "object": failed rule: self.minReplicas <= self.replicas',
    ]);
  });

  it('uses message, messageExpression, fieldPath and reason', () => {
    const spec: JSONSchemaProps = {
      type: 'object',
      properties: {
        replicas: { type: 'integer' },
        minReplicas: { type: 'integer' },
        name: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.startsWith("app-")', message: 'must start with app-' }] },
      },
      'x-kubernetes-validations': [
        {
          rule: 'self.minReplicas <= self.replicas',
          messageExpression: '"minReplicas (" + string(self.minReplicas) + ") exceeds replicas"',
          fieldPath: '.minReplicas',
        },
        { rule: 'self.replicas < 100', message: 'too many', reason: 'FieldValueForbidden' },
        { rule: 'has(self.name)', message: 'name is required', reason: 'FieldValueRequired', fieldPath: '.name' },
      ],
    };
    expect(validateSpec(spec, { replicas: 200, minReplicas: 300 })).to.deep.equal([
      'spec.minReplicas: Invalid value: "object": minReplicas (300) exceeds replicas',
      'spec: Forbidden: too many',
      'spec.name: Required value: name is required',
    ]);
    expect(validateSpec(spec, { replicas: 1, minReplicas: 1, name: 'web' })).to.deep.equal(['spec.name: Invalid value: "web": must start with app-']);
  });

  it('evaluates has(), size(), string functions and the all/exists macros', () => {
    const spec: JSONSchemaProps = {
      type: 'object',
      properties: {
        items: { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 20 } },
        labels: { type: 'object', maxProperties: 10, additionalProperties: { type: 'string' } },
        host: { type: 'string' },
        opt: { type: 'string' },
      },
      'x-kubernetes-validations': [
        { rule: 'size(self.items) <= 3', message: 'at most three items' },
        { rule: 'self.items.all(i, i.matches("^[a-z]+$"))', message: 'items are lower case' },
        { rule: 'self.items.exists(i, i == "main")', message: 'one item is main' },
        { rule: 'self.labels.all(k, k.startsWith("app.") && size(self.labels[k]) > 0)', message: 'labels are app.* and set' },
        { rule: '!has(self.opt) || self.opt.lowerAscii() == self.opt', message: 'opt is lower case' },
        { rule: 'self.host.endsWith(".example.com") && self.host.split(".").size() == 3', message: 'host in example.com' },
        { rule: 'self.items.filter(i, i.contains("x")).size() == 0 && self.items.map(i, size(i)).sum() < 20', message: 'no x, short' },
      ],
    };
    const good = { items: ['main', 'side'], labels: { 'app.tier': 'web' }, host: 'www.example.com' };
    expect(validateSpec(spec, good)).to.deep.equal([]);
    expect(validateSpec(spec, { items: ['Main', 'a', 'b', 'x'], labels: { tier: 'web' }, host: 'a.b.example.com', opt: 'UP' })).to.deep.equal([
      'spec: Invalid value: "object": at most three items',
      'spec: Invalid value: "object": items are lower case',
      'spec: Invalid value: "object": one item is main',
      'spec: Invalid value: "object": labels are app.* and set',
      'spec: Invalid value: "object": opt is lower case',
      'spec: Invalid value: "object": host in example.com',
      'spec: Invalid value: "object": no x, short',
    ]);
  });

  it('runs transition rules only on update, with the old value', () => {
    const spec: JSONSchemaProps = {
      type: 'object',
      properties: {
        image: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'image is immutable' }] },
        replicas: { type: 'integer' },
      },
      'x-kubernetes-validations': [{ rule: 'self.replicas >= oldSelf.replicas', message: 'replicas may not shrink' }],
    };
    expect(validateSpec(spec, { image: 'a', replicas: 1 })).to.deep.equal([]);
    expect(validateSpec(spec, { image: 'a', replicas: 2 }, { image: 'a', replicas: 1 })).to.deep.equal([]);
    expect(validateSpec(spec, { image: 'b', replicas: 1 }, { image: 'a', replicas: 2 })).to.deep.equal([
      'spec: Invalid value: "object": replicas may not shrink',
      'spec.image: Invalid value: "b": image is immutable',
    ]);
    // a field that had no old value is new: its transition rule does not run
    expect(validateSpec(spec, { image: 'b', replicas: 2 }, { replicas: 2 })).to.deep.equal([]);
  });

  it('correlates list-type=map items by key, and not atomic list items', () => {
    const item: JSONSchemaProps = {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string' }, size: { type: 'integer' } },
      'x-kubernetes-validations': [{ rule: 'self.size >= oldSelf.size', message: 'volumes may not shrink' }],
    };
    const spec: JSONSchemaProps = {
      type: 'object',
      properties: {
        volumes: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: item },
        atomic: { type: 'array', items: item },
      },
    };
    const old = {
      volumes: [
        { name: 'a', size: 5 },
        { name: 'b', size: 5 },
      ],
      atomic: [{ name: 'a', size: 5 }],
    };
    expect(
      validateSpec(
        spec,
        {
          volumes: [
            { name: 'b', size: 4 },
            { name: 'a', size: 6 },
            { name: 'c', size: 1 },
          ],
          atomic: [{ name: 'a', size: 1 }],
        },
        old,
      ),
    ).to.deep.equal(['spec.volumes[0]: Invalid value: "object": volumes may not shrink']);
  });

  it('evaluates optionalOldSelf rules on create too', () => {
    const spec: JSONSchemaProps = {
      type: 'object',
      properties: { phase: { type: 'string' } },
      'x-kubernetes-validations': [{ rule: 'oldSelf.hasValue() || self.phase == "New"', optionalOldSelf: true, message: 'starts as New' }],
    };
    expect(validateSpec(spec, { phase: 'Running' })).to.deep.equal(['spec: Invalid value: "object": starts as New']);
    expect(validateSpec(spec, { phase: 'New' })).to.deep.equal([]);
    expect(validateSpec(spec, { phase: 'Running' }, { phase: 'New' })).to.deep.equal([]);
  });

  it('types values by the schema: int, double, int-or-string, timestamps and escaped names', () => {
    const spec: JSONSchemaProps = {
      type: 'object',
      properties: {
        count: { type: 'integer' },
        ratio: { type: 'number' },
        port: { 'x-kubernetes-int-or-string': true },
        'max-surge': { type: 'integer' },
        notBefore: { type: 'string', format: 'date-time' },
        notAfter: { type: 'string', format: 'date-time' },
        timeout: { type: 'string', format: 'duration' },
      },
      'x-kubernetes-validations': [
        { rule: 'self.count + 1 == 3', message: 'count is 2' },
        { rule: 'self.ratio == 1.0', message: 'ratio is a double' },
        { rule: 'type(self.port) == int ? self.port > 1024 : self.port.startsWith("http")', message: 'port' },
        { rule: 'self.max__dash__surge <= self.count', message: 'surge' },
        { rule: 'self.notBefore < self.notAfter', message: 'window' },
        { rule: '!has(self.timeout) || self.timeout <= duration("1h")', message: 'at most an hour' },
      ],
    };
    expect(
      validateSpec(spec, {
        count: 2,
        ratio: 1,
        port: 8080,
        'max-surge': 1,
        notBefore: '2024-01-01T00:00:00Z',
        notAfter: '2025-01-01T00:00:00Z',
        timeout: '30m',
      }),
    ).to.deep.equal([]);
    expect(
      validateSpec(spec, {
        count: 2,
        ratio: 1,
        port: 'grpc',
        'max-surge': 3,
        notBefore: '2026-01-01T00:00:00Z',
        notAfter: '2025-01-01T00:00:00Z',
        timeout: '90m',
      }),
    ).to.deep.equal([
      'spec: Invalid value: "object": port',
      'spec: Invalid value: "object": surge',
      'spec: Invalid value: "object": window',
      'spec: Invalid value: "object": at most an hour',
    ]);
  });

  it('sees apiVersion, kind and metadata.name at the root', () => {
    const c = compileVersionSchema({
      type: 'object',
      'x-kubernetes-validations': [{ rule: 'self.metadata.name.startsWith(self.kind.lowerAscii())', message: 'name starts with the kind' }],
      properties: { spec: { type: 'object' } },
    });
    const obj = (name: string) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name, labels: { a: 'b' } }, spec: {} });
    expect(messages(c.validate(obj('widget-1')))).to.deep.equal([]);
    expect(messages(c.validate(obj('x')))).to.deep.equal(['<nil>: Invalid value: "object": name starts with the kind']);
  });

  it('takes has() on any operand, as Gateway API rules write it', () => {
    const match: JSONSchemaProps = { type: 'object', properties: { path: { type: 'object', properties: { type: { type: 'string' } } } } };
    const spec: JSONSchemaProps = {
      type: 'object',
      properties: { matches: { type: 'array', maxItems: 8, items: match } },
      'x-kubernetes-validations': [
        {
          rule: "(size(self.matches) != 1 || !has(self.matches[0].path) || self.matches[0].path.type != 'PathPrefix') ? false : true",
          message: 'exactly one PathPrefix match',
        },
        { rule: 'self.matches.map(m, has(m.path) ? 1 : 0).sum() <= 1 && [3, 1, 2].max() == 3 && [1, 2].isSorted()', message: 'list library' },
      ],
    };
    expect(schemaErrors(spec)).to.deep.equal([]);
    expect(validateSpec(spec, { matches: [{ path: { type: 'PathPrefix' } }] })).to.deep.equal([]);
    expect(validateSpec(spec, { matches: [{}] })).to.deep.equal(['spec: Invalid value: "object": exactly one PathPrefix match']);
    expect(validateSpec(spec, { matches: [{ path: {} }, { path: {} }] })).to.deep.equal([
      'spec: Invalid value: "object": exactly one PathPrefix match',
      'spec: Invalid value: "object": list library',
    ]);
  });

  it('offers isIP and isCIDR', () => {
    const spec: JSONSchemaProps = {
      type: 'object',
      properties: {
        hostnames: {
          type: 'array',
          maxItems: 4,
          items: { type: 'string' },
          'x-kubernetes-validations': [{ rule: 'self.all(h, !isIP(h))', message: 'no IPs' }],
        },
        net: { type: 'string' },
      },
      'x-kubernetes-validations': [{ rule: '!has(self.net) || isCIDR(self.net)', message: 'a CIDR' }],
    };
    expect(validateSpec(spec, { hostnames: ['example.com'], net: '10.0.0.0/8' })).to.deep.equal([]);
    expect(validateSpec(spec, { hostnames: ['10.0.0.1'], net: '10.0.0.0/40' })).to.deep.equal([
      'spec: Invalid value: "object": a CIDR',
      'spec.hostnames: Invalid value: "array": no IPs',
    ]);
  });

  it('offers the Kubernetes quantity library', () => {
    const spec: JSONSchemaProps = {
      type: 'object',
      properties: { request: { 'x-kubernetes-int-or-string': true }, limit: { 'x-kubernetes-int-or-string': true } },
      'x-kubernetes-validations': [
        { rule: 'isQuantity(string(self.request)) && isQuantity(string(self.limit))', message: 'quantities' },
        { rule: '!quantity(string(self.request)).isGreaterThan(quantity(string(self.limit)))', message: 'request <= limit' },
        {
          rule: 'quantity(string(self.limit)).add(1).compareTo(quantity(string(self.limit))) == 1 && quantity("1") == quantity("1000m")',
          message: 'arithmetic',
        },
      ],
    };
    expect(validateSpec(spec, { request: '500Mi', limit: '1Gi' })).to.deep.equal([]);
    expect(validateSpec(spec, { request: 2, limit: '1Gi' })).to.deep.equal([]);
    expect(validateSpec(spec, { request: '2Gi', limit: '1Gi' })).to.deep.equal(['spec: Invalid value: "object": request <= limit']);
    expect(validateSpec(spec, { request: 'lots', limit: '1Gi' })).to.deep.equal([
      'spec: Invalid value: "object": quantities',
      `spec: Invalid value: "object": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' evaluating rule: request <= limit`,
    ]);
  });

  it('reports run-time errors as Kubernetes does', () => {
    const spec: JSONSchemaProps = {
      type: 'object',
      properties: { a: { type: 'integer' }, m: { type: 'object', additionalProperties: { type: 'string' } } },
      'x-kubernetes-validations': [{ rule: 'self.m["missing"] == "x"' }, { rule: '10 / self.a > 1' }],
    };
    expect(validateSpec(spec, { a: 0, m: {} })).to.deep.equal([
      'spec: Invalid value: "object": no such key: missing evaluating rule: self.m["missing"] == "x"',
      'spec: Invalid value: "object": division by zero evaluating rule: 10 / self.a > 1',
    ]);
  });

  it('stops when an object exhausts the runtime cost budget', () => {
    // Each rule is cheap, but a rule on the items of a large list runs once per item.
    const spec: JSONSchemaProps = {
      type: 'object',
      properties: {
        grid: {
          type: 'array',
          maxItems: 3000,
          items: {
            type: 'array',
            maxItems: 3000,
            items: { type: 'integer' },
            'x-kubernetes-validations': [{ rule: 'self.all(x, self.exists(y, y == x))' }],
          },
        },
      },
    };
    const row = Array.from({ length: 3000 }, (_, i) => i);
    const errs = validateSpec(spec, { grid: Array.from({ length: 3000 }, () => row) });
    expect(errs).to.have.length(1);
    expect(errs[0]).to.match(
      /^spec\.grid\[\d+\]: Invalid value: "array": validation failed due to running out of cost budget, no further validation rules will be run$/,
    );
  });
});

describe('apiextensions schema: compiling CEL rules at CRD create', () => {
  it('accepts the common rules', () => {
    expect(
      schemaErrors({
        type: 'object',
        properties: { a: { type: 'integer' }, b: { type: 'integer' }, l: { type: 'array', maxItems: 5, items: { type: 'string' } } },
        'x-kubernetes-validations': [
          { rule: 'self.a <= self.b' },
          { rule: 'has(self.a) && size(self.l) < 3' },
          { rule: 'self.l.all(x, x.size() < 10)' },
          { rule: 'self.a == oldSelf.a' },
          { rule: 'self.?a.orValue(0) >= 0' },
        ],
      }),
    ).to.deep.equal([]);
  });

  it('refuses syntax errors, unknown functions, unknown fields and non-bool rules at the rule', () => {
    const errs = schemaErrors({
      type: 'object',
      properties: { a: { type: 'integer' }, s: { type: 'string' } },
      'x-kubernetes-validations': [
        { rule: 'self.a <=' },
        { rule: 'url(self.s).getHost() == "x"' },
        { rule: 'self.b > 0' },
        { rule: 'self.a + 1' },
        { rule: 'self.s.nope' },
      ],
    });
    const p = `${crdPath}.properties[spec].x-kubernetes-validations`;
    expect(errs).to.deep.equal([
      `${p}[0].rule: Invalid value: "self.a <=": compilation failed: ERROR: <input>:1:10: Syntax error: Unexpected token: EOF`,
      `${p}[1].rule: Invalid value: "url(self.s).getHost() == \\"x\\"": compilation failed: ERROR: <input>:1:1: found no matching overload for 'url(dyn)'`,
      `${p}[2].rule: Invalid value: "self.b > 0": compilation failed: ERROR: <input>:1:5: undefined field 'b'`,
      `${p}[3].rule: Invalid value: "self.a + 1": compilation failed: cel expression must evaluate to a bool`,
      `${p}[4].rule: Invalid value: "self.s.nope": compilation failed: ERROR: <input>:1:7: type 'string' does not support field selection`,
    ]);
  });

  it('checks message, reason, fieldPath and messageExpression', () => {
    const errs = schemaErrors({
      type: 'object',
      properties: { a: { type: 'integer' } },
      'x-kubernetes-validations': [
        { rule: 'true', message: 'two\nlines' },
        { rule: 'true', reason: 'FieldValueWrong' as never },
        { rule: 'true', fieldPath: '.b' },
        { rule: 'true', messageExpression: 'self.a +' },
        { rule: 'true', optionalOldSelf: true },
        { rule: '' },
      ],
    });
    const p = `${crdPath}.properties[spec].x-kubernetes-validations`;
    expect(errs).to.deep.equal([
      `${p}[0].message: Invalid value: "two\\nlines": message must not contain line breaks`,
      `${p}[1].reason: Unsupported value: "FieldValueWrong": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"`,
      `${p}[2].fieldPath: Invalid value: ".b": fieldPath must be a valid path: does not refer to a valid field`,
      `${p}[3].messageExpression: Invalid value: "self.a +": messageExpression compilation failed: ERROR: <input>:1:9: Syntax error: Unexpected token: EOF`,
      `${p}[4].optionalOldSelf: Invalid value: true: may not be set if rule does not use oldSelf`,
      `${p}[5].rule: Required value: rule is not specified`,
    ]);
  });

  it('refuses rules whose estimated cost is over the limit, and asks for maxItems', () => {
    const unbounded: JSONSchemaProps = {
      type: 'object',
      properties: { l: { type: 'array', items: { type: 'string' } } },
      'x-kubernetes-validations': [{ rule: 'self.l.all(x, self.l.all(y, x == y))' }],
    };
    const errs = schemaErrors(unbounded);
    expect(errs).to.have.length(1);
    expect(errs[0]).to.equal(
      `${crdPath}.properties[spec].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`,
    );
    const listeners = (maxItems?: number): JSONSchemaProps => ({
      type: 'object',
      properties: {
        listeners: {
          type: 'array',
          ...(maxItems ? { maxItems } : {}),
          items: { type: 'object', properties: { port: { type: 'integer' }, labels: { type: 'object', additionalProperties: { type: 'string' } } } },
          'x-kubernetes-validations': [{ rule: 'self.all(l1, self.exists_one(l2, l1.port == l2.port))', message: 'ports are unique' }],
        },
      },
    });
    // the estimate follows the list the comprehensions range over, not the unbounded map inside its items (Gateway API's listeners)
    expect(schemaErrors(listeners(64))).to.deep.equal([]);
    expect(schemaErrors(listeners())).to.have.length(1);
    const bounded = structuredClone(unbounded);
    bounded.properties!.l!.maxItems = 100;
    expect(schemaErrors(bounded)).to.deep.equal([]);
  });
});
