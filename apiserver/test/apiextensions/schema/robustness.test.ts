// Mutated real schemas and objects: the library answers with field errors, never an exception
// (a thrown error would be a 500 for a client's mistake).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import yaml from 'js-yaml';
import { compileVersionSchema, type JSONSchemaProps, validateCustomResourceSchema } from '../../../src/apiextensions/schema/index.ts';

const here = path.dirname(fileURLToPath(import.meta.url)).replace(/\/dist\/test\//, '/test/');
const schemas = ['cert-manager.io_certificates.yaml', 'gateway.networking.k8s.io_listenersets.yaml'].map((f) => {
  const crd = yaml.load(readFileSync(path.join(here, 'fixtures', f), 'utf8')) as { spec: { versions: { schema: { openAPIV3Schema: JSONSchemaProps } }[] } };
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
});

/** A fixed-seed generator: the same cases on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

const oddValues: unknown[] = [null, 1, -1, 1.5, 'x', '', true, [], {}, [1, 'a'], { a: 1 }, '10.0.0.1', 'Terminate', 2 ** 53];

function mutate(v: unknown, rnd: () => number, depth = 0): unknown {
  const odd = () => oddValues[Math.floor(rnd() * oddValues.length)];
  if (rnd() < 0.08 || depth > 6) return odd();
  if (Array.isArray(v)) return [...v.map((x) => mutate(x, rnd, depth + 1)), ...(rnd() < 0.2 ? [odd()] : [])];
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (rnd() > 0.05) out[k] = mutate(x, rnd, depth + 1);
    if (rnd() < 0.1) out.extra = odd();
    return out;
  }
  return rnd() < 0.2 ? odd() : v;
}

/** An object shaped by the schema, so that mutations reach deep into it. */
function sample(s: JSONSchemaProps | undefined, rnd: () => number, depth = 0): unknown {
  if (!s || depth > 8) return 'x';
  if (s['x-kubernetes-int-or-string']) return 8080;
  if (s.enum) return s.enum[0];
  switch (s.type) {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(s.properties ?? {})) if (rnd() < 0.7) o[k] = sample(p, rnd, depth + 1);
      if (typeof s.additionalProperties === 'object') o.key = sample(s.additionalProperties, rnd, depth + 1);
      return o;
    }
    case 'array':
      return [sample(s.items as JSONSchemaProps, rnd, depth + 1), sample(s.items as JSONSchemaProps, rnd, depth + 1)];
    case 'integer':
      return 3;
    case 'number':
      return 1.5;
    case 'boolean':
      return true;
    default:
      return 'a';
  }
}

describe('apiextensions schema: robustness', () => {
  it('validates mutated objects without throwing', function () {
    this.timeout(60_000);
    const rnd = random(7);
    for (const schema of schemas) {
      const c = compileVersionSchema(schema);
      for (let i = 0; i < 150; i++) {
        const obj = { apiVersion: 'a/v1', kind: 'K', metadata: { name: 'n' }, ...(sample(schema, rnd) as object) };
        const now = mutate(obj, rnd);
        const old = rnd() < 0.5 ? mutate(obj, rnd) : undefined;
        expect(() => {
          c.prune(now);
          c.default(now);
          c.validate(now, old, []);
        }).not.to.throw();
      }
    }
  });

  it('checks and compiles mutated schemas without throwing', function () {
    this.timeout(60_000);
    const rnd = random(11);
    for (const schema of schemas) {
      for (let i = 0; i < 60; i++) {
        const bent = mutate(schema, rnd) as JSONSchemaProps;
        expect(() => validateCustomResourceSchema(bent, 'spec.versions[0].schema.openAPIV3Schema')).not.to.throw();
        expect(() => compileVersionSchema(bent).validate({ spec: {} })).not.to.throw();
      }
    }
  });
});
