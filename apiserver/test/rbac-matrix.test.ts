// Who may do what, through the real kubectl against a test apiserver running Node,RBAC with the
// bootstrap policy (and the controller-manager, as system:kube-controller-manager, aggregating
// admin/edit/view): six identities, each trying the same actions; every cell is what
// Kubernetes decides. Identities: the admin (system:masters certificate), a namespace editor
// (its own client certificate, bound to `edit` in team), a viewer (`--as=vic`, bound to `view`
// in team), a pod's ServiceAccount (a real token from `kubectl create token`), a node (client
// certificate system:node:n1 in system:nodes) and an anonymous caller (no credentials).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { expect } from 'chai';
import {
  makeClientCert,
  removeOnExit,
  runKubectl,
  sharedEtcd,
  sharedPki,
  startApiserver,
  startComponent,
  until,
  type ApiserverHandle,
  type ComponentHandle,
  type KubectlResult,
} from '@skiff/common/testing/index';

const V = '1.33';
const who = ['admin', 'editor', 'viewer', 'serviceaccount', 'node', 'anonymous'] as const;
type Who = (typeof who)[number];

/** A denial: 403 from authorization, or 401 for a caller without credentials. */
function denied(r: KubectlResult): boolean {
  return /\(Forbidden\)|is forbidden|forbidden: User|\(Unauthorized\)|must be logged in|Unauthorized|do not have permission/.test(r.stderr + r.stdout);
}

const mirrorPod = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'mirror', namespace: 'team', annotations: { 'kubernetes.io/config.mirror': 'x' } },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'nginx' }] },
});
// a mirror pod as a kubelet makes it: owned by its Node (the uid is filled in once n1 exists)
const ownedMirrorPod = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'mirror',
    namespace: 'team',
    annotations: { 'kubernetes.io/config.mirror': 'x' },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: '{n1uid}', controller: true }],
  },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'nginx' }] },
});

/** [description, kubectl args, stdin?, expected per identity in the order of `who`: y allowed, n denied, - not asked] */
const actions: [string, string[], string | undefined, string][] = [
  ['list secrets in team', ['get', 'secrets', '-n', 'team'], undefined, 'yynnnn'],
  ['get a secret a pod on n1 uses', ['get', 'secret', 's1', '-n', 'team'], undefined, 'yynnyn'],
  ['get a secret only a pod on n2 uses', ['get', 'secret', 's2', '-n', 'team'], undefined, 'yynnnn'],
  ['watch secrets in team', ['get', '--raw', '/api/v1/namespaces/team/secrets?watch=true&timeoutSeconds=1'], undefined, 'yynnnn'],
  ['list secrets in another namespace', ['get', 'secrets', '-n', 'other'], undefined, 'ynnnnn'],
  ['get a configmap a pod on n1 mounts', ['get', 'configmap', 'cm1', '-n', 'team'], undefined, 'yyynyn'],
  ['list configmaps in another namespace', ['get', 'configmaps', '-n', 'other'], undefined, 'ynnnnn'],
  ['list pods in team', ['get', 'pods', '-n', 'team'], undefined, 'yyynyn'],
  ['list pods in another namespace', ['get', 'pods', '-n', 'other'], undefined, 'ynnnyn'],
  ['read pod logs', ['logs', 'p1', '-n', 'team'], undefined, 'yyynnn'],
  ['exec into a pod', ['exec', 'p1', '-n', 'team', '--', 'true'], undefined, 'yynnnn'],
  [
    'port-forward (can-i create pods --subresource=portforward)',
    ['auth', 'can-i', 'create', 'pods', '--subresource=portforward', '-n', 'team'],
    undefined,
    'yynnnn',
  ],
  // NodeRestriction: a node creates only mirror pods of itself, owned by its Node
  ['create a pod', ['run', 'x', '--image=nginx', '-n', 'team', '--dry-run=server'], undefined, 'yynnnn'],
  ['create a mirror pod bound to n1 without an owner', ['create', '--dry-run=server', '--validate=false', '-f', '-'], mirrorPod, 'yynnnn'],
  ['create a mirror pod owned by node n1', ['create', '--dry-run=server', '--validate=false', '-f', '-'], ownedMirrorPod, 'yynnyn'],
  ['delete a pod bound to n1', ['delete', 'pod', 'p1', '-n', 'team', '--dry-run=server'], undefined, 'yynnyn'],
  ['delete a pod bound to n2', ['delete', 'pod', 'p2', '-n', 'team', '--dry-run=server'], undefined, 'yynnnn'],
  ['create a deployment', ['create', 'deployment', 'd', '--image=nginx', '-n', 'team', '--dry-run=server'], undefined, 'yynnnn'],
  ['list deployments', ['get', 'deployments', '-n', 'team'], undefined, 'yyynnn'],
  ['bind admin in team', ['create', 'rolebinding', 'b', '--clusterrole=admin', '--user=u', '-n', 'team', '--dry-run=server'], undefined, 'ynnnnn'],
  ['create a role with every verb (escalate)', ['create', 'role', 'big', '--verb=*', '--resource=*', '-n', 'team', '--dry-run=server'], undefined, 'ynnnnn'],
  [
    'bind cluster-admin cluster-wide',
    ['create', 'clusterrolebinding', 'b', '--clusterrole=cluster-admin', '--user=u', '--dry-run=server'],
    undefined,
    'ynnnnn',
  ],
  // the anonymous caller is itself impersonated, and impersonation does not nest: '-' skips
  ['impersonate a user', ['auth', 'whoami', '--as=alice'], undefined, 'ynnnn-'],
  ['impersonate a group', ['auth', 'whoami', '--as=alice', '--as-group=system:masters'], undefined, 'ynnnn-'],
  ['impersonate a ServiceAccount of team', ['auth', 'whoami', '--as=system:serviceaccount:team:robot'], undefined, 'yynnn-'],
  // NodeRestriction: a node's tokens are bound to a pod on it
  ['get an unbound token for the ServiceAccount p1 runs as', ['create', 'token', 'robot', '-n', 'team'], undefined, 'yynnnn'],
  [
    'get a token for the ServiceAccount p1 runs as, bound to p1',
    ['create', 'token', 'robot', '-n', 'team', '--bound-object-kind=Pod', '--bound-object-name=p1', '--bound-object-uid={p1uid}'],
    undefined,
    'yynnyn',
  ],
  ['get a token for another ServiceAccount', ['create', 'token', 'other', '-n', 'team'], undefined, 'yynnnn'],
  ['list nodes', ['get', 'nodes'], undefined, 'ynnnyn'],
  ['label its own node', ['label', 'node', 'n1', 'a=b', '--overwrite', '--dry-run=server'], undefined, 'ynnnyn'],
  ['label another node', ['label', 'node', 'n2', 'a=b', '--overwrite', '--dry-run=server'], undefined, 'ynnnnn'],
  [
    'give its own node a node-restriction.kubernetes.io label',
    ['label', 'node', 'n1', 'node-restriction.kubernetes.io/trusted=yes', '--dry-run=server'],
    undefined,
    'ynnnnn',
  ],
  ['taint its own node', ['taint', 'node', 'n1', 'k=v:NoSchedule', '--dry-run=server'], undefined, 'ynnnnn'],
  ['get its own lease', ['get', 'lease', 'n1', '-n', 'kube-node-lease'], undefined, 'ynnnyn'],
  ['get another node lease', ['get', 'lease', 'n2', '-n', 'kube-node-lease'], undefined, 'ynnnnn'],
  // kubectl skips a CSR already approved: each identity has its own
  ['approve a CSR', ['certificate', 'approve', 'csr-{who}'], undefined, 'ynnnnn'],
  ['list CSRs', ['get', 'csr'], undefined, 'ynnnyn'],
  ['GET /healthz', ['get', '--raw', '/healthz'], undefined, 'yyyyyy'],
  ['GET /apis (discovery)', ['get', '--raw', '/apis'], undefined, 'yyyyyn'],
  ['GET /metrics', ['get', '--raw', '/metrics'], undefined, 'ynnnnn'],
  ['whoami', ['auth', 'whoami'], undefined, 'yyyyyn'],
  ['list clusterroles', ['get', 'clusterroles'], undefined, 'ynnnnn'],
];

describe('RBAC and the Node authorizer: the deny matrix', function () {
  this.timeout(600_000);
  let cm: ComponentHandle | undefined;
  let server: ApiserverHandle | undefined;
  const cluster = {
    get server(): ApiserverHandle {
      if (!server) throw new Error('apiserver not started');
      return server;
    },
  };
  const kubeconfigs = {} as Record<Who, string>;
  let n1uid = '';
  let p1uid = '';
  const extra = {} as Record<Who, string[]>;
  const dir = mkdtempSync(join(tmpdir(), 'skiff-rbac-'));
  removeOnExit(dir);
  const admin = (args: string[], stdin?: string) => cluster.server.kubectl(V, args, stdin ? { stdin } : {});
  const ok = async (args: string[], stdin?: string) => {
    const r = await admin(args, stdin);
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r;
  };
  const as = (w: Who, args: string[], stdin?: string) => runKubectl(kubeconfigs[w], V, [...extra[w], ...args], stdin ? { stdin } : {});

  function tokenKubeconfig(name: string, token?: string): string {
    const path = join(dir, `${name}.kubeconfig`);
    const user = token ? `{token: "${token}"}` : '{}';
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: c, cluster: {server: "${cluster.server.url}", certificate-authority: "${cluster.server.pki.caCert}"}}]`,
        `users: [{name: u, user: ${user}}]`,
        'contexts: [{name: c, context: {cluster: c, user: u}}]',
        'current-context: c',
        '',
      ].join('\n'),
    );
    return path;
  }

  before(async () => {
    const p = await sharedPki();
    const etcd = await sharedEtcd();
    // the default --authorization-mode (Node,RBAC); a signing key so that TokenRequest works
    server = await startApiserver({
      etcdUrl: etcd.url,
      extraArgs: [`--service-account-signing-key-file=${p.serviceAccountKey}`, `--service-account-key-file=${p.serviceAccountPub}`],
    });
    // the controller-manager under its own identity: aggregation fills admin/edit/view
    const cmKubeconfig = await cluster.server.kubeconfigFor(p.controllerManager, 'controller-manager');
    cm = await startComponent({
      workspace: 'controller-manager',
      args: [`--kubeconfig=${cmKubeconfig}`, '--port=0', '--leader-elect=false', '--controllers=clusterrole-aggregation,serviceaccount,rootcacertpublisher'],
    });
    await until(
      'edit aggregated',
      async () => {
        const r = await admin(['get', 'clusterrole', 'edit', '-o', 'jsonpath={.rules[*].verbs}']);
        return r.code === 0 && r.stdout.includes('create');
      },
      60_000,
    );
    for (const ns of ['team', 'other']) await ok(['create', 'namespace', ns]);
    for (const [ns, name] of [
      ['team', 's1'],
      ['team', 's2'],
      ['other', 's1'],
    ]) {
      await ok(['create', 'secret', 'generic', name!, '-n', ns!, '--from-literal=k=v']);
    }
    await ok(['create', 'configmap', 'cm1', '-n', 'team', '--from-literal=k=v']);
    await ok(['create', 'serviceaccount', 'robot', '-n', 'team']);
    await ok(['create', 'serviceaccount', 'other', '-n', 'team']);
    const pod = (name: string, node: string, secret: string, sa: string, cm?: string) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'team' },
        spec: {
          nodeName: node,
          serviceAccountName: sa,
          containers: [{ name: 'c', image: 'nginx', envFrom: [{ secretRef: { name: secret } }] }],
          volumes: cm ? [{ name: 'v', configMap: { name: cm } }] : [],
        },
      });
    await ok(['create', '-f', '-'], pod('p1', 'n1', 's1', 'robot', 'cm1'));
    await ok(['create', '-f', '-'], pod('p2', 'n2', 's2', 'other'));
    for (const n of ['n1', 'n2']) {
      await ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: n } }));
    }
    n1uid = (await ok(['get', 'node', 'n1', '-o', 'jsonpath={.metadata.uid}'])).stdout.trim();
    p1uid = (await ok(['get', 'pod', 'p1', '-n', 'team', '-o', 'jsonpath={.metadata.uid}'])).stdout.trim();
    await ok(['create', 'rolebinding', 'editors', '--clusterrole=edit', '--user=erin', '-n', 'team']);
    await ok(['create', 'rolebinding', 'viewers', '--clusterrole=view', '--user=vic', '-n', 'team']);
    for (const w of who) await ok(['create', '-f', '-'], csr(`csr-${w}`));

    kubeconfigs.admin = cluster.server.kubeconfigPath;
    extra.admin = [];
    kubeconfigs.editor = await cluster.server.kubeconfigFor(await makeClientCert(p, 'erin', 'erin', 'team-editors'), 'erin');
    extra.editor = [];
    kubeconfigs.viewer = await cluster.server.kubeconfigFor(await makeClientCert(p, 'vic', 'vic'), 'vic');
    extra.viewer = [];
    const token = (await ok(['create', 'token', 'robot', '-n', 'team'])).stdout.trim();
    kubeconfigs.serviceaccount = tokenKubeconfig('robot', token);
    extra.serviceaccount = [];
    kubeconfigs.node = await cluster.server.kubeconfigFor(await makeClientCert(p, 'node-n1', 'system:node:n1', 'system:nodes'), 'node-n1');
    extra.node = [];
    // kubectl prompts for a password when a kubeconfig has no credentials: anonymous requests
    // are made as Kubernetes' docs suggest, by impersonating system:anonymous (the no-credentials
    // path is checked over plain HTTPS below)
    kubeconfigs.anonymous = cluster.server.kubeconfigPath;
    extra.anonymous = ['--as=system:anonymous', '--as-group=system:unauthenticated'];
    // the authorizers learn of new objects through their watches
    await until('the node graph', async () => (await as('node', ['get', 'secret', 's1', '-n', 'team'])).code === 0, 10_000);
    await until('the viewer binding', async () => (await as('viewer', ['get', 'pods', '-n', 'team'])).code === 0, 10_000);
  });
  after(async () => {
    await cm?.stop();
    await server?.stop();
  });

  it('every identity gets what Kubernetes decides for each action', async () => {
    const wrong: string[] = [];
    for (const [what, args, stdin, expected] of actions) {
      const results = await Promise.all(
        who.map((w) =>
          as(
            w,
            args.map((a) => a.replace('{who}', w).replace('{p1uid}', p1uid)),
            stdin?.replace('{n1uid}', n1uid),
          ),
        ),
      );
      results.forEach((r, i) => {
        if (expected[i] === '-') return;
        const got = denied(r) || (args[1] === 'can-i' && r.stdout.trim() === 'no') ? 'n' : 'y';
        if (got !== expected[i])
          wrong.push(`${who[i]}: ${what}: expected ${expected[i] === 'y' ? 'allowed' : 'denied'}, kubectl said ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
      });
    }
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
    expect(actions.length).to.be.at.least(25);
  });

  it('words the 403 as Kubernetes does', async () => {
    const r = await as('viewer', ['get', 'secrets', '-n', 'team']);
    expect(r.stderr.trim()).to.equal(
      'Error from server (Forbidden): secrets is forbidden: User "vic" cannot list resource "secrets" in API group "" in the namespace "team"',
    );
    const n = await as('node', ['get', 'secret', 's2', '-n', 'team']);
    expect(n.stderr.trim()).to.equal(
      'Error from server (Forbidden): secrets "s2" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "team": no relationship found between node \'n1\' and this object',
    );
  });

  it('lists the viewer rules with `kubectl auth can-i --list`', async () => {
    const r = await as('viewer', ['auth', 'can-i', '--list', '-n', 'team']);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.split('\n');
    const verbsOf = (resource: string) =>
      lines
        .find((l) => l.split(/\s+/)[0] === resource)
        ?.trim()
        .split(/\s{2,}/)
        .pop();
    expect(verbsOf('pods')).to.equal('[get list watch]');
    expect(verbsOf('deployments.apps')).to.equal('[get list watch]');
    expect(verbsOf('selfsubjectaccessreviews.authorization.k8s.io')).to.equal('[create]');
    expect(verbsOf('secrets')).to.equal(undefined);
    expect(lines.some((l) => l.includes('[/healthz]'))).to.equal(true);
    const other = await as('viewer', ['auth', 'can-i', '--list', '-n', 'other']);
    expect(other.stdout.split('\n').some((l) => l.split(/\s+/)[0] === 'pods')).to.equal(false);
  });

  it('answers can-i for others, with --as and -n', async () => {
    const can = async (args: string[]) => (await admin(['auth', 'can-i', ...args])).stdout.trim();
    expect(await can(['get', 'pods', '-n', 'team', '--as=vic'])).to.equal('yes');
    expect(await can(['get', 'pods', '-n', 'other', '--as=vic'])).to.equal('no');
    expect(await can(['delete', 'pods', '-n', 'team', '--as=erin'])).to.equal('yes');
    expect(await can(['get', 'secrets/s1', '-n', 'team', '--as=system:node:n1', '--as-group=system:nodes'])).to.equal('yes');
    expect(await can(['get', 'secrets/s2', '-n', 'team', '--as=system:node:n1', '--as-group=system:nodes'])).to.equal(
      "no - no relationship found between node 'n1' and this object",
    );
    expect(await can(['get', '/logs/x', '--as=vic'])).to.equal('no');
  });

  it('refuses callers without credentials outside health and version (401), and serves those', async () => {
    expect((await cluster.server.request('GET', '/api/v1/namespaces/team/secrets', { client: null })).status).to.equal(401);
    expect((await cluster.server.request('GET', '/healthz', { client: null })).status).to.equal(200);
    expect((await cluster.server.request('GET', '/version', { client: null })).status).to.equal(200);
    const info = await cluster.server.request('GET', '/api/v1/namespaces/kube-public/configmaps/cluster-info', { client: null });
    expect(info.status, 'cluster-info may be missing, never forbidden').to.be.oneOf([200, 404]);
  });

  it('gives a token from `kubectl create token` that kubectl can use, and whoami names its user', async () => {
    const r = await as('serviceaccount', ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('system:serviceaccount:team:robot ["system:serviceaccounts","system:serviceaccounts:team","system:authenticated"]');
  });

  it('prevents escalation: no role or binding grants what its author lacks, unless escalate or bind', async () => {
    // a namespace admin may write roles and bindings in team, with what it holds
    await ok(['create', 'rolebinding', 'team-admins', '--clusterrole=admin', '--user=tess', '-n', 'team']);
    const tess = (args: string[]) => admin([...args, '--as=tess']);
    await until('the team admin binding', async () => (await tess(['get', 'roles', '-n', 'team'])).code === 0, 10_000);
    expect((await tess(['create', 'role', 'readers', '--verb=get', '--resource=pods', '-n', 'team'])).code).to.equal(0);
    expect((await tess(['create', 'rolebinding', 'view-x', '--clusterrole=view', '--user=x', '-n', 'team'])).code).to.equal(0);
    const big = await tess(['create', 'role', 'nodes', '--verb=get', '--resource=nodes', '-n', 'team']);
    expect(big.stderr).to.include('is attempting to grant RBAC permissions not currently held');
    expect(big.stderr).to.include('{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}');
    const bind = await tess(['create', 'rolebinding', 'ca', '--clusterrole=cluster-admin', '--user=x', '-n', 'team']);
    expect(bind.stderr).to.include('is attempting to grant RBAC permissions not currently held');
    // with bind on that one role, and escalate on roles, both succeed
    await ok(['create', 'role', 'binder', '-n', 'team', '--verb=bind,escalate', '--resource=clusterroles,roles']);
    await ok(['create', 'rolebinding', 'binder', '--role=binder', '--user=tess', '-n', 'team']);
    await until(
      'the binder role',
      async () => (await tess(['create', 'rolebinding', 'ca', '--clusterrole=cluster-admin', '--user=x', '-n', 'team'])).code === 0,
      10_000,
    );
    expect((await tess(['create', 'role', 'nodes', '--verb=get', '--resource=nodes', '-n', 'team'])).code).to.equal(0);
  });
});

function csr(name: string): string {
  // a fresh, well-formed request: who may approve it is what is tested
  const pem = execFileSync(
    'openssl',
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=someone'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const request = Buffer.from(pem).toString('base64');
  return JSON.stringify({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: { request, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] },
  });
}
