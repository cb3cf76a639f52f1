// CustomResourceDefinitions through the real kubectl: the worked example in manifests/ (CronTab)
// is applied, served at once, listed with its printer columns, explained, scaled, patched and
// watched, and deleting the CRD takes its objects with it.
import { expect } from 'chai';
import { join } from 'node:path';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { repoRoot, until, useApiserver } from '@skiff/common/testing/index';

const v = '1.33';
const crdFile = join(repoRoot(), 'manifests', '11-crontab-crd.yaml');
const crFile = join(repoRoot(), 'manifests', '12-crontab.yaml');
const ns = 'crd-test';

describe('CustomResourceDefinitions through kubectl', function () {
  this.timeout(120_000);
  const cluster = useApiserver();
  const k = async (args: string[], stdin?: string) => {
    const r = await cluster.server.kubectl(v, args, stdin === undefined ? {} : { stdin });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    await k(['create', 'namespace', ns]);
    await k(['apply', '-f', crdFile]);
    await k(['wait', '--for=condition=Established', '--timeout=10s', 'crd/crontabs.stable.example.com']);
  });

  it('the CRD gets NamesAccepted and Established, and the cleanup finalizer only when deleted', async () => {
    const crd = JSON.parse(await k(['get', 'crd', 'crontabs.stable.example.com', '-o', 'json']));
    const conditions = Object.fromEntries(crd.status.conditions.map((c: any) => [c.type, `${c.status}/${c.reason}`]));
    expect(conditions).to.deep.equal({ NamesAccepted: 'True/NoConflicts', Established: 'True/InitialNamesAccepted' });
    expect(crd.status.acceptedNames.kind).to.equal('CronTab');
    expect(crd.status.storedVersions).to.deep.equal(['v1']);
    expect(crd.spec.names.listKind).to.equal('CronTabList');
    expect(crd.metadata.finalizers).to.equal(undefined);
  });

  it('discovery shows the resource with its short name and category', async () => {
    const out = await k(['api-resources', '--api-group=stable.example.com', '-o', 'wide']);
    expect(out).to.match(/crontabs\s+ct\s+stable\.example\.com\/v1\s+true\s+CronTab/);
    expect(out).to.include('all');
  });

  it('a CronTab applies and `kubectl get` shows the printer columns, -o wide the priority ones', async () => {
    await k(['-n', ns, 'apply', '-f', crFile]);
    const out = await k(['-n', ns, 'get', 'crontabs']);
    const [header, row] = out.trim().split('\n');
    expect(header!.split(/\s{2,}/)).to.deep.equal(['NAME', 'SPEC', 'REPLICAS', 'AGE']);
    expect(row).to.match(/^nightly\s+0 3 \* \* \*\s+1\s+\d+s$/);
    const wide = await k(['-n', ns, 'get', 'ct', '-o', 'wide']);
    expect(wide.split('\n')[0]!.split(/\s{2,}/)).to.deep.equal(['NAME', 'SPEC', 'REPLICAS', 'AGE', 'IMAGE']);
    expect(wide).to.include('127.0.0.1:5000/skiff/busybox:latest');
  });

  it('the oldest kubectl we support (1.27, v2beta1 aggregated discovery) gets and explains a CronTab too', async () => {
    const old = async (args: string[]) => {
      const r = await cluster.server.kubectl('1.27', args);
      if (r.code !== 0) throw new Error(`kubectl 1.27 ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    expect((await old(['-n', ns, 'get', 'ct'])).split('\n')[0]!.split(/\s{2,}/)).to.deep.equal(['NAME', 'SPEC', 'REPLICAS', 'AGE']);
    expect(await old(['explain', 'crontab.spec.cronSpec'])).to.include('When to run, in cron syntax');
  });

  it('OpenAPI v3 lists the group-version with a hash that changes with the CRD', async () => {
    const index = JSON.parse(await k(['get', '--raw', '/openapi/v3'])).paths;
    const url: string = index['apis/stable.example.com/v1'].serverRelativeURL;
    const doc = JSON.parse(await k(['get', '--raw', url]));
    expect(doc.components.schemas['com.example.stable.v1.CronTab']['x-kubernetes-group-version-kind']).to.deep.equal([
      { group: 'stable.example.com', kind: 'CronTab', version: 'v1' },
    ]);
    const crd = JSON.parse(await k(['get', 'crd', 'crontabs.stable.example.com', '-o', 'json']));
    crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.image.description = 'The image, changed.';
    await k(['replace', '-f', '-'], JSON.stringify(crd));
    const after = await until('a new v3 hash', async () => {
      const u: string = JSON.parse(await k(['get', '--raw', '/openapi/v3'])).paths['apis/stable.example.com/v1'].serverRelativeURL;
      return u !== url ? u : undefined;
    });
    expect(
      JSON.parse(await k(['get', '--raw', after])).components.schemas['com.example.stable.v1.CronTab'].properties.spec.properties.image.description,
    ).to.equal('The image, changed.');
  });

  it('`kubectl get all` lists a CronTab, which is in the all category', async () => {
    const out = await k(['-n', ns, 'get', 'all']);
    expect(out).to.include('crontab.stable.example.com/nightly');
  });

  it('`kubectl explain crontab.spec` shows the schema', async () => {
    const out = await k(['explain', 'crontab.spec']);
    expect(out).to.include('KIND:       CronTab');
    expect(out).to.include('cronSpec');
    expect(out).to.include('When to run, in cron syntax');
  });

  it('the schema refuses an invalid CronTab with 422 and its message, for OpenAPI rules and for a CEL rule', async () => {
    const cr = (name: string, spec: object) =>
      JSON.stringify({ apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name, namespace: ns }, spec });
    const tooMany = await cluster.server.request('POST', `/apis/stable.example.com/v1/namespaces/${ns}/crontabs`, {
      body: cr('bad', { cronSpec: '* * * * *', image: 'x', replicas: 20 }),
    });
    expect(tooMany.status).to.equal(422);
    const status = JSON.parse(tooMany.body);
    expect(status.reason).to.equal('Invalid');
    expect(status.details.causes).to.deep.include({
      reason: 'FieldValueInvalid',
      message: 'Invalid value: 20: spec.replicas in body should be less than or equal to 10',
      field: 'spec.replicas',
    });
    const r = await cluster.server.kubectl(v, ['create', '-f', '-'], { stdin: cr('bad', { cronSpec: 'hourly', image: 'x' }) });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('spec.cronSpec in body should match');
    const cel = await cluster.server.kubectl(v, ['create', '-f', '-'], { stdin: cr('bad', { cronSpec: '* * * * *', image: 'x', replicas: 6 }) });
    expect(cel.code).to.equal(1);
    expect(cel.stderr).to.include('more than 5 replicas only for images of registry.example.com');
    await k(['create', '-f', '-'], cr('fine', { cronSpec: '* * * * *', image: 'registry.example.com/x', replicas: 6 }));
  });

  it('unknown fields are pruned (a warning by default), --validate=strict refuses them, defaults are filled in', async () => {
    const doc = (name: string) =>
      JSON.stringify({
        apiVersion: 'stable.example.com/v1',
        kind: 'CronTab',
        metadata: { name, namespace: ns },
        spec: { cronSpec: '* * * * *', image: 'x', colour: 'red' },
      });
    const strict = await cluster.server.kubectl(v, ['apply', '--validate=strict', '-f', '-'], { stdin: doc('strict') });
    expect(strict.code).to.equal(1);
    expect(strict.stderr).to.include('unknown field "spec.colour"');
    const warn = await cluster.server.kubectl(v, ['apply', '--validate=warn', '-f', '-'], { stdin: doc('warned') });
    expect(warn.code, warn.stderr).to.equal(0);
    expect(warn.stderr).to.include('unknown field "spec.colour"');
    const got = JSON.parse(await k(['-n', ns, 'get', 'crontab', 'warned', '-o', 'json']));
    expect(got.spec).to.deep.equal({ cronSpec: '* * * * *', image: 'x', replicas: 1 });
  });

  it('`kubectl scale` works through the scale subresource', async () => {
    await k(['-n', ns, 'scale', 'crontab/nightly', '--replicas=3']);
    const cr = JSON.parse(await k(['-n', ns, 'get', 'crontab', 'nightly', '-o', 'json']));
    expect(cr.spec.replicas).to.equal(3);
    expect(cr.metadata.generation).to.equal(2);
    const scale = JSON.parse(await k(['get', '--raw', `/apis/stable.example.com/v1/namespaces/${ns}/crontabs/nightly/scale`]));
    expect(scale).to.deep.include({ kind: 'Scale', apiVersion: 'autoscaling/v1' });
    expect(scale.spec).to.deep.equal({ replicas: 3 });
  });

  it('a strategic merge patch is 415 (kubectl patch says so), merge and JSON patches work, client-side apply merges', async () => {
    const r = await cluster.server.request('PATCH', `/apis/stable.example.com/v1/namespaces/${ns}/crontabs/nightly`, {
      body: '{"spec":{"replicas":2}}',
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
    });
    expect(r.status).to.equal(415);
    expect(JSON.parse(r.body).reason).to.equal('UnsupportedMediaType');
    const smp = await cluster.server.kubectl(v, ['-n', ns, 'patch', 'crontab', 'nightly', '-p', '{"spec":{"replicas":2}}']);
    expect(smp.stderr).to.include('application/strategic-merge-patch+json is not supported by stable.example.com/v1, Kind=CronTab');
    await k(['-n', ns, 'patch', 'crontab', 'nightly', '--type=merge', '-p', '{"spec":{"replicas":2}}']);
    await k(['-n', ns, 'patch', 'crontab', 'nightly', '--type=json', '-p', '[{"op":"replace","path":"/spec/image","value":"busybox:2"}]']);
    const cr = JSON.parse(await k(['-n', ns, 'get', 'crontab', 'nightly', '-o', 'json']));
    expect(cr.spec).to.deep.include({ replicas: 2, image: 'busybox:2' });
    // client-side apply patches what changed since the last apply (a merge patch for a custom resource)
    const applied = JSON.parse(await k(['-n', ns, 'get', 'crontab', 'nightly', '-o', 'json']));
    applied.spec.cronSpec = '0 4 * * *';
    delete applied.metadata.resourceVersion;
    await k(['apply', '-f', '-'], JSON.stringify(applied));
    const after = JSON.parse(await k(['-n', ns, 'get', 'crontab', 'nightly', '-o', 'json']));
    expect(after.spec).to.deep.include({ cronSpec: '0 4 * * *', replicas: 2, image: 'busybox:2' });
  });

  it('server-side apply creates and updates a CronTab, with managed fields', async () => {
    const doc = (replicas: number) =>
      JSON.stringify({
        apiVersion: 'stable.example.com/v1',
        kind: 'CronTab',
        metadata: { name: 'ssa', namespace: ns },
        spec: { cronSpec: '* * * * *', image: 'x', replicas },
      });
    await k(['apply', '--server-side', '--field-manager=tester', '-f', '-'], doc(1));
    await k(['apply', '--server-side', '--field-manager=tester', '-f', '-'], doc(4));
    const cr = JSON.parse(await k(['-n', ns, 'get', 'crontab', 'ssa', '-o', 'json', '--show-managed-fields']));
    expect(cr.spec.replicas).to.equal(4);
    expect(cr.metadata.managedFields.map((m: any) => m.manager)).to.include('tester');
  });

  it('the status subresource keeps spec and status apart', async () => {
    const path = `/apis/stable.example.com/v1/namespaces/${ns}/crontabs/nightly`;
    const put = await cluster.server.request('PATCH', `${path}/status`, {
      body: { status: { replicas: 2, labelSelector: 'app=nightly' }, spec: { replicas: 9 } },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(put.status, put.body).to.equal(200);
    const main = await cluster.server.request('PATCH', path, {
      body: { status: { replicas: 7 } },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(main.status, main.body).to.equal(200);
    const cr = JSON.parse(await k(['-n', ns, 'get', 'crontab', 'nightly', '-o', 'json']));
    expect(cr.spec.replicas).to.equal(2);
    expect(cr.status).to.deep.equal({ replicas: 2, labelSelector: 'app=nightly' });
    const scale = JSON.parse(await k(['get', '--raw', `${path}/scale`]));
    expect(scale.status).to.deep.equal({ replicas: 2, selector: 'app=nightly' });
  });

  it('a @kubernetes/client-node watch sees ADDED, MODIFIED and DELETED', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.server.kubeconfigPath);
    const seen: string[] = [];
    const req = await new Watch(kc).watch(
      `/apis/stable.example.com/v1/namespaces/${ns}/crontabs`,
      { fieldSelector: 'metadata.name=watched' },
      (type, obj) => seen.push(`${type} ${obj.metadata.name} ${obj.spec?.replicas}`),
      () => {},
    );
    try {
      const cr = {
        apiVersion: 'stable.example.com/v1',
        kind: 'CronTab',
        metadata: { name: 'watched', namespace: ns },
        spec: { cronSpec: '* * * * *', image: 'x' },
      };
      await k(['create', '-f', '-'], JSON.stringify(cr));
      await k(['-n', ns, 'patch', 'crontab', 'watched', '--type=merge', '-p', '{"spec":{"replicas":2}}']);
      await k(['-n', ns, 'delete', 'crontab', 'watched']);
      await until('three watch events', () => seen.length >= 3, 10_000);
    } finally {
      req.abort();
    }
    // replicas: the schema's default (1), filled in on create
    expect(seen).to.deep.equal(['ADDED watched 1', 'MODIFIED watched 2', 'DELETED watched 2']);
  });

  it('deleting the CRD deletes its CronTabs, then the CRD goes, and the resource is no longer served', async () => {
    await k(['delete', 'crd', 'crontabs.stable.example.com', '--timeout=30s']);
    const r = await cluster.server.kubectl(v, ['get', 'crd', 'crontabs.stable.example.com']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('NotFound');
    const list = await cluster.server.request('GET', `/apis/stable.example.com/v1/namespaces/${ns}/crontabs`);
    expect(list.status).to.equal(404);
    const left = await cluster.server.request('GET', `/apis/stable.example.com/v1/crontabs`);
    expect(left.status).to.equal(404);
    const groups = JSON.parse(await k(['get', '--raw', '/apis']));
    expect(groups.groups.map((g: any) => g.name)).to.not.include('stable.example.com');
    expect(JSON.parse(await k(['get', '--raw', '/openapi/v3'])).paths).to.not.have.property('apis/stable.example.com/v1');
  });
});
