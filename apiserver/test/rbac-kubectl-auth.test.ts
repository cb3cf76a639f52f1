// The kubectl auth commands of issue 14 that the deny matrix (rbac-matrix.test.ts) does not
// drive: `kubectl auth reconcile` (create from a file, a second run changes nothing, additive
// unless --remove-extra-permissions / --remove-extra-subjects), `kubectl create token default`
// used with `kubectl --token`, and `kubectl auth whoami` printing the user and groups. The real
// kubectl against a test apiserver with the default --authorization-mode (Node,RBAC).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { removeOnExit, runKubectl, sharedEtcd, sharedPki, startApiserver, until, type ApiserverHandle, type KubectlResult } from '@skiff/common/testing/index';

const V = '1.33';

const policy = (ns: string) => [
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'pod-reader', namespace: ns },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'read-pods', namespace: ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'rita' }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'rec-node-reader' },
    rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'rec-read-nodes' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'rec-node-reader' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'rita' }],
  },
];

describe('kubectl auth reconcile, create token, whoami', function () {
  this.timeout(180_000);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-auth-'));
  removeOnExit(dir);
  let server: ApiserverHandle | undefined;
  const cluster = {
    get server(): ApiserverHandle {
      if (!server) throw new Error('apiserver not started');
      return server;
    },
  };
  before(async () => {
    const p = await sharedPki();
    const etcd = await sharedEtcd();
    // a signing key, so that TokenRequest works
    server = await startApiserver({
      etcdUrl: etcd.url,
      ...(etcd.tls ? { etcdTls: etcd.tls } : {}),
      extraArgs: [`--service-account-signing-key-file=${p.serviceAccountKey}`, `--service-account-key-file=${p.serviceAccountPub}`],
    });
  });
  after(async () => {
    await server?.stop();
  });
  const k = (args: string[], stdin?: string) => cluster.server.kubectl(V, args, stdin === undefined ? {} : { stdin });
  const ok = async (args: string[], stdin?: string): Promise<KubectlResult> => {
    const r = await k(args, stdin);
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r;
  };
  const file = (name: string, objects: object[]) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    return path;
  };
  const versions = async (ns: string) =>
    Promise.all([
      ok(['get', 'role', 'pod-reader', '-n', ns, '-o', 'jsonpath={.metadata.resourceVersion}']),
      ok(['get', 'rolebinding', 'read-pods', '-n', ns, '-o', 'jsonpath={.metadata.resourceVersion}']),
      ok(['get', 'clusterrole', 'rec-node-reader', '-o', 'jsonpath={.metadata.resourceVersion}']),
      ok(['get', 'clusterrolebinding', 'rec-read-nodes', '-o', 'jsonpath={.metadata.resourceVersion}']),
    ]).then((rs) => rs.map((r) => r.stdout));

  it('reconcile creates the objects (and their namespace), then changes nothing on a second run', async () => {
    const path = file('policy.json', policy('rec'));
    const first = await ok(['auth', 'reconcile', '-f', path]);
    expect(first.stdout).to.include('role.rbac.authorization.k8s.io/pod-reader reconciled');
    expect(first.stdout).to.include('clusterrolebinding.rbac.authorization.k8s.io/rec-read-nodes reconciled');
    expect((await ok(['get', 'namespace', 'rec', '-o', 'jsonpath={.status.phase}'])).stdout).to.equal('Active');
    expect((await ok(['get', 'role', 'pod-reader', '-n', 'rec', '-o', 'jsonpath={.rules[0].verbs}'])).stdout).to.equal('["get","list"]');
    expect((await ok(['get', 'rolebinding', 'read-pods', '-n', 'rec', '-o', 'jsonpath={.subjects[0].name}'])).stdout).to.equal('rita');
    // the new grants are in force
    await until('rita may list pods in rec', async () => (await k(['auth', 'can-i', 'list', 'pods', '-n', 'rec', '--as=rita'])).stdout.trim() === 'yes');
    expect((await k(['auth', 'can-i', 'get', 'nodes', '--as=rita'])).stdout.trim()).to.equal('yes');

    const before = await versions('rec');
    await ok(['auth', 'reconcile', '-f', path]);
    expect(await versions('rec'), 'a second reconcile writes nothing').to.deep.equal(before);
  });

  it('is additive, unless told to remove extra permissions or subjects', async () => {
    const path = file('policy.json', policy('rec'));
    await ok([
      'patch',
      'role',
      'pod-reader',
      '-n',
      'rec',
      '--type=json',
      '-p',
      '[{"op":"add","path":"/rules/-","value":{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}}]',
    ]);
    await ok([
      'patch',
      'rolebinding',
      'read-pods',
      '-n',
      'rec',
      '--type=json',
      '-p',
      '[{"op":"add","path":"/subjects/-","value":{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"extra"}}]',
    ]);
    const rules = async () => (await ok(['get', 'role', 'pod-reader', '-n', 'rec', '-o', 'jsonpath={.rules[*].resources}'])).stdout;
    const subjects = async () => (await ok(['get', 'rolebinding', 'read-pods', '-n', 'rec', '-o', 'jsonpath={.subjects[*].name}'])).stdout;

    // the authorizer has the patched grants (and remembers them: their removal must reach it below)
    const can = async (who: string, verb: string, resource: string) => (await k(['auth', 'can-i', verb, resource, '-n', 'rec', `--as=${who}`])).stdout.trim();
    await until('rita may get secrets', async () => (await can('rita', 'get', 'secrets')) === 'yes');
    await until('extra may list pods', async () => (await can('extra', 'list', 'pods')) === 'yes');

    await ok(['auth', 'reconcile', '-f', path]);
    expect(await rules()).to.equal('["pods"] ["secrets"]');
    expect(await subjects()).to.equal('rita extra');

    await ok(['auth', 'reconcile', '-f', path, '--remove-extra-permissions']);
    expect(await rules()).to.equal('["pods"]');
    expect(await subjects(), 'subjects stay without --remove-extra-subjects').to.equal('rita extra');

    await until('the extra rule gone for rita', async () => (await can('rita', 'get', 'secrets')) === 'no');
    expect(await can('rita', 'list', 'pods')).to.equal('yes');

    await ok(['auth', 'reconcile', '-f', path, '--remove-extra-subjects']);
    expect(await subjects()).to.equal('rita');
    await until('the extra subject unbound', async () => (await can('extra', 'list', 'pods')) === 'no');
  });

  it('reconcile --dry-run=client writes nothing', async () => {
    const changed = policy('rec');
    (changed[0] as { rules: object[] }).rules.push({ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] });
    const dry = await ok(['auth', 'reconcile', '-f', file('dry.json', changed), '--dry-run=client']);
    expect(dry.stdout).to.include('role.rbac.authorization.k8s.io/pod-reader reconciled (dry run)');
    expect((await ok(['get', 'role', 'pod-reader', '-n', 'rec', '-o', 'jsonpath={.rules[*].resources}'])).stdout).to.equal('["pods"]');
  });

  it('gives a token for the default ServiceAccount that kubectl --token uses; whoami names it', async () => {
    await ok(['create', 'namespace', 'tok']);
    // no controller-manager here: the default ServiceAccount is made by hand
    await ok(['create', 'serviceaccount', 'default', '-n', 'tok']);
    const token = (await ok(['create', 'token', 'default', '-n', 'tok'])).stdout.trim();
    expect(token.split('.')).to.have.length(3);
    // a kubeconfig with the cluster only: the token on the command line is the one credential
    const bare = join(dir, 'bare.kubeconfig');
    writeFileSync(
      bare,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: c, cluster: {server: "${cluster.server.url}", certificate-authority: "${cluster.server.pki.caCert}"}}]`,
        'users: [{name: u, user: {}}]',
        'contexts: [{name: c, context: {cluster: c, user: u}}]',
        'current-context: c',
        '',
      ].join('\n'),
    );
    const withToken = (args: string[]) => runKubectl(bare, V, [`--token=${token}`, ...args]);
    const who = await withToken(['auth', 'whoami']);
    expect(who.code, who.stderr).to.equal(0);
    expect(who.stdout).to.match(/Username\s+system:serviceaccount:tok:default/);
    expect(who.stdout).to.match(/Groups\s+\[system:serviceaccounts system:serviceaccounts:tok system:authenticated\]/);
    // the default ServiceAccount holds nothing: the 403 names it
    const pods = await withToken(['get', 'pods', '-n', 'tok']);
    expect(pods.stderr).to.include('User "system:serviceaccount:tok:default" cannot list resource "pods"');
    // (view is aggregated by the controller-manager, which is not running here: a Role of our own)
    await ok(['create', 'role', 'pod-lister', '--verb=list', '--resource=pods', '-n', 'tok']);
    await ok(['create', 'rolebinding', 'sa-pods', '--role=pod-lister', '--serviceaccount=tok:default', '-n', 'tok']);
    await until('the token may list pods', async () => (await withToken(['get', 'pods', '-n', 'tok'])).code === 0);
    const wrong = await runKubectl(bare, V, [`--token=${token.slice(0, -4)}AAAA`, 'auth', 'whoami']);
    expect(wrong.stderr).to.include('Unauthorized');
  });

  it('whoami prints the admin user and its groups', async () => {
    const r = await ok(['auth', 'whoami']);
    expect(r.stdout).to.match(/ATTRIBUTE\s+VALUE/);
    expect(r.stdout).to.match(/Username\s+kubernetes-admin/);
    expect(r.stdout).to.match(/Groups\s+\[system:masters system:authenticated\]/);
  });
});
