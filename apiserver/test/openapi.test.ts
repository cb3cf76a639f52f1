import { expect } from 'chai';
import { OpenApi, decodeV2Protobuf, schemaFor, patchMetaFor } from '../src/openapi/index.ts';
import { compiledKind, decodeTyped } from '../src/registry/typed/index.ts';

/** The fields of `obj` its kind's schema does not declare, as the typed decoder finds them. */
function unknownFields(group: string, version: string, kind: string, obj: unknown): string[] {
  return decodeTyped(compiledKind(group, version, kind)!, structuredClone(obj) as Record<string, unknown>).unknown.map((p) => `.${p}`);
}
import { servedResources } from './openapi-fixtures.ts';

describe('openapi documents', function () {
  this.timeout(20000);
  let api: OpenApi;
  let buildMs = 0;
  before(() => {
    const started = performance.now();
    api = new OpenApi(servedResources);
    api.v2Json();
    api.v2Protobuf();
    api.v3Index();
    buildMs = performance.now() - started;
  });

  // the build time is printed, not asserted (a loaded machine is no measure); the documents are
  // built once and then served from memory
  it('builds everything (v2 JSON + protobuf, all v3 documents) once, then serves the same documents', () => {
    process.stdout.write(`      built in ${buildMs.toFixed(0)} ms\n`);
    expect(api.v2Json()).to.equal(api.v2Json());
    expect(api.v2Protobuf()).to.equal(api.v2Protobuf());
    expect(api.v3Index()).to.deep.equal(api.v3Index());
  });

  it('lists one v3 document per served group-version, addressed with its hash', () => {
    const index = api.v3Index();
    expect(Object.keys(index.paths)).to.include.members([
      'api/v1',
      'apis/apps/v1',
      'apis/discovery.k8s.io/v1',
      'apis/coordination.k8s.io/v1',
      'apis/events.k8s.io/v1',
    ]);
    const hash = api.v3Hash('apis/apps/v1');
    expect(hash).to.match(/^[0-9A-F]{128}$/);
    expect(index.paths['apis/apps/v1'].serverRelativeURL).to.equal(`/openapi/v3/apis/apps/v1?hash=${hash}`);
    expect(api.v3Document('apis/nope/v1')).to.equal(undefined);
    expect(api.v3Hash('api/v1')).to.not.equal(hash);
  });

  it('v3 patch operations carry the GVK and the fieldValidation parameter kubectl looks for', () => {
    const doc = JSON.parse(api.v3Document('apis/apps/v1')!.toString());
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch.operationId).to.equal('patchAppsV1NamespacedDeployment');
    expect(patch['x-kubernetes-action']).to.equal('patch');
    expect(patch['x-kubernetes-group-version-kind']).to.deep.equal({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch.parameters.map((p: any) => p.name)).to.include.members(['fieldValidation', 'fieldManager', 'dryRun', 'force']);
    expect(Object.keys(patch.requestBody.content)).to.have.members([
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
      'application/apply-patch+yaml',
    ]);
    // every $ref resolves inside the document
    const schemas = doc.components.schemas;
    for (const ref of JSON.stringify(doc).match(/#\/components\/schemas\/[^"]+/g)!) {
      expect(schemas, ref).to.have.property(ref.slice('#/components/schemas/'.length));
    }
    const deployment = schemas['io.k8s.api.apps.v1.Deployment'];
    expect(deployment['x-kubernetes-group-version-kind']).to.deep.include({ group: 'apps', kind: 'Deployment', version: 'v1' });
    expect(deployment.properties.spec.$ref).to.equal('#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec');
    // a $ref with a description beside it is wrapped in allOf, as kube-apiserver writes v3
    const created = schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.creationTimestamp;
    expect(created.allOf).to.deep.equal([{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time' }]);
    expect(created.description).to.match(/^CreationTimestamp/);
    expect(schemas['io.k8s.api.apps.v1.DeploymentSpec'].properties.replicas.description).to.match(/Number of desired pods/);
  });

  it('names operations and subresources as kube-apiserver does', () => {
    const v2 = api.v2Document();
    const ids = new Set<string>();
    for (const item of Object.values(v2.paths as Record<string, any>)) for (const op of Object.values(item)) ids.add((op as any).operationId);
    expect([...ids]).to.include.members([
      'listCoreV1NamespacedPod',
      'listCoreV1PodForAllNamespaces',
      'createCoreV1NamespacedPodBinding',
      'createCoreV1NamespacedPodEviction',
      'readAppsV1NamespacedDeploymentScale',
      'patchCoreV1NamespaceStatus',
      'watchCoreV1NamespacedPodList',
      'deleteCoreV1CollectionNamespacedPod',
      'listDiscoveryV1NamespacedEndpointSlice',
      'patchEventsV1NamespacedEvent',
      'replaceCoordinationV1NamespacedLease',
      'listCoreV1Node',
    ]);
    const scale = v2.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].put;
    expect(scale['x-kubernetes-group-version-kind']).to.deep.equal({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    expect(v2.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions']['x-kubernetes-group-version-kind']).to.deep.include({
      group: 'apps',
      kind: 'DeleteOptions',
      version: 'v1',
    });
    for (const name of [
      'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
      'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent',
      'io.k8s.api.policy.v1.Eviction',
      'io.k8s.api.core.v1.Binding',
      'io.k8s.api.core.v1.PodTemplateSpec',
    ]) {
      expect(v2.definitions, name).to.have.property(name);
    }
    expect(v2.definitions['io.k8s.api.events.v1.Event']['x-kubernetes-group-version-kind']).to.deep.equal([
      { group: 'events.k8s.io', kind: 'Event', version: 'v1' },
    ]);
  });

  it('serves the v2 document as gnostic protobuf that decodes back to the same content', () => {
    const decoded = decodeV2Protobuf(api.v2Protobuf());
    const v2 = api.v2Document();
    expect(decoded.swagger).to.equal('2.0');
    expect(decoded.paths.path.map((p: any) => p.name)).to.deep.equal(Object.keys(v2.paths));
    const defs = new Map<string, any>(decoded.definitions.additional_properties.map((d: any) => [d.name, d.value]));
    expect(defs.size).to.equal(Object.keys(v2.definitions).length);
    const podSpec = defs.get('io.k8s.api.core.v1.PodSpec');
    const containers = podSpec.properties.additional_properties.find((p: any) => p.name === 'containers').value;
    expect(containers.type.value).to.deep.equal(['array']);
    expect(containers.items.schema[0]._ref).to.equal('#/definitions/io.k8s.api.core.v1.Container');
    const ext = Object.fromEntries(containers.vendor_extension.map((e: any) => [e.name, e.value.yaml.trim()]));
    expect(ext['x-kubernetes-patch-merge-key']).to.equal('name');
    expect(ext['x-kubernetes-patch-strategy']).to.equal('merge');
    const gvk = defs.get('io.k8s.api.apps.v1.Deployment').vendor_extension[0];
    expect(gvk.name).to.equal('x-kubernetes-group-version-kind');
    expect(gvk.value.yaml).to.equal('- group: apps\n  kind: Deployment\n  version: v1\n');
  });

  it('gives a stable ETag for the v2 document', () => {
    expect(api.v2Etag()).to.match(/^"[0-9A-F]{128}"$/);
    expect(new OpenApi(servedResources).v2Etag()).to.equal(api.v2Etag());
  });
});

describe('schema look-ups', () => {
  const deployment = (spec: object) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } }, spec });

  it('returns the definition of a kind, undefined for an unknown one', () => {
    expect(schemaFor('', 'v1', 'Pod')!.properties.spec.$ref).to.equal('#/definitions/io.k8s.api.core.v1.PodSpec');
    expect(schemaFor('apps', 'v1', 'Nope')).to.equal(undefined);
    expect(schemaFor('events.k8s.io', 'v1', 'Event')!.properties).to.have.property('reportingController');
    expect(schemaFor('', 'v1', 'Event')!.properties).to.have.property('involvedObject');
  });

  it('finds unknown fields in nested objects and lists', () => {
    const found = unknownFields(
      'apps',
      'v1',
      'Deployment',
      deployment({
        replicaz: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              { name: 'a', image: 'busybox', resources: { limits: { cpu: '1' } } },
              { name: 'b', image: 'busybox', imagez: 'x', ports: [{ containerPort: 80, bogus: true }] },
            ],
          },
        },
      }),
    );
    expect(found).to.have.members(['.spec.replicaz', '.spec.template.spec.containers[1].imagez', '.spec.template.spec.containers[1].ports[0].bogus']);
  });

  it('accepts any keys in maps and free-form fields', () => {
    expect(
      unknownFields('', 'v1', 'ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations: { x: 'y' } }, data: { anything: 'v' } }),
    ).to.deep.equal([]);
    expect(unknownFields('', 'v1', 'Pod', { metadata: { managedFields: [{ fieldsV1: { 'f:spec': {} } }] } })).to.deep.equal([]);
    expect(unknownFields('', 'v1', 'Pod', { metadata: { namez: 'x' } })).to.deep.equal(['.metadata.namez']);
  });

  it('resolves merge semantics through $refs, lists and maps', () => {
    const meta = patchMetaFor('apps', 'v1', 'Deployment')!;
    expect(meta.at(['spec', 'template', 'spec', 'containers'])).to.include({ patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', isList: true });
    expect(meta.at(['spec', 'template', 'spec', 'containers', 'ports']).listMapKeys).to.deep.equal(['containerPort', 'protocol']);
    expect(meta.at(['spec', 'template', 'spec', 'volumes']).patchStrategy).to.equal('merge,retainKeys');
    expect(meta.at(['metadata', 'labels'])).to.include({ isMap: true, type: 'object' });
    expect(meta.at(['spec', 'selector']).mapType).to.equal('atomic');
    expect(meta.at(['metadata', 'finalizers'])).to.include({ listType: 'set', patchStrategy: 'merge' });
    expect(meta.at(['spec', 'replicas'])).to.include({ type: 'integer' });
    expect(meta.at(['spec', 'replicaz'])).to.deep.equal({});
    expect(patchMetaFor('', 'v1', 'Service')!.at(['spec', 'ports']).patchMergeKey).to.equal('port');
    expect(patchMetaFor('', 'v1', 'Nope')).to.equal(undefined);
  });
});
