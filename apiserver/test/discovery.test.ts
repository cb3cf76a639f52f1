import { expect } from 'chai';
import { Discovery, compareVersions, negotiateAggregated, storageVersionHash } from '../src/discovery/index.ts';
import type { ResourceDef } from '../src/registry/types.ts';

/** A small but realistic slice of the API, as the registry would hand it over. */
export function sampleDefs(): ResourceDef[] {
  return [
    {
      group: '',
      version: 'v1',
      kind: 'Pod',
      resource: 'pods',
      singular: 'pod',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
      subresources: ['status', 'log', 'exec', 'binding', 'eviction', 'attach', 'portforward'],
    },
    { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', singular: 'namespace', namespaced: false, subresources: ['status', 'finalize'] },
    { group: '', version: 'v1', kind: 'Service', resource: 'services', singular: 'service', namespaced: true, subresources: ['status', 'proxy'] },
    { group: '', version: 'v1', kind: 'Event', resource: 'events', singular: 'event', namespaced: true },
    { group: '', version: 'v1', kind: 'Binding', resource: 'bindings', singular: 'binding', namespaced: true, verbs: ['create'] },
    { group: '', version: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', singular: 'serviceaccount', namespaced: true, subresources: ['token'] },
    {
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
      resource: 'deployments',
      singular: 'deployment',
      namespaced: true,
      subresources: ['status', 'scale'],
      scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas' },
    },
    {
      group: 'apps',
      version: 'v1',
      kind: 'ReplicaSet',
      resource: 'replicasets',
      singular: 'replicaset',
      namespaced: true,
      shortNames: ['rs'],
      categories: ['all'],
      subresources: ['status', 'scale'],
    },
    {
      group: 'events.k8s.io',
      version: 'v1',
      kind: 'Event',
      resource: 'events',
      singular: 'event',
      namespaced: true,
      storageResource: 'events',
      toStorage: (o) => o,
      fromStorage: (o) => o,
    },
    {
      group: 'autoscaling',
      version: 'v1',
      kind: 'HorizontalPodAutoscaler',
      resource: 'horizontalpodautoscalers',
      singular: 'horizontalpodautoscaler',
      namespaced: true,
      subresources: ['status'],
    },
    {
      group: 'autoscaling',
      version: 'v2',
      kind: 'HorizontalPodAutoscaler',
      resource: 'horizontalpodautoscalers',
      singular: 'horizontalpodautoscaler',
      namespaced: true,
      subresources: ['status'],
    },
    { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', resource: 'leases', singular: 'lease', namespaced: true },
    { group: 'example.com', version: 'v1alpha1', kind: 'Widget', resource: 'widgets', singular: 'widget', namespaced: false },
    { group: 'example.com', version: 'v1beta2', kind: 'Widget', resource: 'widgets', singular: 'widget', namespaced: false },
  ];
}

const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

describe('discovery: legacy documents', () => {
  const d = new Discovery(sampleDefs());

  it('GET /api lists the core versions and the server address', () => {
    expect(d.apiVersions('10.0.0.1:6443')).to.deep.equal({
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }],
    });
  });

  it('GET /apis lists named groups in kube-apiserver order with the preferred version first', () => {
    const list = d.apiGroupList() as any;
    expect(list).to.include({ kind: 'APIGroupList', apiVersion: 'v1' });
    expect(list.groups.map((g: any) => g.name)).to.deep.equal(['apps', 'events.k8s.io', 'autoscaling', 'coordination.k8s.io', 'example.com']);
    const autoscaling = list.groups.find((g: any) => g.name === 'autoscaling');
    expect(autoscaling.versions).to.deep.equal([
      { groupVersion: 'autoscaling/v2', version: 'v2' },
      { groupVersion: 'autoscaling/v1', version: 'v1' },
    ]);
    expect(autoscaling.preferredVersion).to.deep.equal({ groupVersion: 'autoscaling/v2', version: 'v2' });
    expect(list.groups.find((g: any) => g.name === 'example.com').preferredVersion.version).to.equal('v1beta2');
  });

  it('GET /apis/<group> answers one APIGroup; unknown groups and the core group are not found', () => {
    expect(d.apiGroup('apps')).to.deep.equal({
      kind: 'APIGroup',
      apiVersion: 'v1',
      name: 'apps',
      versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
    });
    expect(d.apiGroup('nope.example')).to.equal(undefined);
    expect(d.apiGroup('')).to.equal(undefined);
  });

  it('GET /api/v1 lists resources and subresources by name, as kube-apiserver does', () => {
    const list = d.resourceList('', 'v1') as any;
    expect(list).to.include({ kind: 'APIResourceList', groupVersion: 'v1' });
    const names = list.resources.map((r: any) => r.name);
    expect(names).to.deep.equal([...names].sort());
    const by = (n: string) => list.resources.find((r: any) => r.name === n);
    expect(by('pods')).to.deep.equal({
      name: 'pods',
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      verbs: allVerbs,
      shortNames: ['po'],
      categories: ['all'],
      storageVersionHash: 'xPOwRZ+Yhw8=',
    });
    expect(by('pods/log')).to.deep.equal({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
    expect(by('pods/exec')).to.deep.equal({ name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] });
    expect(by('pods/binding')).to.deep.equal({ name: 'pods/binding', singularName: '', namespaced: true, kind: 'Binding', verbs: ['create'] });
    expect(by('pods/eviction')).to.deep.equal({
      name: 'pods/eviction',
      singularName: '',
      namespaced: true,
      group: 'policy',
      version: 'v1',
      kind: 'Eviction',
      verbs: ['create'],
    });
    expect(by('pods/status')).to.deep.equal({ name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] });
    expect(by('services/proxy').kind).to.equal('ServiceProxyOptions');
    expect(by('namespaces')).to.include({ namespaced: false, storageVersionHash: storageVersionHash({ group: '', version: 'v1', kind: 'Namespace' }) });
    expect(by('namespaces').shortNames).to.deep.equal(['ns']); // well-known short name when the def has none
    expect(by('namespaces/finalize').verbs).to.deep.equal(['update']);
    expect(by('serviceaccounts/token')).to.include({ group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' });
    expect(by('bindings')).to.deep.equal({ name: 'bindings', singularName: 'binding', namespaced: true, kind: 'Binding', verbs: ['create'] });
    expect(by('services').categories).to.deep.equal(['all']);
  });

  it('GET /apis/apps/v1 has scale subresources of kind autoscaling/v1 Scale', () => {
    const list = d.resourceList('apps', 'v1') as any;
    expect(list.groupVersion).to.equal('apps/v1');
    const by = (n: string) => list.resources.find((r: any) => r.name === n);
    expect(by('deployments')).to.deep.equal({
      name: 'deployments',
      singularName: 'deployment',
      namespaced: true,
      kind: 'Deployment',
      verbs: allVerbs,
      shortNames: ['deploy'],
      categories: ['all'],
      storageVersionHash: '8aSe+NMegvE=',
    });
    expect(by('deployments/scale')).to.deep.equal({
      name: 'deployments/scale',
      singularName: '',
      namespaced: true,
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
      verbs: ['get', 'patch', 'update'],
    });
    expect(by('deployments/status')).to.deep.equal({
      name: 'deployments/status',
      singularName: '',
      namespaced: true,
      kind: 'Deployment',
      verbs: ['get', 'patch', 'update'],
    });
    expect(d.resourceList('apps', 'v1beta1')).to.equal(undefined);
    expect(d.resourceList('nope', 'v1')).to.equal(undefined);
  });

  it('events.k8s.io Events share the storage version hash of core Events', () => {
    const ev = (d.resourceList('events.k8s.io', 'v1') as any).resources[0];
    expect(ev.storageVersionHash).to.equal('r2yiGXH7wu8=');
  });

  it('rejects defs that are incomplete or defined twice', () => {
    expect(() => new Discovery([{ ...sampleDefs()[0]!, singular: '' }])).to.throw(/has no singular/);
    expect(() => new Discovery([sampleDefs()[0]!, sampleDefs()[0]!])).to.throw(/defined twice/);
  });
});

describe('discovery: aggregated documents', () => {
  const d = new Discovery(sampleDefs());

  it('negotiates from the Accept headers kubectl 1.27 and 1.30+ send', () => {
    expect(negotiateAggregated(`${V2BETA1},application/json`)).to.equal('v2beta1');
    expect(negotiateAggregated(`${V2},${V2BETA1},application/json`)).to.equal('v2');
    expect(negotiateAggregated(`${V2};profile=nopeer,${V2},${V2BETA1},application/json`)).to.equal('v2');
    expect(negotiateAggregated('application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,' + V2BETA1)).to.equal('v2beta1');
    expect(negotiateAggregated('application/json')).to.equal(undefined);
    expect(negotiateAggregated(`application/json,${V2}`)).to.equal(undefined);
    expect(negotiateAggregated('')).to.equal(undefined);
    expect(negotiateAggregated('application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList')).to.equal(undefined);
  });

  it('answers /apis with every named group and exactly the media type asked', () => {
    const agg = d.aggregated(`${V2},${V2BETA1},application/json`, 'apis')!;
    expect(agg.contentType).to.equal(V2);
    const body = agg.body as any;
    expect(body).to.include({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2' });
    expect(body.items.map((g: any) => g.metadata.name)).to.deep.equal(['apps', 'events.k8s.io', 'autoscaling', 'coordination.k8s.io', 'example.com']);
    const apps = body.items[0];
    expect(apps.versions.map((v: any) => [v.version, v.freshness])).to.deep.equal([['v1', 'Current']]);
    const deploy = apps.versions[0].resources.find((r: any) => r.resource === 'deployments');
    expect(deploy).to.deep.equal({
      resource: 'deployments',
      responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      scope: 'Namespaced',
      singularResource: 'deployment',
      verbs: allVerbs,
      shortNames: ['deploy'],
      categories: ['all'],
      subresources: [
        { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
        { subresource: 'status', responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' }, verbs: ['get', 'patch', 'update'] },
      ],
    });
    const autoscaling = body.items.find((g: any) => g.metadata.name === 'autoscaling');
    expect(autoscaling.versions.map((v: any) => v.version)).to.deep.equal(['v2', 'v1']);
  });

  it('answers /api with the core group only, and v2beta1 when that is what was asked', () => {
    const agg = d.aggregated(`${V2BETA1},application/json`, 'api')!;
    expect(agg.contentType).to.equal(V2BETA1);
    const body = agg.body as any;
    expect(body.apiVersion).to.equal('apidiscovery.k8s.io/v2beta1');
    expect(body.items).to.have.length(1);
    expect(body.items[0].metadata.name).to.equal('');
    const pods = body.items[0].versions[0].resources.find((r: any) => r.resource === 'pods');
    expect(pods).to.include({ scope: 'Namespaced', singularResource: 'pod' });
    expect(pods.responseKind).to.deep.equal({ group: '', version: 'v1', kind: 'Pod' });
    expect(pods.subresources.map((s: any) => s.subresource)).to.deep.equal(['attach', 'binding', 'eviction', 'exec', 'log', 'portforward', 'status']);
    expect(pods.subresources.find((s: any) => s.subresource === 'eviction').responseKind).to.deep.equal({ group: 'policy', version: 'v1', kind: 'Eviction' });
    const ns = body.items[0].versions[0].resources.find((r: any) => r.resource === 'namespaces');
    expect(ns.scope).to.equal('Cluster');
  });

  it('returns undefined when the client wants the legacy documents', () => {
    expect(d.aggregated('application/json', 'apis')).to.equal(undefined);
    expect(d.aggregated('', 'api')).to.equal(undefined);
  });
});

describe('discovery: version order', () => {
  it('orders GA, beta, alpha, then other strings', () => {
    const versions = ['v1alpha1', 'foo', 'v1beta1', 'v2', 'v1', 'v1beta2', 'v10alpha3', 'v2beta1', 'bar'];
    expect([...versions].sort(compareVersions)).to.deep.equal(['v2', 'v1', 'v2beta1', 'v1beta2', 'v1beta1', 'v10alpha3', 'v1alpha1', 'bar', 'foo']);
  });
});
