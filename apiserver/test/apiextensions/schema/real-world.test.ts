// A real CRD, cert-manager's Certificate (fixtures/), through the whole library: accepted as
// structural, compiled once, defaulting/pruning/validating realistic objects.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import yaml from 'js-yaml';
import { compileVersionSchema, type JSONSchemaProps, validateCustomResourceSchema } from '../../../src/apiextensions/schema/index.ts';
import { messages } from './helpers.ts';

// the fixtures stay in test/ when the tests run compiled from dist/test/
const here = path.dirname(fileURLToPath(import.meta.url)).replace(/\/dist\/test\//, '/test/');
const crd = yaml.load(readFileSync(path.join(here, 'fixtures', 'cert-manager.io_certificates.yaml'), 'utf8')) as {
  spec: { versions: { schema: { openAPIV3Schema: JSONSchemaProps } }[] };
};
const schema = crd.spec.versions[0]!.schema.openAPIV3Schema;

function certificate(): Record<string, any> {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'web-tls', namespace: 'default', labels: { app: 'web' } },
    spec: {
      secretName: 'web-tls',
      duration: '2160h',
      renewBefore: '360h',
      commonName: 'web.example.com',
      dnsNames: ['web.example.com', 'www.example.com'],
      ipAddresses: ['10.0.0.10'],
      isCA: false,
      usages: ['server auth', 'client auth'],
      subject: { organizations: ['Example Inc.'], countries: ['DE'] },
      privateKey: { algorithm: 'ECDSA', size: 256, encoding: 'PKCS1', rotationPolicy: 'Always' },
      issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      secretTemplate: { annotations: { team: 'web' }, labels: { tier: 'frontend' } },
    },
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Ready',
          message: 'Certificate is up to date and has not expired',
          lastTransitionTime: '2026-12-01T10:00:00Z',
        },
      ],
      notAfter: '2027-03-01T10:00:00Z',
      revision: 1,
    },
  };
}

describe('apiextensions schema: cert-manager Certificate CRD', () => {
  it('is a structural schema Kubernetes accepts', () => {
    expect(messages(validateCustomResourceSchema(schema, 'spec.versions[0].schema.openAPIV3Schema'))).to.deep.equal([]);
  });

  it('validates a realistic Certificate and keeps all of it', () => {
    const c = compileVersionSchema(schema);
    const obj = certificate();
    expect(c.prune(obj)).to.deep.equal([]);
    c.default(obj);
    expect(obj).to.deep.equal(certificate());
    expect(messages(c.validate(obj))).to.deep.equal([]);
    expect(messages(c.validate(obj, certificate()))).to.deep.equal([]);
  });

  it('prunes what cert-manager does not know and reports the invalid parts', () => {
    const c = compileVersionSchema(schema);
    const obj = certificate();
    obj.spec.dnsName = 'typo.example.com';
    obj.spec.privateKey.bits = 4096;
    obj.spec.privateKey.algorithm = 'DSA';
    obj.spec.isCA = 'yes';
    obj.spec.issuerRef = { kind: 'Issuer' };
    obj.spec.additionalOutputFormats = [{ type: 'PFX' }];
    obj.status.conditions[0].status = 'Maybe';
    expect(c.prune(obj)).to.have.members(['.spec.dnsName', '.spec.privateKey.bits']);
    expect(messages(c.validate(obj))).to.have.members([
      'spec.additionalOutputFormats[0].type: Unsupported value: "PFX": supported values: "DER", "CombinedPEM"',
      'spec.isCA: Invalid value: "string": spec.isCA in body must be of type boolean: "string"',
      'spec.issuerRef.name: Required value',
      'spec.privateKey.algorithm: Unsupported value: "DSA": supported values: "RSA", "ECDSA", "Ed25519"',
      'status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown"',
    ]);
  });

  it('compiles once and validates a Certificate in well under a millisecond', function () {
    this.timeout(60_000);
    let t = process.hrtime.bigint();
    const rounds = 20;
    // a property of its own per round: compiled validators are remembered by schema text
    for (let i = 0; i < rounds; i++) compileVersionSchema({ ...schema, properties: { ...schema.properties, [`round${i}`]: { type: 'string' } } });
    const compileMs = Number(process.hrtime.bigint() - t) / 1e6 / rounds;
    const c = compileVersionSchema(schema);
    const run = (o: Record<string, any>) => {
      c.prune(o);
      c.default(o);
      c.validate(o);
    };
    for (const o of Array.from({ length: 2000 }, certificate)) run(o); // warm up the JIT
    const objects = Array.from({ length: 5000 }, certificate);
    t = process.hrtime.bigint();
    for (const o of objects) run(o);
    const perObjectUs = Number(process.hrtime.bigint() - t) / 1e3 / objects.length;
    // baseline: the JSON decode+encode every request body goes through anyway
    t = process.hrtime.bigint();
    for (const o of objects) JSON.parse(JSON.stringify(o));
    const jsonUs = Number(process.hrtime.bigint() - t) / 1e3 / objects.length;
    // Figures for the report; no timing assertion (the machine is shared).
    console.log(
      `      cert-manager Certificate: compile ${compileMs.toFixed(1)} ms, prune+default+validate ${perObjectUs.toFixed(1)} µs per object (JSON round trip ${jsonUs.toFixed(1)} µs)`,
    );
    expect(objects.every((o) => c.validate(o).length === 0)).to.equal(true);
  });
});
