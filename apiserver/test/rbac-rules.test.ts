// RBAC rule matching, rule coverage (escalation checks), the node graph and the 403 wording, as units.
import { expect } from 'chai';
import { ruleAllows, rulesCover, type PolicyRule } from '../src/auth/rbac/rules.ts';
import { forbiddenError, parseAuthorizationModes, type Attributes } from '../src/auth/authorizer.ts';
import { NodeGraph } from '../src/auth/node-graph.ts';
import { BindingIndex } from '../src/auth/rbac/binding-index.ts';
import type { KObject } from '../src/registry/types.ts';
import { attributesOf, extraChecks } from '../src/auth/request-attributes.ts';
import { parseRequestInfo } from '../src/server/request-info.ts';

const res = (verb: string, group: string, resource: string, more: Partial<Attributes> = {}): Attributes => ({
  verb,
  isResourceRequest: true,
  path: '/x',
  group,
  resource,
  ...more,
});
const url = (verb: string, path: string): Attributes => ({ verb, isResourceRequest: false, path, group: '', resource: '' });

describe('rbac rules', () => {
  it('matches verbs, groups, resources, subresources and names', () => {
    const r: PolicyRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/log'] };
    expect(ruleAllows(res('get', '', 'pods', { name: 'a' }), r)).to.equal(true);
    expect(ruleAllows(res('get', '', 'pods', { subresource: 'log', name: 'a' }), r)).to.equal(true);
    expect(ruleAllows(res('get', '', 'pods', { subresource: 'exec', name: 'a' }), r)).to.equal(false);
    expect(ruleAllows(res('delete', '', 'pods', { name: 'a' }), r)).to.equal(false);
    expect(ruleAllows(res('get', 'apps', 'pods', { name: 'a' }), r)).to.equal(false);
    const star: PolicyRule = { verbs: ['*'], apiGroups: ['*'], resources: ['*'] };
    expect(ruleAllows(res('escalate', 'rbac.authorization.k8s.io', 'clusterroles', { name: 'x' }), star)).to.equal(true);
    expect(ruleAllows(res('update', 'apps', 'deployments', { subresource: 'scale' }), star)).to.equal(true);
    expect(ruleAllows(url('get', '/healthz'), star)).to.equal(false);
    const scale: PolicyRule = { verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] };
    expect(ruleAllows(res('update', 'apps', 'deployments', { subresource: 'scale' }), scale)).to.equal(true);
    expect(ruleAllows(res('update', 'apps', 'deployments'), scale)).to.equal(false);
    const named: PolicyRule = { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['cluster-info'] };
    expect(ruleAllows(res('get', '', 'configmaps', { name: 'cluster-info' }), named)).to.equal(true);
    expect(ruleAllows(res('get', '', 'configmaps', { name: 'other' }), named)).to.equal(false);
    expect(ruleAllows(res('list', '', 'configmaps'), { ...named, verbs: ['list'] })).to.equal(false);
  });

  it('matches non-resource URLs exactly or by a * suffix', () => {
    const r: PolicyRule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
    expect(ruleAllows(url('get', '/healthz'), r)).to.equal(true);
    expect(ruleAllows(url('get', '/healthz/etcd'), r)).to.equal(false);
    expect(ruleAllows(url('get', '/apis/apps/v1'), r)).to.equal(true);
    expect(ruleAllows(url('get', '/apis'), r)).to.equal(false);
    expect(ruleAllows(url('post', '/healthz'), r)).to.equal(false);
    expect(ruleAllows(res('get', '', 'healthz'), r)).to.equal(false);
  });

  it('tells which requested rules an owner does not cover', () => {
    const owner: PolicyRule[] = [
      { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'secrets'] },
      { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] },
    ];
    expect(rulesCover(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }])).to.deep.equal([]);
    expect(rulesCover(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }])).to.deep.equal([]);
    expect(rulesCover(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }])).to.have.length(1);
    expect(rulesCover(owner, [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] }])).to.deep.equal([
      { verbs: ['delete'], apiGroups: [''], resources: ['pods'], resourceNames: [] },
    ]);
    expect(rulesCover(owner, [{ verbs: ['*'], apiGroups: [''], resources: ['pods'] }])).to.have.length(1);
    expect(rulesCover([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }])).to.deep.equal([]);
  });
});

describe('request attributes', () => {
  it('authorizes a namespace in itself and a list by metadata.name as that object', () => {
    const q = new URLSearchParams('fieldSelector=metadata.name%3Dn1');
    const a = attributesOf(parseRequestInfo('GET', '/api/v1/nodes', q), q);
    expect(a).to.include({ verb: 'list', resource: 'nodes', name: 'n1' });
    const ns = attributesOf(parseRequestInfo('GET', '/api/v1/namespaces/team', new URLSearchParams()));
    expect(ns).to.include({ resource: 'namespaces', name: 'team', namespace: 'team' });
  });

  it('asks create as well for a GET to exec, attach and port-forward', () => {
    const q = new URLSearchParams('command=sh');
    const exec = attributesOf(parseRequestInfo('GET', '/api/v1/namespaces/a/pods/p/exec', q), q);
    expect(exec.verb).to.equal('get');
    expect(extraChecks(exec).map((x) => x.verb)).to.deep.equal(['create']);
    const logs = attributesOf(parseRequestInfo('GET', '/api/v1/namespaces/a/pods/p/log', q), q);
    expect(extraChecks(logs)).to.deep.equal([]);
  });

  it('parses --authorization-mode', () => {
    expect(parseAuthorizationModes('Node,RBAC')).to.deep.equal(['Node', 'RBAC']);
    expect(() => parseAuthorizationModes('Node,ABAC')).to.throw('unknown mode "ABAC"');
    expect(() => parseAuthorizationModes('')).to.throw('at least one mode');
  });
});

describe('binding index', () => {
  const binding = (name: string, namespace: string | undefined, subjects: object[]): KObject =>
    ({ metadata: { name, ...(namespace ? { namespace } : {}) }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects }) as KObject;
  const names = (bs: KObject[]) => bs.map((b) => b.metadata.name).sort();

  it('finds the bindings of a user, its groups and its ServiceAccount name, each once', () => {
    const index = new BindingIndex();
    index.set(
      binding('both', 'team', [
        { kind: 'User', name: 'ann' },
        { kind: 'Group', name: 'devs' },
      ]),
    );
    index.set(binding('devs', 'team', [{ kind: 'Group', name: 'devs' }]));
    // a ServiceAccount without a namespace is the binding's own namespace's
    index.set(binding('robot', 'team', [{ kind: 'ServiceAccount', name: 'robot' }]));
    index.set(binding('robot-elsewhere', 'team', [{ kind: 'ServiceAccount', name: 'robot', namespace: 'other' }]));
    index.set(binding('nobody', 'team', [{ kind: 'Robot', name: 'ann' }]));
    expect(names(index.matching({ name: 'ann', groups: ['devs', 'system:authenticated'] }))).to.deep.equal(['both', 'devs']);
    expect(names(index.matching({ name: 'bob', groups: ['devs'] }))).to.deep.equal(['both', 'devs']);
    expect(names(index.matching({ name: 'ann', groups: [] }))).to.deep.equal(['both']);
    expect(names(index.matching({ name: 'system:serviceaccount:team:robot', groups: [] }))).to.deep.equal(['robot']);
    expect(names(index.matching({ name: 'system:serviceaccount:other:robot', groups: [] }))).to.deep.equal(['robot-elsewhere']);
  });

  it('follows a binding whose subjects change, and forgets a deleted one', () => {
    const index = new BindingIndex();
    index.set(binding('b', undefined, [{ kind: 'User', name: 'ann' }]));
    index.set(binding('b', undefined, [{ kind: 'User', name: 'bob' }]));
    expect(index.matching({ name: 'ann', groups: [] })).to.deep.equal([]);
    expect(names(index.matching({ name: 'bob', groups: [] }))).to.deep.equal(['b']);
    index.delete('b');
    expect(index.matching({ name: 'bob', groups: [] })).to.deep.equal([]);
  });
});

describe('node graph', () => {
  const pod = (name: string, node: string | undefined, spec: Record<string, unknown> = {}) => ({
    metadata: { namespace: 'a', name },
    spec: { nodeName: node, serviceAccountName: 'builder', containers: [{ name: 'c', envFrom: [{ secretRef: { name: 'env' } }] }], ...spec },
  });

  it('links a node to what its pods use, and forgets it when the pod goes or moves', () => {
    const g = new NodeGraph();
    g.podChanged(
      pod('p', 'n1', {
        volumes: [
          { name: 'v', configMap: { name: 'cm' } },
          { name: 'c', persistentVolumeClaim: { claimName: 'data' } },
        ],
      }),
      false,
    );
    expect(g.hasPath('n1', 'secret', 'a', 'env')).to.equal(true);
    expect(g.hasPath('n1', 'configmap', 'a', 'cm')).to.equal(true);
    expect(g.hasPath('n1', 'pvc', 'a', 'data')).to.equal(true);
    expect(g.hasPath('n1', 'serviceaccount', 'a', 'builder')).to.equal(true);
    expect(g.hasPath('n2', 'secret', 'a', 'env')).to.equal(false);
    expect(g.hasPath('n1', 'secret', 'b', 'env')).to.equal(false);
    g.podChanged(pod('q', 'n1'), false);
    g.podChanged(pod('p', 'n1'), true);
    expect(g.hasPath('n1', 'configmap', 'a', 'cm')).to.equal(false);
    expect(g.hasPath('n1', 'secret', 'a', 'env')).to.equal(true, 'q still uses it');
    g.podChanged(pod('q', undefined), false);
    expect(g.hasPath('n1', 'secret', 'a', 'env')).to.equal(false);
  });
});

describe('forbidden', () => {
  it('words the 403 as kube-apiserver does', () => {
    const user = { name: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:authenticated'] };
    const e = forbiddenError(user, res('list', '', 'secrets', { namespace: 'y' }));
    expect(e.code).to.equal(403);
    expect(e.message).to.equal('secrets is forbidden: User "system:bootstrap:abcdef" cannot list resource "secrets" in API group "" in the namespace "y"');
    const n = forbiddenError(user, res('get', '', 'secrets', { namespace: 'y', name: 's' }), "no relationship found between node 'n1' and this object");
    expect(n.message).to.equal(
      'secrets "s" is forbidden: User "system:bootstrap:abcdef" cannot get resource "secrets" in API group "" in the namespace "y": no relationship found between node \'n1\' and this object',
    );
    expect(forbiddenError(user, url('get', '/metrics')).message).to.equal('forbidden: User "system:bootstrap:abcdef" cannot get path "/metrics"');
  });
});
