import { expect } from 'chai';
import { fieldErrorMessage } from '../src/errors.ts';
import type { FieldError } from '../src/errors.ts';
import {
  checkDns1035Label,
  checkDns1123Label,
  checkDns1123Subdomain,
  checkLabelValue,
  checkQualifiedName,
  checkConfigMapKey,
  checkPortName,
  nameIsDnsSubdomain,
} from '@skiff/common/apimachinery/names';
import {
  validateAnnotations,
  validateLabelSelector,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '@skiff/common/apimachinery/object-meta';
import { labelSelectorMatches as selectorMatches, selectorFromObject } from '@skiff/common/apimachinery/label-selector';
import { tryParseQuantity } from '@skiff/common/apimachinery/quantity';
import { validatePodSpec } from '../src/registry/validation/pod-spec.ts';

const messages = (errs: FieldError[]) => errs.map(fieldErrorMessage);

describe('validation: names', () => {
  it('words DNS-1123 subdomain errors as apimachinery', () => {
    const errs = validateObjectMeta({ name: 'Web_1', namespace: 'default' }, { namespaced: true, validateName: nameIsDnsSubdomain });
    expect(messages(errs)).to.deep.equal([
      `metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]);
  });

  it('accepts and refuses labels, subdomains and DNS-1035 labels', () => {
    expect(checkDns1123Label('my-name')).to.deep.equal([]);
    expect(checkDns1123Label('a.b')).to.have.length(1);
    expect(checkDns1123Label('a'.repeat(64))[0]).to.equal('must be no more than 63 characters');
    expect(checkDns1123Subdomain('example.com')).to.deep.equal([]);
    expect(checkDns1123Subdomain('-bad')).to.have.length(1);
    expect(checkDns1035Label('1abc')[0]).to.match(/^a DNS-1035 label must consist/);
    expect(checkDns1035Label('abc-1')).to.deep.equal([]);
  });

  it('checks qualified names with prefixes', () => {
    expect(checkQualifiedName('app.kubernetes.io/name')).to.deep.equal([]);
    expect(checkQualifiedName('/name')).to.deep.equal(['prefix part must be non-empty']);
    expect(checkQualifiedName('Bad_Prefix/name')[0]).to.match(/^prefix part a lowercase RFC 1123 subdomain/);
    expect(checkQualifiedName('a/b/c')[0]).to.match(
      /^a qualified name must consist .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/,
    );
    expect(checkQualifiedName('x'.repeat(64))).to.deep.equal(['name part must be no more than 63 characters']);
  });

  it('checks label values, config keys and port names', () => {
    expect(checkLabelValue('')).to.deep.equal([]);
    expect(checkLabelValue('-x')).to.have.length(1);
    expect(checkConfigMapKey('key.name')).to.deep.equal([]);
    expect(checkConfigMapKey('..data')).to.deep.equal(["must not start with '..'"]);
    expect(checkConfigMapKey('a b')[0]).to.match(/^a valid config key must consist/);
    expect(checkPortName('http')).to.deep.equal([]);
    expect(checkPortName('123')).to.deep.equal(['must contain at least one letter (a-z)']);
    expect(checkPortName('a--b')).to.include('must not contain consecutive hyphens');
  });

  it('lets generateName end in a dash', () => {
    const errs = validateObjectMeta({ generateName: 'web-', namespace: 'default' }, { namespaced: true, validateName: nameIsDnsSubdomain });
    expect(errs).to.deep.equal([]);
  });
});

describe('validation: ObjectMeta', () => {
  const rules = { namespaced: true, validateName: nameIsDnsSubdomain };

  it('requires a name or generateName, and a namespace when namespaced', () => {
    expect(messages(validateObjectMeta({}, rules))).to.deep.equal([
      'metadata.name: Required value: name or generateName is required',
      'metadata.namespace: Required value',
    ]);
    expect(messages(validateObjectMeta({ name: 'n1', namespace: 'x' }, { ...rules, namespaced: false }))).to.deep.equal([
      'metadata.namespace: Forbidden: not allowed on this type',
    ]);
  });

  it('checks finalizers and owner references', () => {
    const errs = validateObjectMeta(
      {
        name: 'a',
        namespace: 'd',
        finalizers: ['foo', 'example.com/ok', 'orphan', 'foregroundDeletion'],
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r1', uid: 'u1', controller: true },
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r2', uid: '', controller: true },
        ],
      },
      rules,
    );
    const m = messages(errs);
    expect(m).to.include('metadata.finalizers[0]: Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified');
    expect(m.some((x) => x.endsWith('finalizer orphan and foregroundDeletion cannot be both set'))).to.equal(true);
    expect(m).to.include('metadata.ownerReferences.uid: Invalid value: "": uid must not be empty');
    expect(
      m.some((x) => x.includes('Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/r1 and ReplicaSet/r2')),
    ).to.equal(true);
  });

  it('bounds annotations at 256 KiB in total', () => {
    expect(validateAnnotations({ a: 'x'.repeat(256 * 1024) }, 'metadata.annotations').map(fieldErrorMessage)).to.deep.equal([
      'metadata.annotations: Too long: must have at most 262144 bytes',
    ]);
    expect(validateAnnotations({ 'Example.com/Key': 'v' }, 'metadata.annotations')).to.deep.equal([]);
  });

  it('reports label keys and values at the labels path', () => {
    expect(messages(validateLabels({ 'bad key': 'ok', ok: 'bad value' }, 'metadata.labels'))).to.have.length(2);
  });

  it('refuses changes to name and uid', () => {
    const errs = validateObjectMetaUpdate({ name: 'b', uid: '2' }, { name: 'a', uid: '1' });
    expect(messages(errs)).to.deep.equal(['metadata.name: Invalid value: "b": field is immutable', 'metadata.uid: Invalid value: "2": field is immutable']);
  });
});

describe('validation: selectors', () => {
  it('matches labels and expressions', () => {
    const sel = {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'x', operator: 'DoesNotExist' },
      ],
    };
    expect(selectorMatches(sel, { app: 'web', tier: 'a' })).to.equal(true);
    expect(selectorMatches(sel, { app: 'web', tier: 'c' })).to.equal(false);
    expect(selectorMatches(sel, { app: 'web', tier: 'a', x: '' })).to.equal(false);
    expect(selectorFromObject(sel).toString()).to.equal('app=web,tier in (a,b),!x');
  });

  it('validates operators and values', () => {
    const m = messages(
      validateLabelSelector(
        {
          matchExpressions: [
            { key: 'a', operator: 'In' },
            { key: 'b', operator: 'Exists', values: ['x'] },
            { key: 'c', operator: 'Near' },
          ],
        },
        'spec.selector',
      ),
    );
    expect(m).to.deep.equal([
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      'spec.selector.matchExpressions[2].operator: Invalid value: "Near": not a valid selector operator',
    ]);
  });
});

describe('validation: quantities', () => {
  it('parses decimal and binary suffixes and exponents', () => {
    const value = (q: unknown) => tryParseQuantity(q)?.asApproximateFloat64();
    expect(value('100m')).to.be.closeTo(0.1, 1e-12);
    expect(value('1Gi')).to.equal(2 ** 30);
    expect(value('2k')).to.equal(2000);
    expect(value('1e3')).to.equal(1000);
    expect(value(3)).to.equal(3);
    expect(value('abc')).to.equal(undefined);
    expect(value('1Gx')).to.equal(undefined);
  });
});

describe('validation: pod spec', () => {
  const container = (over: Record<string, unknown> = {}) => ({ name: 'web', image: 'nginx:1.25', ...over });

  it('requires containers and images, and refuses duplicate names', () => {
    expect(messages(validatePodSpec({ containers: [] }, 'spec'))).to.deep.equal(['spec.containers: Required value']);
    const m = messages(validatePodSpec({ containers: [container({ image: '' }), container()] }, 'spec'));
    expect(m).to.deep.equal(['spec.containers[0].image: Required value', 'spec.containers[1].name: Duplicate value: "web"']);
  });

  it('checks ports, probes, resources and restart policy', () => {
    const m = messages(
      validatePodSpec(
        {
          restartPolicy: 'Sometimes',
          containers: [
            container({
              ports: [{ containerPort: 70000, protocol: 'ICMP' }],
              livenessProbe: { successThreshold: 2 },
              resources: { limits: { cpu: '1' }, requests: { cpu: '2', memory: '-1' } },
            }),
          ],
        },
        'spec',
      ),
    );
    expect(m).to.include('spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive');
    expect(m).to.include('spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"');
    expect(m).to.include('spec.containers[0].livenessProbe: Required value: must specify a handler type');
    expect(m).to.include('spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1');
    expect(m).to.include('spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1');
    expect(m).to.include('spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0');
    expect(m).to.include('spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"');
  });

  it('requires mounts to name a volume and tolerations to be consistent', () => {
    const m = messages(
      validatePodSpec(
        {
          containers: [container({ volumeMounts: [{ name: 'data', mountPath: '/d' }] })],
          tolerations: [
            { operator: 'Equal', value: 'x' },
            { key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 },
          ],
        },
        'spec',
      ),
    );
    expect(m.some((x) => x.startsWith('spec.containers[0].volumeMounts[0].name: Invalid value: "data"'))).to.equal(true);
    expect(m).to.include(
      'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
    );
    expect(m).to.include('spec.tolerations[1].effect: Invalid value: "NoSchedule": effect must be \'NoExecute\' when `tolerationSeconds` is set');
  });

  it('accepts a well-formed spec', () => {
    expect(
      validatePodSpec(
        {
          volumes: [{ name: 'data', emptyDir: {} }],
          containers: [
            container({
              ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
              volumeMounts: [{ name: 'data', mountPath: '/d' }],
              readinessProbe: { httpGet: { port: 'http', path: '/' } },
              resources: { requests: { cpu: '100m', memory: '64Mi' } },
            }),
          ],
        },
        'spec',
      ),
    ).to.deep.equal([]);
  });
});
