// NamespaceLifecycle through the real kubectl: the system namespaces cannot be deleted, and
// nothing is created in a missing or terminating namespace.
import { expect } from 'chai';
import { useApiserver } from '@skiff/common/testing/index';

describe('admission: NamespaceLifecycle', function () {
  this.timeout(120_000);
  const cluster = useApiserver();
  const k = (args: string[], stdin?: string) => cluster.server.kubectl('1.33', args, { stdin });
  const ok = async (args: string[], stdin?: string) => {
    const r = await k(args, stdin);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  it('kubectl delete ns default (and kube-system, kube-public) is Forbidden with Kubernetes message', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public']) {
      const r = await k(['delete', 'ns', ns]);
      expect(r.code).to.equal(1);
      expect(r.stderr.trim()).to.equal(`Error from server (Forbidden): namespaces "${ns}" is forbidden: this namespace may not be deleted`);
      expect(await ok(['get', 'ns', ns, '-o', 'jsonpath={.status.phase}'])).to.equal('Active');
    }
  });

  it('a create in a missing namespace is NotFound', async () => {
    const r = await k(['create', 'configmap', 'c', '-n', 'nowhere']);
    // kubectl create configmap words server errors this way on Kubernetes too
    expect(r.stderr.trim()).to.equal('error: failed to create configmap: namespaces "nowhere" not found');
    const raw = await cluster.server.request('POST', '/api/v1/namespaces/nowhere/configmaps', { body: { metadata: { name: 'c' } } });
    expect(raw.status).to.equal(404);
    expect(JSON.parse(raw.body)).to.include({ reason: 'NotFound', message: 'namespaces "nowhere" not found' });
  });

  it('a terminating namespace refuses creates but allows updates and deletes', async () => {
    await ok(['create', 'ns', 'ending']);
    await ok(['create', 'configmap', 'before', '-n', 'ending']);
    // nothing runs the namespace controller here: the namespace stays Terminating
    await ok(['delete', 'ns', 'ending', '--wait=false']);
    expect(await ok(['get', 'ns', 'ending', '-o', 'jsonpath={.status.phase}'])).to.equal('Terminating');
    const r = await k(['create', 'configmap', 'after', '-n', 'ending']);
    expect(r.stderr.trim()).to.equal(
      'error: failed to create configmap: configmaps "after" is forbidden: unable to create new content in namespace ending because it is being terminated',
    );
    const raw = await cluster.server.request('POST', '/api/v1/namespaces/ending/configmaps', { body: { metadata: { name: 'raw' } } });
    expect(raw.status).to.equal(403);
    expect(JSON.parse(raw.body).details.causes).to.deep.equal([
      { reason: 'NamespaceTerminating', message: 'namespace ending is being terminated', field: 'metadata.namespace' },
    ]);
    expect(await ok(['label', 'configmap', 'before', '-n', 'ending', 'a=b'])).to.include('labeled');
    expect(await ok(['delete', 'configmap', 'before', '-n', 'ending'])).to.include('deleted');
  });

  it('kubectl delete ns --all leaves default, kube-system and kube-public Active', async () => {
    await ok(['create', 'ns', 'scratch']);
    const r = await k(['delete', 'ns', '--all', '--wait=false']);
    expect(r.code).to.equal(1);
    for (const ns of ['default', 'kube-system', 'kube-public']) {
      expect(r.stderr).to.include(`namespaces "${ns}" is forbidden: this namespace may not be deleted`);
    }
    expect(r.stdout).to.include('namespace "scratch" deleted').and.include('namespace "kube-node-lease" deleted');
    const phases = JSON.parse(await ok(['get', 'ns', '-o', 'json'])).items.map((n: any) => `${n.metadata.name}=${n.status.phase}`);
    expect(phases).to.include.members(['default=Active', 'kube-system=Active', 'kube-public=Active', 'scratch=Terminating']);
  });
});
