// The admission chain itself: plugin order and phases, the enable/disable flags, and what a
// chain without some plugins lets through, on a real apiserver.
import { execFile } from 'node:child_process';
import { expect } from 'chai';
import { componentEntryArgs, useApiserver } from '@skiff/common/testing/index';
import { AdmissionChain } from '../src/admission/chain.ts';
import type { AdmissionPlugin } from '../src/admission/interface.ts';
import { orderedPlugins, selectPlugins } from '../src/admission/plugins/index.ts';
import type { ApiRegistry } from '../src/registry/api-registry.ts';

const user = { name: 'admin', groups: [] };
const request = (warnings: string[] = []) => ({
  group: '',
  version: 'v1',
  resource: 'pods',
  kind: 'Pod',
  subresource: '',
  namespace: 'ns',
  name: 'p',
  user,
  dryRun: false,
  warnings,
});

describe('admission chain: order and phases', () => {
  it("lists the plugins in kube-apiserver's order", () => {
    expect(orderedPlugins.map((p) => p.name)).to.deep.equal([
      'NamespaceLifecycle',
      'LimitRanger',
      'ServiceAccount',
      'NodeRestriction',
      'PodSecurity',
      'Priority',
      'DefaultTolerationSeconds',
      'DefaultStorageClass',
      'StorageObjectInUseProtection',
      'ResourceQuota',
    ]);
  });

  it('runs every admit in order, then (when the store calls it) every validate, only for the operations each handles', async () => {
    const seen: string[] = [];
    const plugin = (name: string, ops: AdmissionPlugin['operations']): AdmissionPlugin => ({
      name,
      operations: ops,
      admit: (a) => {
        seen.push(`${name}.admit:${a.operation}`);
        a.object!.metadata.labels = { ...a.object!.metadata.labels, [name]: 'x' };
      },
      validate: (a) => {
        seen.push(`${name}.validate:${a.operation}:${Object.keys(a.object?.metadata.labels ?? {}).join(',')}`);
        a.warnings.push(`${name} says hi`);
      },
    });
    const chain = new AdmissionChain([plugin('A', ['CREATE', 'UPDATE']), plugin('B', ['UPDATE']), plugin('C', ['CREATE'])], {} as ApiRegistry);
    const warnings: string[] = [];
    const req = chain.forRequest(request(warnings));
    const obj = { metadata: { name: 'p', namespace: 'ns' } };
    await req.admit('CREATE', obj, undefined);
    await req.validate('CREATE', obj, undefined);
    expect(seen).to.deep.equal(['A.admit:CREATE', 'C.admit:CREATE', 'A.validate:CREATE:A,C', 'C.validate:CREATE:A,C']);
    expect(warnings).to.deep.equal(['A says hi', 'C says hi']);
  });

  it('stops at the first plugin that refuses', async () => {
    const ran: string[] = [];
    const refuse: AdmissionPlugin = {
      name: 'Refuse',
      operations: ['DELETE'],
      admit: () => {
        throw new Error('no');
      },
    };
    const after: AdmissionPlugin = { name: 'After', operations: ['DELETE'], admit: () => void ran.push('after') };
    const chain = new AdmissionChain([refuse, after], {} as ApiRegistry);
    const err = await chain
      .forRequest(request())
      .admit('DELETE', undefined, { metadata: { name: 'p' } })
      .catch((e: Error) => e);
    expect((err as Error).message).to.equal('no');
    expect(ran).to.deep.equal([]);
  });

  it('admits binding and eviction as CREATE, as Kubernetes does', async () => {
    const ops: string[] = [];
    const spy: AdmissionPlugin = { name: 'Spy', operations: ['CREATE', 'UPDATE', 'DELETE'], admit: (a) => void ops.push(`${a.subresource}:${a.operation}`) };
    const chain = new AdmissionChain([spy], {} as ApiRegistry);
    await chain.forRequest({ ...request(), subresource: 'binding' }).admit('UPDATE', { metadata: {} }, { metadata: {} });
    await chain.forRequest({ ...request(), subresource: 'eviction' }).admit('DELETE', undefined, { metadata: {} });
    await chain.forRequest({ ...request(), subresource: 'status' }).admit('UPDATE', { metadata: {} }, { metadata: {} });
    expect(ops).to.deep.equal(['binding:CREATE', 'eviction:CREATE', 'status:UPDATE']);
  });
});

describe('admission flags', () => {
  it('turns plugins off by name and keeps the order', () => {
    expect(selectPlugins({ disable: ['ServiceAccount', 'NamespaceLifecycle'] }).map((p) => p.name)).to.deep.equal([
      'LimitRanger',
      'NodeRestriction',
      'PodSecurity',
      'Priority',
      'DefaultTolerationSeconds',
      'DefaultStorageClass',
      'StorageObjectInUseProtection',
      'ResourceQuota',
    ]);
    expect(selectPlugins({ enable: ['Priority'] }).map((p) => p.name)).to.deep.equal(orderedPlugins.map((p) => p.name));
  });

  it('refuses unknown names and a plugin both enabled and disabled', () => {
    expect(() => selectPlugins({ disable: ['Nope'] })).to.throw('--disable-admission-plugins: unknown admission plugin(s): Nope');
    expect(() => selectPlugins({ enable: ['Priority'], disable: ['Priority'] })).to.throw(
      'Priority in both --enable-admission-plugins and --disable-admission-plugins',
    );
  });

  it('the apiserver stops at start-up on an unknown plugin name', async function () {
    this.timeout(30_000);
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [...componentEntryArgs('apiserver'), '--disable-admission-plugins=NamespaceLifecycle,Bogus'], (err, _stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code) : 0, stderr }),
      ),
    );
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('unknown admission plugin(s): Bogus');
  });
});

describe('admission: plugins turned off on a real apiserver', function () {
  this.timeout(120_000);
  const cluster = useApiserver({
    extraArgs: ['--disable-admission-plugins=NamespaceLifecycle,ServiceAccount,DefaultTolerationSeconds', '--system-namespaces-interval-seconds=1'],
  });
  const k = (args: string[], stdin?: string) => cluster.server.kubectl('1.33', args, { stdin });

  it('without ServiceAccount and DefaultTolerationSeconds a pod gets neither; Priority still runs', async () => {
    const pod = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bare","namespace":"default"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}`;
    const r = await k(['create', '-f', '-', '-o', 'json'], pod);
    expect(r.code, r.stderr).to.equal(0);
    const spec = JSON.parse(r.stdout).spec;
    expect(spec.serviceAccountName).to.equal(undefined);
    expect(spec.tolerations).to.equal(undefined);
    expect(spec.priority).to.equal(0);
  });

  it('without NamespaceLifecycle kube-public can be deleted, and the apiserver recreates it', async () => {
    const before = JSON.parse((await k(['get', 'ns', 'kube-public', '-o', 'json'])).stdout).metadata.uid;
    const d = await k(['delete', 'ns', 'kube-public', '--wait=false']);
    expect(d.code, d.stderr).to.equal(0);
    // nothing runs the namespace controller here: finish the deletion by clearing the finalizer
    const ns = JSON.parse((await k(['get', 'ns', 'kube-public', '-o', 'json'])).stdout);
    ns.spec.finalizers = [];
    const fin = await cluster.server.request('PUT', '/api/v1/namespaces/kube-public/finalize', { body: ns });
    expect(fin.status, fin.body).to.equal(200);
    const deadline = Date.now() + 15_000;
    let uid = before;
    while (Date.now() < deadline) {
      const g = await k(['get', 'ns', 'kube-public', '-o', 'json']);
      if (g.code === 0) uid = JSON.parse(g.stdout).metadata.uid;
      if (g.code === 0 && uid !== before) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(uid, 'a new kube-public').to.not.equal(before);
  });
});
