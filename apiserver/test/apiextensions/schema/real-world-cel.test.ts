// A real CRD with CEL rules, Gateway API's ListenerSet (fixtures/): its rules compile within the
// cost limits, and a realistic object passes while broken listeners fail with the CRD's messages.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import yaml from 'js-yaml';
import { compileVersionSchema, type JSONSchemaProps, validateCustomResourceSchema } from '../../../src/apiextensions/schema/index.ts';
import { messages } from './helpers.ts';

const here = path.dirname(fileURLToPath(import.meta.url)).replace(/\/dist\/test\//, '/test/');
const crd = yaml.load(readFileSync(path.join(here, 'fixtures', 'gateway.networking.k8s.io_listenersets.yaml'), 'utf8')) as {
  spec: { versions: { schema: { openAPIV3Schema: JSONSchemaProps } }[] };
};
const schema = crd.spec.versions[0]!.schema.openAPIV3Schema;

function listenerSet(): Record<string, any> {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'ListenerSet',
    metadata: { name: 'team-a', namespace: 'team-a' },
    spec: {
      parentRef: { name: 'shared-gateway', namespace: 'infra' },
      listeners: [
        { name: 'http', port: 80, protocol: 'HTTP', hostname: 'a.example.com' },
        {
          name: 'https',
          port: 443,
          protocol: 'HTTPS',
          hostname: 'a.example.com',
          tls: { mode: 'Terminate', certificateRefs: [{ name: 'a-cert' }] },
        },
        { name: 'tls', port: 8443, protocol: 'TLS', hostname: 'db.example.com', tls: { mode: 'Passthrough' } },
      ],
    },
  };
}

describe('apiextensions schema: Gateway API ListenerSet CRD (CEL rules)', () => {
  const c = compileVersionSchema(schema);

  it('is accepted: every rule compiles within the cost limits', () => {
    expect(messages(validateCustomResourceSchema(schema, 'spec.versions[0].schema.openAPIV3Schema'))).to.deep.equal([]);
  });

  it('defaults and validates a realistic ListenerSet', () => {
    const obj = listenerSet();
    expect(c.prune(obj)).to.deep.equal([]);
    c.default(obj);
    expect(obj.spec.parentRef).to.deep.include({ group: 'gateway.networking.k8s.io', kind: 'Gateway' });
    expect(messages(c.validate(obj))).to.deep.equal([]);
    expect(messages(c.validate(obj, structuredClone(obj)))).to.deep.equal([]);
  });

  it('reports broken listeners with the CRD messages', () => {
    const obj = listenerSet();
    obj.spec.listeners[0].tls = { mode: 'Terminate', certificateRefs: [{ name: 'x' }] };
    obj.spec.listeners[1].tls.mode = 'Passthrough';
    obj.spec.listeners[2].tls = { certificateRefs: [{ name: 'db' }] }; // mode defaults to Terminate: valid
    obj.spec.listeners.push({ name: 'http2', port: 80, protocol: 'HTTP', hostname: 'a.example.com' });
    c.default(obj);
    expect(messages(c.validate(obj))).to.deep.equal([
      "spec.listeners: Invalid value: \"array\": tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
      'spec.listeners: Invalid value: "array": tls mode must be Terminate for protocol HTTPS',
      'spec.listeners: Invalid value: "array": Combination of port, protocol and hostname must be unique for each listener',
    ]);
  });
});

describe('apiextensions schema: ListenerSet figures', () => {
  it('validates a ListenerSet with its CEL rules in well under a millisecond', () => {
    const c = compileVersionSchema(schema);
    const run = (o: Record<string, any>, old: Record<string, any>) => {
      c.prune(o);
      c.default(o);
      return c.validate(o, old);
    };
    const old = listenerSet();
    c.default(old);
    for (let i = 0; i < 500; i++) run(listenerSet(), old); // warm up the JIT
    const n = 2000;
    const objects = Array.from({ length: n }, listenerSet);
    const t = process.hrtime.bigint();
    let errors = 0;
    for (const o of objects) errors += run(o, old).length;
    const perObjectUs = Number(process.hrtime.bigint() - t) / 1e3 / n;
    // baseline: the JSON decode+encode every request body goes through anyway
    const t2 = process.hrtime.bigint();
    for (const o of objects) JSON.parse(JSON.stringify(o));
    const jsonUs = Number(process.hrtime.bigint() - t2) / 1e3 / n;
    // Figures for the report; no timing assertion (the machine is shared).
    console.log(
      `      Gateway API ListenerSet: prune+default+validate (8 CEL rules, update) ${perObjectUs.toFixed(1)} µs per object (JSON round trip ${jsonUs.toFixed(1)} µs)`,
    );
    expect(errors).to.equal(0);
  });
});
