// CRDs beyond the worked example: a real-world CRD (prometheus-operator's ServiceMonitor),
// several versions with None conversion, cluster scope, name conflicts, a CRD whose objects
// hold finalizers while it is deleted, and an apiserver restart.
import { expect } from 'chai';
import { join } from 'node:path';
import { until, useApiserver } from '@skiff/common/testing/index';

const v = '1.33';
const fixtures = join(import.meta.dirname, '..', '..', 'test', 'fixtures');

const schema = {
  openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' }, color: { type: 'string' } } } } },
};

function crd(group: string, plural: string, kind: string, opts: Record<string, any> = {}) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: opts.scope ?? 'Namespaced',
      names: { plural, kind, ...(opts.names ?? {}) },
      versions: opts.versions ?? [{ name: 'v1', served: true, storage: true, schema }],
    },
  };
}

describe('CustomResourceDefinitions: versions, scope, names, deletion, restart', function () {
  this.timeout(120_000);
  const cluster = useApiserver();
  const run = (args: string[], stdin?: string) => cluster.server.kubectl(v, args, stdin === undefined ? {} : { stdin });
  const k = async (args: string[], stdin?: string) => {
    const r = await run(args, stdin);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const established = (name: string) => k(['wait', '--for=condition=Established', '--timeout=10s', `crd/${name}`]);

  before(() => k(['create', 'namespace', 'crd-life']));

  it("prometheus-operator's ServiceMonitor CRD applies and serves", async () => {
    await k(['apply', '--server-side', '-f', join(fixtures, 'crd-servicemonitors.monitoring.coreos.com.yaml')]);
    await established('servicemonitors.monitoring.coreos.com');
    const sm = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'web', namespace: 'crd-life', labels: { team: 'a' } },
      spec: { selector: { matchLabels: { app: 'web' } }, endpoints: [{ port: 'http', interval: '30s' }, { targetPort: 8080 }] },
    };
    await k(['apply', '-f', '-'], JSON.stringify(sm));
    expect(await k(['-n', 'crd-life', 'get', 'smon', '-o', 'name'])).to.equal('servicemonitor.monitoring.coreos.com/web\n');
    const got = JSON.parse(await k(['-n', 'crd-life', 'get', 'servicemonitor', 'web', '-o', 'json']));
    expect(got.spec.endpoints[1].targetPort).to.equal(8080);
    const explain = await k(['explain', 'servicemonitor.spec.endpoints']);
    expect(explain).to.include('KIND:       ServiceMonitor');
    expect(explain).to.include('interval');
  });

  it("cert-manager's Certificate CRD applies and serves, its printer columns read the Ready condition", async () => {
    await k(['apply', '--server-side', '-f', join(fixtures, '..', 'apiextensions', 'schema', 'fixtures', 'cert-manager.io_certificates.yaml')]);
    await established('certificates.cert-manager.io');
    const cert = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'web', namespace: 'crd-life' },
      spec: { secretName: 'web-tls', dnsNames: ['web.example.com'], issuerRef: { name: 'ca', kind: 'ClusterIssuer' } },
    };
    await k(['apply', '-f', '-'], JSON.stringify(cert));
    const status = {
      status: {
        conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      },
    };
    await k(['-n', 'crd-life', 'patch', 'certificate', 'web', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
    const out = await k(['-n', 'crd-life', 'get', 'certs']);
    expect(out.split('\n')[0]!.split(/\s{2,}/)).to.deep.equal(['NAME', 'READY', 'SECRET', 'AGE']);
    expect(out.split('\n')[1]).to.match(/^web\s+True\s+web-tls\s+\d+s$/);
    const bad = await run(['-n', 'crd-life', 'patch', 'certificate', 'web', '--type=merge', '-p', '{"spec":{"privateKey":{"algorithm":"DSA"}}}']);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include('spec.privateKey.algorithm: Unsupported value: "DSA"');
  });

  it('serves every served version, stores one, converts with None; an unserved version is 404', async () => {
    const versions = [
      { name: 'v1beta1', served: true, storage: false, schema },
      { name: 'v1', served: true, storage: true, schema },
      { name: 'v1alpha1', served: false, storage: false, schema },
    ];
    await k(['create', '-f', '-'], JSON.stringify(crd('multi.example.com', 'widgets', 'Widget', { versions })));
    await established('widgets.multi.example.com');
    const w = { apiVersion: 'multi.example.com/v1beta1', kind: 'Widget', metadata: { name: 'w1', namespace: 'crd-life' }, spec: { size: 3 } };
    await k(['create', '-f', '-'], JSON.stringify(w));
    const asV1 = JSON.parse((await cluster.server.request('GET', '/apis/multi.example.com/v1/namespaces/crd-life/widgets/w1')).body);
    const asBeta = JSON.parse((await cluster.server.request('GET', '/apis/multi.example.com/v1beta1/namespaces/crd-life/widgets/w1')).body);
    expect(asV1.apiVersion).to.equal('multi.example.com/v1');
    expect(asBeta.apiVersion).to.equal('multi.example.com/v1beta1');
    expect(asV1.spec).to.deep.equal({ size: 3 });
    expect(asV1.metadata.uid).to.equal(asBeta.metadata.uid);
    expect((await cluster.server.request('GET', '/apis/multi.example.com/v1alpha1/namespaces/crd-life/widgets')).status).to.equal(404);
    const group = JSON.parse(await k(['get', '--raw', '/apis/multi.example.com']));
    expect(group.versions.map((x: any) => x.version)).to.deep.equal(['v1', 'v1beta1']);
    expect(group.preferredVersion.version).to.equal('v1');
    const crdNow = JSON.parse(await k(['get', 'crd', 'widgets.multi.example.com', '-o', 'json']));
    expect(crdNow.status.storedVersions).to.deep.equal(['v1']);
  });

  it('a Cluster-scoped CRD serves objects without a namespace', async () => {
    await k(['create', '-f', '-'], JSON.stringify(crd('cluster.example.com', 'regions', 'Region', { scope: 'Cluster' })));
    await established('regions.cluster.example.com');
    await k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'cluster.example.com/v1', kind: 'Region', metadata: { name: 'eu' }, spec: { color: 'blue' } }));
    expect(await k(['get', 'regions'])).to.match(/^NAME\s+AGE\neu\s+\d+s\n$/);
    expect((await cluster.server.request('GET', '/apis/cluster.example.com/v1/namespaces/crd-life/regions')).status).to.equal(404);
    const out = await k(['api-resources', '--api-group=cluster.example.com', '--namespaced=false', '-o', 'name']);
    expect(out).to.equal('regions.cluster.example.com\n');
  });

  it('a CRD whose names another CRD of the group has accepted is not Established (NamesAccepted False)', async () => {
    await k(['create', '-f', '-'], JSON.stringify(crd('names.example.com', 'apples', 'Apple', { names: { shortNames: ['fruit'] } })));
    await established('apples.names.example.com');
    await k(['create', '-f', '-'], JSON.stringify(crd('names.example.com', 'pears', 'Pear', { names: { shortNames: ['fruit'] } })));
    const conditions = await until('conditions on pears', async () => {
      const c = JSON.parse(await k(['get', 'crd', 'pears.names.example.com', '-o', 'json'])).status.conditions;
      return c?.length ? c : undefined;
    });
    const byType = Object.fromEntries(conditions.map((c: any) => [c.type, c]));
    expect(byType.NamesAccepted).to.deep.include({ status: 'False', reason: 'ShortNamesConflict', message: '"fruit" is already in use' });
    expect(byType.Established).to.deep.include({ status: 'False', reason: 'NotAccepted' });
    expect((await cluster.server.request('GET', '/apis/names.example.com/v1/pears')).status).to.equal(404);
    // once the other CRD goes, the names are free
    await k(['delete', 'crd', 'apples.names.example.com']);
    await established('pears.names.example.com');
  });

  it('refuses an invalid CRD with field causes', async () => {
    const bad = crd('nodot', 'things', 'Thing', { scope: 'Galaxy' });
    bad.metadata.name = 'wrong.nodot';
    const r = await run(['create', '-f', '-'], JSON.stringify(bad));
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('metadata.name: Invalid value: "wrong.nodot": must be spec.names.plural+"."+spec.group');
    expect(r.stderr).to.include('spec.group: Invalid value: "nodot": should be a domain with at least one dot');
    expect(r.stderr).to.include('spec.scope: Unsupported value: "Galaxy"');
    const twoStorage = crd('ok.example.com', 'things', 'Thing', {
      versions: [
        { name: 'v1', served: true, storage: true, schema },
        { name: 'v2', served: true, storage: true, schema },
      ],
    });
    const r2 = await run(['create', '-f', '-'], JSON.stringify(twoStorage));
    expect(r2.stderr).to.include('must have exactly one version marked as storage version');
    const r3 = await run(['create', '-f', '-'], JSON.stringify(crd('storage.k8s.io', 'volumes', 'Volume')));
    expect(r3.stderr).to.include('metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation');
  });

  it('a CRD cannot take over a built-in resource: its plural is in use', async () => {
    const shadow = crd('storage.k8s.io', 'storageclasses', 'StorageClass');
    (shadow.metadata as any).annotations = { 'api-approved.kubernetes.io': 'unapproved, test' };
    await k(['create', '-f', '-'], JSON.stringify(shadow));
    const accepted = await until('NamesAccepted on the shadow CRD', async () =>
      JSON.parse(await k(['get', 'crd', 'storageclasses.storage.k8s.io', '-o', 'json'])).status.conditions?.find((c: any) => c.type === 'NamesAccepted'),
    );
    expect(accepted).to.deep.include({ status: 'False', reason: 'PluralConflict', message: '"storageclasses" is already in use' });
    await k(['delete', 'crd', 'storageclasses.storage.k8s.io']);
    // the built-in kind is still served
    expect(JSON.parse(await k(['get', '--raw', '/apis/storage.k8s.io/v1/storageclasses'])).kind).to.equal('StorageClassList');
    expect(await k(['api-resources', '--api-group=storage.k8s.io', '-o', 'name'])).to.include('storageclasses.storage.k8s.io');
  });

  it("a CRD being deleted waits for its objects' finalizers and refuses new objects meanwhile", async () => {
    await k(['create', '-f', '-'], JSON.stringify(crd('held.example.com', 'boxes', 'Box')));
    await established('boxes.held.example.com');
    const box = (name: string) =>
      JSON.stringify({ apiVersion: 'held.example.com/v1', kind: 'Box', metadata: { name, namespace: 'crd-life', finalizers: ['example.com/hold'] } });
    await k(['create', '-f', '-'], box('b1'));
    await k(['delete', 'crd', 'boxes.held.example.com', '--wait=false']);
    const terminating = await until('Terminating condition', async () => {
      const c = JSON.parse(await k(['get', 'crd', 'boxes.held.example.com', '-o', 'json'])).status.conditions?.find((x: any) => x.type === 'Terminating');
      return c?.reason === 'InstanceDeletionCheck' ? c : undefined;
    });
    expect(terminating.message).to.include('1 remaining');
    const refused = await cluster.server.request('POST', '/apis/held.example.com/v1/namespaces/crd-life/boxes', {
      body: { apiVersion: 'held.example.com/v1', kind: 'Box', metadata: { name: 'b2' } },
    });
    expect(refused.status).to.equal(405);
    await k(['-n', 'crd-life', 'patch', 'box', 'b1', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await k(['wait', '--for=delete', '--timeout=15s', 'crd/boxes.held.example.com']);
  });

  it('after a restart the apiserver serves the CRDs it had, as soon as it is ready', async () => {
    await cluster.server.restart();
    const r = await cluster.server.request('GET', '/apis/multi.example.com/v1/namespaces/crd-life/widgets/w1');
    expect(r.status, r.body).to.equal(200);
    expect(await k(['get', 'regions', '-o', 'name'])).to.equal('region.cluster.example.com/eu\n');
  });
});
