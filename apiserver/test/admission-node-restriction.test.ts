// NodeRestriction: two kubelet identities (client certificates system:node:n1 and
// system:node:n2 in system:nodes) against a test apiserver running Node,RBAC; each may write
// only its own Node, Lease, pods and tokens, with Kubernetes' 403 messages.
import { expect } from 'chai';
import { makeClientCert, useApiserver, until, type CertPair, type HttpResponse } from '@skiff/common/testing/index';
import { forbiddenNodeLabels } from '../src/admission/plugins/node-restriction.ts';

const V = '1.33';

describe('admission: NodeRestriction', function () {
  this.timeout(120_000);
  const cluster = useApiserver({ extraArgs: [] });
  const certs = {} as Record<'n1' | 'n2' | 'n3', CertPair>;
  const node1Kubeconfig = { path: '' };

  const as = (who: keyof typeof certs, method: string, path: string, body?: unknown, contentType = 'application/merge-patch+json'): Promise<HttpResponse> =>
    cluster.server.request(method, path, {
      client: certs[who],
      body: body as object,
      headers: method === 'PATCH' ? { 'content-type': contentType } : {},
    });
  const admin = (method: string, path: string, body?: unknown) => cluster.server.request(method, path, { body: body as object });
  const message = (r: HttpResponse) => (JSON.parse(r.body) as { message: string }).message;

  const pod = (name: string, node: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'nginx' }], ...extra },
  });

  before(async () => {
    const pki = cluster.server.pki;
    for (const n of ['n1', 'n2', 'n3'] as const) certs[n] = await makeClientCert(pki, `nr-${n}`, `system:node:${n}`, 'system:nodes');
    node1Kubeconfig.path = await cluster.server.kubeconfigFor(certs.n1, 'nr-n1');
    for (const n of ['n1', 'n2']) {
      const r = await as(n as 'n1', 'POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: n, labels: { 'kubernetes.io/hostname': n } },
      });
      expect(r.status, r.body).to.equal(201);
    }
    for (const [name, node] of [
      ['p1', 'n1'],
      ['p2', 'n2'],
    ]) {
      expect((await admin('POST', '/api/v1/namespaces/default/pods', pod(name!, node!))).status).to.equal(201);
    }
    // the Node authorizer learns of pods through its watch
    await until('the node graph', async () => (await as('n1', 'GET', '/api/v1/namespaces/default/pods/p1')).status === 200, 10_000);
  });

  it('lets a node register itself, not another node, and not with restricted labels', async () => {
    const other = await as('n3', 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n9' } });
    expect(other.status).to.equal(403);
    expect(message(other)).to.equal('nodes "n9" is forbidden: node "n3" is not allowed to modify node "n9"');
    const labelled = await as('n3', 'POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'n3',
        labels: { 'node-restriction.kubernetes.io/pool': 'a', 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/os': 'linux' },
      },
    });
    expect(labelled.status).to.equal(403);
    expect(message(labelled)).to.equal(
      'nodes "n3" is forbidden: node "n3" is not allowed to set the following labels: node-restriction.kubernetes.io/pool, node-role.kubernetes.io/control-plane',
    );
    const withConfigSource = await as('n3', 'POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n3' },
      spec: { configSource: { configMap: { name: 'c', namespace: 'kube-system', kubeletConfigKey: 'k' } } },
    });
    expect(withConfigSource.status).to.equal(403);
    const fine = await as('n3', 'POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n3', labels: { 'kubernetes.io/os': 'linux', 'node.kubernetes.io/instance-type': 'small', team: 'a' } },
    });
    expect(fine.status, fine.body).to.equal(201);
  });

  it('lets a node change its own Node and status, but not another node, its taints or restricted labels (kubectl)', async () => {
    const k = (args: string[]) => cluster.server.kubectl(V, ['--kubeconfig', node1Kubeconfig.path, ...args]);
    expect((await k(['label', 'node', 'n1', 'team=a'])).code).to.equal(0);
    expect((await k(['label', 'node', 'n1', 'topology.kubernetes.io/zone=z1'])).code).to.equal(0);
    const other = await k(['label', 'node', 'n2', 'team=a']);
    expect(other.stderr.trim()).to.equal('Error from server (Forbidden): nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    const restricted = await k(['label', 'node', 'n1', 'node-restriction.kubernetes.io/trusted=yes']);
    expect(restricted.stderr.trim()).to.equal(
      'Error from server (Forbidden): nodes "n1" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/trusted',
    );
    // a kubelet draining its node on shutdown (--drain-on-shutdown) cordons itself, and only itself
    expect((await k(['cordon', 'n1'])).code).to.equal(0);
    expect(JSON.parse((await admin('GET', '/api/v1/nodes/n1')).body).spec.unschedulable).to.equal(true);
    expect((await k(['uncordon', 'n1'])).code).to.equal(0);
    const cordonOther = await k(['cordon', 'n2']);
    expect(cordonOther.stderr.trim()).to.equal('error: unable to cordon node "n2": nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    const taint = await k(['taint', 'node', 'n1', 'k=v:NoSchedule']);
    expect(taint.stderr.trim()).to.equal('Error from server (Forbidden): nodes "n1" is forbidden: node "n1" is not allowed to modify taints');
    const status = await as('n1', 'PATCH', '/api/v1/nodes/n1/status', { status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    expect(status.status, status.body).to.equal(200);
    expect((await as('n1', 'PATCH', '/api/v1/nodes/n2/status', { status: { conditions: [{ type: 'Ready', status: 'False' }] } })).status).to.equal(403);
    // a taint the admin sets stays: the node's own status posts do not touch it
    expect((await cluster.server.kubectl(V, ['taint', 'node', 'n1', 'k=v:NoSchedule'])).code).to.equal(0);
    expect((await as('n1', 'PATCH', '/api/v1/nodes/n1/status', { status: { phase: 'Running' } })).status).to.equal(200);
    expect((await as('n1', 'PATCH', '/api/v1/nodes/n1', { spec: { taints: null } })).status).to.equal(403);
  });

  it('confines pod writes to pods bound to the node', async () => {
    const own = await as('n1', 'PATCH', '/api/v1/namespaces/default/pods/p1/status', { status: { phase: 'Running' } });
    expect(own.status, own.body).to.equal(200);
    const other = await as('n1', 'PATCH', '/api/v1/namespaces/default/pods/p2/status', { status: { phase: 'Running' } });
    expect(other.status).to.equal(403);
    expect(message(other)).to.equal('pods "p2" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself');
    const relabel = await as('n1', 'PATCH', '/api/v1/namespaces/default/pods/p1/status', { metadata: { labels: { app: 'other' } } });
    expect(message(relabel)).to.equal('pods "p1" is forbidden: node "n1" cannot update labels through pod status');
    const update = await as('n1', 'PATCH', '/api/v1/namespaces/default/pods/p1', { metadata: { labels: { a: 'b' } } });
    // a pod's spec and metadata are not the node's to change: RBAC's system:node already says no
    expect(message(update)).to.equal('pods "p1" is forbidden: User "system:node:n1" cannot patch resource "pods" in API group "" in the namespace "default"');
    const created = await as('n1', 'POST', '/api/v1/namespaces/default/pods', pod('x', 'n1'));
    expect(message(created)).to.equal(
      'pods "x" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods',
    );
    const evictOther = await as('n1', 'POST', '/api/v1/namespaces/default/pods/p2/eviction', {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'p2', namespace: 'default' },
    });
    expect(message(evictOther)).to.equal('pods "p2" is forbidden: node n1 can only evict pods with spec.nodeName set to itself');
    const deleteOther = await as('n1', 'DELETE', '/api/v1/namespaces/default/pods/p2');
    expect(message(deleteOther)).to.equal('pods "p2" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself');
    expect((await admin('GET', '/api/v1/namespaces/default/pods/p2')).status).to.equal(200);
    const deleteOwn = await as('n1', 'DELETE', '/api/v1/namespaces/default/pods/p1?dryRun=All');
    expect(deleteOwn.status, deleteOwn.body).to.equal(200);
    const evictOwn = await as('n1', 'POST', '/api/v1/namespaces/default/pods/p1/eviction?dryRun=All', {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'p1', namespace: 'default' },
    });
    expect(evictOwn.status, evictOwn.body).to.equal(201);
  });

  it('admits only mirror pods owned by the node itself that reference nothing secret', async () => {
    const uid = JSON.parse((await admin('GET', '/api/v1/nodes/n1')).body).metadata.uid as string;
    const mirror = (extra: Record<string, unknown> = {}, owner: Record<string, unknown> = {}) => {
      const p = pod('static-web-n1', 'n1', extra) as any;
      p.metadata.annotations = { 'kubernetes.io/config.mirror': 'hash' };
      p.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid, controller: true, ...owner }];
      return p;
    };
    const post = (body: unknown) => as('n1', 'POST', '/api/v1/namespaces/default/pods?dryRun=All', body);
    const refused = async (body: unknown, why: string) => {
      const r = await post(body);
      expect(r.status, r.body).to.equal(403);
      expect(message(r)).to.equal(`pods "static-web-n1" is forbidden: ${why}`);
    };
    await refused(mirror({ nodeName: 'n2' }), 'node "n1" can only create pods with spec.nodeName set to itself');
    await refused(mirror({}, { uid: 'not-the-uid' }), `node n1 UID mismatch: expected not-the-uid got ${uid}`);
    await refused(mirror({}, { controller: false }), 'node "n1" can only create pods with a controller owner reference set to itself');
    await refused(mirror({}, { blockOwnerDeletion: true }), 'node "n1" must not set blockOwnerDeletion on an owner reference');
    await refused(mirror({ serviceAccountName: 'default' }), 'node "n1" can not create pods that reference a service account');
    await refused(mirror({ volumes: [{ name: 's', secret: { secretName: 'x' } }] }), 'node "n1" can not create pods that reference secrets');
    await refused(
      mirror({ containers: [{ name: 'c', image: 'nginx', envFrom: [{ configMapRef: { name: 'x' } }] }] }),
      'node "n1" can not create pods that reference configmaps',
    );
    await refused(
      mirror({ volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'x' } }] }),
      'node "n1" can not create pods that reference persistentvolumeclaims',
    );
    const ok = await post(mirror());
    expect(ok.status, ok.body).to.equal(201);
  });

  it('keeps each node to its own Lease in kube-node-lease', async () => {
    const lease = (name: string) => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: name },
    });
    const own = await as('n1', 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease('n1'));
    expect(own.status, own.body).to.equal(201);
    const other = await as('n1', 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease('n2'));
    expect(other.status).to.equal(403);
    expect(message(other)).to.equal('leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node');
    const renew = await as('n1', 'PATCH', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', { spec: { leaseDurationSeconds: 40 } });
    expect(renew.status, renew.body).to.equal(200);
  });

  it('leaves everyone else alone', async () => {
    expect((await cluster.server.kubectl(V, ['label', 'node', 'n2', 'node-restriction.kubernetes.io/trusted=yes'])).code).to.equal(0);
    expect((await cluster.server.kubectl(V, ['run', 'plain', '--image=nginx'])).code).to.equal(0);
  });

  it('knows which labels a kubelet may set', () => {
    expect(
      forbiddenNodeLabels([
        'kubernetes.io/hostname',
        'kubernetes.io/os',
        'beta.kubernetes.io/arch',
        'topology.kubernetes.io/region',
        'node.kubernetes.io/exclude-from-external-load-balancers',
        'kubelet.kubernetes.io/x',
        'foo.node.kubernetes.io/y',
        'example.com/any',
        'plain',
        'node-role.kubernetes.io/worker',
        'k8s.io/x',
        'sub.k8s.io/x',
        'node-restriction.kubernetes.io/a',
        'x.node-restriction.kubernetes.io/b',
      ]),
    ).to.deep.equal(['k8s.io/x', 'node-restriction.kubernetes.io/a', 'node-role.kubernetes.io/worker', 'sub.k8s.io/x', 'x.node-restriction.kubernetes.io/b']);
  });
});
