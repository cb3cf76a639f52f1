// The typed decode stage: every written object is read against its kind's Go types, over HTTP
// and through the real kubectl, with Kubernetes' codes, reasons, messages and causes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { removeOnExit, useApiserver } from '@skiff/common/testing/index';
import { compiledKind, decodeTyped } from '../src/registry/typed/index.ts';

const ns = 'typed';
const image = '127.0.0.1:5000/skiff/busybox:latest';
const pod = (name: string, container: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image, ...container }], ...spec },
});
const cannotHandlePod = (why: string) => `Pod in version "v1" cannot be handled as a Pod: ${why}`;

describe('typed decode: the compiled walker', () => {
  const podKind = () => compiledKind('', 'v1', 'Pod')!;
  const decodeError = (obj: Record<string, unknown>): string => {
    try {
      decodeTyped(podKind(), obj);
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };

  it('words type errors as Go decoding into the innermost struct', () => {
    expect(decodeError(pod('a', { image: 5 }))).to.equal('json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string');
    expect(decodeError({ metadata: { name: ['a'] } })).to.equal('json: cannot unmarshal array into Go struct field ObjectMeta.metadata.name of type string');
    expect(decodeError({ spec: 'x' })).to.equal('json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec');
    expect(decodeError({ spec: { containers: ['x'] } })).to.equal(
      'json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type v1.Container',
    );
    expect(decodeError({ metadata: { labels: { a: 1 } } })).to.equal(
      'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
    );
    expect(decodeError(pod('a', {}, { terminationGracePeriodSeconds: '30' }))).to.equal(
      'json: cannot unmarshal string into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64',
    );
    expect(decodeError(pod('a', { stdin: 'yes' }))).to.equal('json: cannot unmarshal string into Go struct field Container.spec.containers.stdin of type bool');
  });

  it('enforces int32 ranges and integers, as Go reports the number', () => {
    expect(decodeError(pod('a', { ports: [{ containerPort: 2147483648 }] }))).to.equal(
      'json: cannot unmarshal number 2147483648 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32',
    );
    expect(decodeError(pod('a', { ports: [{ containerPort: 80.5 }] }))).to.equal(
      'json: cannot unmarshal number 80.5 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32',
    );
  });

  it('takes int-or-string as either, and quantities as strings or numbers (canonicalized)', () => {
    const probe = (port: unknown) => pod('a', { readinessProbe: { tcpSocket: { port } } });
    expect(decodeError(probe(8080))).to.equal('');
    expect(decodeError(probe('http'))).to.equal('');
    expect(decodeError(probe(true))).to.equal('json: cannot unmarshal bool into Go value of type int32');
    expect(decodeError(probe(1.5))).to.equal('json: cannot unmarshal number 1.5 into Go value of type int32');
    const withCpu = pod('a', { resources: { limits: { cpu: 0.5, memory: '64Mi' } } });
    expect(decodeError(withCpu)).to.equal('');
    expect((withCpu.spec.containers[0] as any).resources.limits).to.deep.equal({ cpu: '500m', memory: '64Mi' });
    expect(decodeError(pod('a', { resources: { limits: { cpu: 'lots' } } }))).to.equal(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
    expect(decodeError(pod('a', { resources: { limits: { cpu: true } } }))).to.match(/^quantities must match/);
  });

  it('drops null struct fields and zeroes null list items, as the Go decode leaves them', () => {
    const obj: any = { metadata: { name: 'a', labels: null }, spec: { containers: [null], nodeName: null } };
    expect(decodeTyped(podKind(), obj)).to.deep.equal({ unknown: [], invalid: [] });
    expect(obj).to.deep.equal({ metadata: { name: 'a' }, spec: { containers: [{}] } });
  });

  it('leaves frozen subtrees (shared with the cached object by a patch) as they are', () => {
    const limits = Object.freeze({ cpu: 1 });
    const obj = pod('a', { resources: Object.freeze({ limits }) });
    expect(() => decodeTyped(podKind(), obj)).not.to.throw();
    expect(limits.cpu).to.equal(1);
  });

  it('collects unknown fields with their indexes, and closed sets as NotSupported', () => {
    const found = decodeTyped(podKind(), pod('a', { imagez: 'x', volumeMounts: [{ name: 'v', mountPath: '/v', mountPropagation: 'Sideways' }] }, { foo: 1 }));
    expect(found.unknown).to.deep.equal(['spec.containers[0].imagez', 'spec.foo']);
    expect(found.invalid).to.deep.equal([
      {
        type: 'FieldValueNotSupported',
        field: 'spec.containers[0].volumeMounts[0].mountPropagation',
        value: 'Sideways',
        supported: ['Bidirectional', 'HostToContainer', 'None'],
      },
    ]);
  });
});

describe('typed decode over HTTP', function () {
  this.timeout(60_000);
  const cluster = useApiserver();
  const json = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const r = await cluster.server.request(method, path, { body: body as any, headers });
    return { status: r.status, body: r.body ? JSON.parse(r.body) : undefined, headers: r.headers };
  };
  const pods = `/api/v1/namespaces/${ns}/pods`;

  before(async () => {
    expect((await json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status).to.equal(201);
  });

  it('400 BadRequest for bodies the Go types cannot hold, and nothing is stored', async () => {
    const cases: [unknown, string][] = [
      [pod('img5', { image: 5 }), 'json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string'],
      [pod('imgy', { image: true }), 'json: cannot unmarshal bool into Go struct field Container.spec.containers.image of type string'],
      [{ ...pod('x'), metadata: { name: ['x'] } }, 'json: cannot unmarshal array into Go struct field ObjectMeta.metadata.name of type string'],
      [pod('obj', { image: { a: 1 } }), 'json: cannot unmarshal object into Go struct field Container.spec.containers.image of type string'],
    ];
    for (const [body, why] of cases) {
      const r = await json('POST', pods, body);
      expect(r.status, why).to.equal(400);
      expect(r.body).to.include({ kind: 'Status', reason: 'BadRequest', code: 400, message: cannotHandlePod(why) });
    }
    expect((await json('GET', `${pods}/img5`)).status).to.equal(404);
  });

  it('refuses a string timeoutSeconds before it can reach a proxy', async () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'sticky' },
      spec: { ports: [{ port: 80 }], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: '10800 -j ACCEPT' } } },
    };
    const r = await json('POST', `/api/v1/namespaces/${ns}/services`, svc);
    expect(r.status).to.equal(400);
    expect(r.body.message).to.equal(
      'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal string into Go struct field ClientIPConfig.spec.sessionAffinityConfig.clientIP.timeoutSeconds of type int32',
    );
    svc.spec.sessionAffinityConfig.clientIP.timeoutSeconds = 86401 as any;
    const range = await json('POST', `/api/v1/namespaces/${ns}/services`, svc);
    expect(range.status).to.equal(422);
    expect(range.body.details.causes).to.deep.include({
      reason: 'FieldValueInvalid',
      message: 'Invalid value: 86401: must be greater than 0 and less than 86400',
      field: 'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
    });
    expect((await json('GET', `/api/v1/namespaces/${ns}/services/sticky`)).status).to.equal(404);
  });

  it('422 Invalid with a NotSupported cause for a value outside a closed set', async () => {
    const r = await json(
      'POST',
      pods,
      pod('prop', { volumeMounts: [{ name: 'v', mountPath: '/v', mountPropagation: 'Sideways' }] }, { volumes: [{ name: 'v', emptyDir: {} }] }),
    );
    expect(r.status).to.equal(422);
    expect(r.body.reason).to.equal('Invalid');
    expect(r.body.message).to.equal(
      'Pod "prop" is invalid: spec.containers[0].volumeMounts[0].mountPropagation: Unsupported value: "Sideways": supported values: "Bidirectional", "HostToContainer", "None"',
    );
    expect(r.body.details.causes).to.deep.equal([
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "Sideways": supported values: "Bidirectional", "HostToContainer", "None"',
        field: 'spec.containers[0].volumeMounts[0].mountPropagation',
      },
    ]);
  });

  it('422 for a subPath that leaves its volume', async () => {
    const r = await json(
      'POST',
      pods,
      pod('sub', { volumeMounts: [{ name: 'v', mountPath: '/v', subPath: '../..' }] }, { volumes: [{ name: 'v', emptyDir: {} }] }),
    );
    expect(r.status).to.equal(422);
    expect(r.body.details.causes).to.deep.include({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "../..": must not contain '..'`,
      field: 'spec.containers[0].volumeMounts[0].subPath',
    });
    const abs = await json(
      'POST',
      pods,
      pod('sub', { volumeMounts: [{ name: 'v', mountPath: '/v', subPath: '/etc' }] }, { volumes: [{ name: 'v', emptyDir: {} }] }),
    );
    expect(abs.body.message).to.contain('spec.containers[0].volumeMounts[0].subPath: Invalid value: "/etc": must be a relative path');
  });

  it('accepts int-or-string both ways and numeric quantities, stored as canonical strings', async () => {
    const r = await json(
      'POST',
      pods,
      pod('ok', { resources: { requests: { cpu: 0.25 }, limits: { cpu: 1 } }, readinessProbe: { tcpSocket: { port: 'http' } } }),
    );
    expect(r.status).to.equal(201);
    expect(r.body.spec.containers[0].resources).to.deep.equal({ requests: { cpu: '250m' }, limits: { cpu: '1' } });
  });

  it('fieldValidation: Strict refuses unknown fields (400), Warn adds Warning headers, Ignore says nothing; neither stores them', async () => {
    const body = pod('strict', {}, { foo: 1 });
    const strict = await json('POST', `${pods}?fieldValidation=Strict`, body);
    expect(strict.status).to.equal(400);
    expect(strict.body.message).to.equal(cannotHandlePod('strict decoding error: unknown field "spec.foo"'));
    const warn = await json('POST', `${pods}?fieldValidation=Warn&dryRun=All`, body);
    expect(warn.status).to.equal(201);
    expect(String(warn.headers.warning)).to.equal('299 - "unknown field \\"spec.foo\\""');
    // dropped, as the Go decode drops what its struct has no field for
    expect(warn.body.spec).to.not.have.property('foo');
    const ignore = await json('POST', `${pods}?fieldValidation=Ignore&dryRun=All`, body);
    expect(ignore.status).to.equal(201);
    expect(ignore.headers.warning).to.equal(undefined);
    expect(ignore.body.spec).to.not.have.property('foo');
    const bad = await json('POST', `${pods}?fieldValidation=Loud`, body);
    expect(bad.status).to.equal(400);
  });

  it('checks the result of every patch type: 422 on the field `patch` as patch.go answers', async () => {
    expect((await json('POST', pods, pod('patched'))).status).to.equal(201);
    const why = 'json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string';
    const patches: [string, unknown][] = [
      ['application/merge-patch+json', { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 5 }] } }],
      ['application/strategic-merge-patch+json', { spec: { containers: [{ name: 'c', image: 5 }] } }],
      ['application/json-patch+json', [{ op: 'replace', path: '/spec/containers/0/image', value: 5 }]],
    ];
    for (const [type, patch] of patches) {
      const r = await json('PATCH', `${pods}/patched`, JSON.stringify(patch), { 'content-type': type });
      expect(r.status, type).to.equal(422);
      expect(r.body.reason).to.equal('Invalid');
      expect(r.body.details.causes).to.have.length(1);
      expect(r.body.details.causes[0].field).to.equal('patch');
      expect(r.body.details.causes[0].message).to.match(new RegExp(`^Invalid value: ".*": ${why}$`));
    }
    const strict = await json('PATCH', `${pods}/patched?fieldValidation=Strict`, JSON.stringify({ spec: { foo: 1 } }), {
      'content-type': 'application/merge-patch+json',
    });
    expect(strict.status).to.equal(422);
    expect(strict.body.details.causes[0].message).to.match(/strict decoding error: unknown field "spec\.foo"$/);
    const applied = await json('PATCH', `${pods}/patched?fieldManager=test`, JSON.stringify(pod('patched', { image: 5 })), {
      'content-type': 'application/apply-patch+yaml',
    });
    expect(applied.status).to.equal(400);
    expect(applied.body.message).to.equal(cannotHandlePod(why));
    const stored = await json('GET', `${pods}/patched`);
    expect(stored.body.spec.containers[0].image).to.equal(image);
    expect(stored.body.metadata.labels ?? {}).not.to.have.property('a');
  });

  it('decodes subresource bodies too: Scale, Binding', async () => {
    const labels = { app: 'sc' };
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'sc' },
      spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image }] } } },
    };
    expect((await json('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, dep)).status).to.equal(201);
    const scalePath = `/apis/apps/v1/namespaces/${ns}/deployments/sc/scale`;
    const scale = (replicas: unknown) => ({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'sc', namespace: ns }, spec: { replicas } });
    const str = await json('PUT', scalePath, scale('3'));
    expect(str.status).to.equal(400);
    expect(str.body.message).to.equal(
      'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal string into Go struct field ScaleSpec.spec.replicas of type int32',
    );
    const big = await json('PUT', scalePath, scale(2147483648));
    expect(big.body.message).to.contain('json: cannot unmarshal number 2147483648 into Go struct field ScaleSpec.spec.replicas of type int32');
    const patched = await json('PATCH', scalePath, JSON.stringify({ spec: { replicas: 'x' } }), { 'content-type': 'application/merge-patch+json' });
    expect(patched.status).to.equal(422);
    expect(patched.body.details.causes[0].field).to.equal('patch');
    expect((await json('GET', `/apis/apps/v1/namespaces/${ns}/deployments/sc`)).body.spec.replicas).to.equal(1);
    const binding = await json('POST', `${pods}/patched/binding`, {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'patched' },
      target: { kind: 'Node', name: 7 },
    });
    expect(binding.status).to.equal(400);
    expect(binding.body.message).to.contain('json: cannot unmarshal number into Go struct field ObjectReference.target.name of type string');
  });

  it('decodes a DELETE body as DeleteOptions', async () => {
    const r = await json('DELETE', `${pods}/patched`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: '0' });
    expect(r.status).to.equal(400);
    expect(r.body.message).to.equal(
      'DeleteOptions in version "v1" cannot be handled as a DeleteOptions: json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64',
    );
    expect((await json('GET', `${pods}/patched`)).status).to.equal(200);
  });

  it('refuses a wrong-typed update, and a null list item becomes a zero value (422, never 5xx)', async () => {
    const cur = (await json('GET', `${pods}/patched`)).body;
    cur.spec.containers[0].image = ['x'];
    const r = await json('PUT', `${pods}/patched`, cur);
    expect(r.status).to.equal(400);
    expect(r.body.message).to.equal(cannotHandlePod('json: cannot unmarshal array into Go struct field Container.spec.containers.image of type string'));
    const nul = await json('POST', pods, { ...pod('nul'), spec: { containers: [null] } });
    expect(nul.status).to.equal(422);
  });
});

describe('typed decode through the real kubectl', function () {
  this.timeout(120_000);
  const cluster = useApiserver();
  const version = '1.33';
  const cacheDir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-typed-'));
  removeOnExit(cacheDir);
  const kubectl = (args: string[], stdin?: string) => cluster.server.kubectl(version, args, { stdin, cacheDir });
  const kns = 'typed-kubectl';
  const podYaml = (name: string, containerLines: string, specLines = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${kns}
spec:
${specLines}  containers:
  - name: c
${containerLines}
`;

  before(async () => {
    const r = await kubectl(['create', 'namespace', kns]);
    expect(r.code, r.stderr).to.equal(0);
  });

  const refused = async (args: string[], manifest: string): Promise<string> => {
    const r = await kubectl(args, manifest);
    expect(r.code, r.stdout).to.not.equal(0);
    return r.stderr;
  };

  it('image: 5 and image: y get 400 with the field and the Go type', async () => {
    const five = await refused(['apply', '--validate=false', '-f', '-'], podYaml('five', '    image: 5'));
    expect(five).to.contain(
      `Error from server (BadRequest): error when creating "STDIN": ${cannotHandlePod('json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string')}`,
    );
    const y = await refused(['apply', '--validate=false', '-f', '-'], podYaml('imgy', '    image: y'));
    expect(y).to.contain(cannotHandlePod('json: cannot unmarshal bool into Go struct field Container.spec.containers.image of type string'));
  });

  it('metadata.name as an array gets 400 (sent with --raw: kubectl itself refuses to decode it)', async () => {
    const manifest = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ['a', 'b'] }, data: { a: 'b' } });
    const r = await kubectl(['create', '--raw', `/api/v1/namespaces/${kns}/configmaps`, '-f', '-'], manifest);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal array into Go struct field ObjectMeta.metadata.name of type string',
    );
  });

  it('a string timeoutSeconds gets 400 and no Service exists', async () => {
    const svc = `apiVersion: v1
kind: Service
metadata: {name: sticky, namespace: ${kns}}
spec:
  ports: [{port: 80}]
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: "10800"}}
`;
    const err = await refused(['apply', '--validate=false', '-f', '-'], svc);
    expect(err).to.contain(
      'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal string into Go struct field ClientIPConfig.spec.sessionAffinityConfig.clientIP.timeoutSeconds of type int32',
    );
    const get = await kubectl(['get', 'service', 'sticky', '-n', kns]);
    expect(get.stderr).to.contain('NotFound');
  });

  it('an unknown enum value gets 422 with the supported values', async () => {
    const err = await refused(['apply', '-f', '-'], podYaml('policy', `    image: ${image}`, '  restartPolicy: Sometimes\n'));
    expect(err).to.contain('spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"');
    const prop = await refused(
      ['apply', '-f', '-'],
      podYaml(
        'prop',
        `    image: ${image}\n    volumeMounts: [{name: v, mountPath: /v, mountPropagation: Sideways}]`,
        '  volumes: [{name: v, emptyDir: {}}]\n',
      ),
    );
    expect(prop).to.contain(
      'The Pod "prop" is invalid: spec.containers[0].volumeMounts[0].mountPropagation: Unsupported value: "Sideways": supported values: "Bidirectional", "HostToContainer", "None"',
    );
  });

  it('--validate=strict sees an unknown field; --validate=warn warns', async () => {
    const manifest = podYaml('strict', `    image: ${image}`, '  foo: bar\n');
    const err = await refused(['apply', '--validate=strict', '-f', '-'], manifest);
    expect(err).to.contain(
      `Error from server (BadRequest): error when creating "STDIN": ${cannotHandlePod('strict decoding error: unknown field "spec.foo"')}`,
    );
    const warned = await kubectl(['apply', '--validate=warn', '-f', '-'], manifest);
    expect(warned.code, warned.stderr).to.equal(0);
    expect(warned.stderr).to.contain('unknown field "spec.foo"');
  });

  it('a subPath of ../.. gets 422 as validateLocalDescendingPath words it', async () => {
    const err = await refused(
      ['apply', '-f', '-'],
      podYaml('escape', `    image: ${image}\n    volumeMounts: [{name: v, mountPath: /v, subPath: ../..}]`, '  volumes: [{name: v, emptyDir: {}}]\n'),
    );
    expect(err).to.contain(`spec.containers[0].volumeMounts[0].subPath: Invalid value: "../..": must not contain '..'`);
  });
});
