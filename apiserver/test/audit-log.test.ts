// The audit log through the real kubectl: one JSON line per audited request in the
// audit.k8s.io/v1 Event shape, levels and stages as the policy says, rotation by size.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { removeOnExit, repoRoot, until, useApiserver } from '@skiff/common/testing/index';
import { parsePolicy, PolicyEvaluator } from '../src/audit/policy.ts';
import type { AuditEvent } from '../src/audit/event.ts';

const KUBECTL = '1.33';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-audit-'));
  removeOnExit(dir);
  return dir;
}

function readEvents(path: string): AuditEvent[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent);
}

const policy = `
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    resources: [{ group: "", resources: [events] }]
  - level: None
    nonResourceURLs: ["/healthz*", "/readyz*", "/livez*"]
  - level: None
    verbs: [get, list]
    resources: [{ group: "", resources: [configmaps] }]
  - level: Request
    resources: [{ group: "", resources: [configmaps] }]
  - level: RequestResponse
    omitManagedFields: true
    resources: [{ group: "", resources: [services] }]
  - level: Metadata
    omitStages: []
`;

describe('audit log', () => {
  const dir = tempDir();
  const policyFile = join(dir, 'policy.yaml');
  const logFile = join(dir, 'audit.log');
  writeFileSync(policyFile, policy);
  const cluster = useApiserver({ extraArgs: [`--audit-policy-file=${policyFile}`, `--audit-log-path=${logFile}`] });

  /** The events of this request, once its last stage is written. */
  async function eventsOf(auditID: string, stage = 'ResponseComplete'): Promise<AuditEvent[]> {
    let found: AuditEvent[] = [];
    await until(
      `audit event ${auditID} at ${stage}`,
      () => {
        found = readEvents(logFile).filter((e) => e.auditID === auditID);
        return found.some((e) => e.stage === stage);
      },
      5000,
    );
    return found;
  }

  it('writes a line for each mutating kubectl request, with verb, objectRef, user and code', async () => {
    const k = (args: string[]) => cluster.server.kubectl(KUBECTL, args);
    expect((await k(['create', 'namespace', 'audited'])).code).to.equal(0);
    expect((await k(['-n', 'audited', 'create', 'deployment', 'web', '--image=nginx'])).code).to.equal(0);
    expect((await k(['-n', 'audited', 'label', 'deployment', 'web', 'tier=front'])).code).to.equal(0);
    expect((await k(['-n', 'audited', 'delete', 'deployment', 'web'])).code).to.equal(0);
    const want = [
      { verb: 'create', ref: { resource: 'namespaces', name: 'audited', apiVersion: 'v1' }, code: 201 },
      { verb: 'create', ref: { resource: 'deployments', namespace: 'audited', name: 'web', apiGroup: 'apps', apiVersion: 'v1' }, code: 201 },
      { verb: 'patch', ref: { resource: 'deployments', namespace: 'audited', name: 'web', apiGroup: 'apps', apiVersion: 'v1' }, code: 200 },
      { verb: 'delete', ref: { resource: 'deployments', namespace: 'audited', name: 'web', apiGroup: 'apps', apiVersion: 'v1' }, code: 200 },
    ];
    let complete: AuditEvent[] = [];
    await until(
      'the audit lines of the writes',
      () => {
        complete = readEvents(logFile).filter((e) => e.stage === 'ResponseComplete' && ['create', 'patch', 'delete'].includes(e.verb));
        return want.every((w) => complete.some((e) => e.verb === w.verb && e.objectRef?.resource === w.ref.resource));
      },
      5000,
    );
    for (const w of want) {
      const e = complete.find((x) => x.verb === w.verb && x.objectRef?.resource === w.ref.resource && x.objectRef?.name === w.ref.name);
      expect(e, `${w.verb} ${w.ref.resource}`).to.not.equal(undefined);
      expect(e!.kind).to.equal('Event');
      expect(e!.apiVersion).to.equal('audit.k8s.io/v1');
      expect(e!.level).to.equal('Metadata');
      expect(e!.objectRef).to.deep.include(w.ref);
      expect(e!.responseStatus?.code).to.equal(w.code);
      expect(e!.user.username).to.equal('kubernetes-admin');
      expect(e!.user.groups).to.include('system:masters');
      expect(e!.sourceIPs).to.deep.equal(['127.0.0.1']);
      expect(e!.userAgent).to.match(/^kubectl/);
      expect(e!.annotations).to.include({ 'authorization.k8s.io/decision': 'allow' });
      expect(e!.requestReceivedTimestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      expect(e!.stageTimestamp >= e!.requestReceivedTimestamp).to.equal(true);
      // Metadata: no bodies
      expect(e).to.not.have.property('requestObject');
      expect(e).to.not.have.property('responseObject');
    }
    // the policy's omitStages hold for every rule (a rule's own list adds to them)
    expect(readEvents(logFile).some((e) => e.stage === 'RequestReceived')).to.equal(false);
  });

  it('returns the auditID as the Audit-Id header, and records errors with their Status', async () => {
    const body = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'audited' } };
    const r = await cluster.server.request('POST', '/api/v1/namespaces', { body });
    expect(r.status).to.equal(409);
    const id = String(r.headers['audit-id']);
    expect(id).to.match(/^[0-9a-f-]{36}$/);
    const [e] = (await eventsOf(id)).filter((x) => x.stage === 'ResponseComplete');
    expect(e!.responseStatus).to.deep.include({ code: 409, status: 'Failure', reason: 'AlreadyExists' });
    expect(e!.responseStatus!.message).to.match(/already exists/);
  });

  it('writes nothing for requests a None rule matches', async () => {
    await cluster.server.kubectl(KUBECTL, ['create', 'configmap', 'quiet', '--from-literal=a=b']);
    const gets = [
      await cluster.server.request('GET', '/api/v1/namespaces/default/configmaps/quiet'),
      await cluster.server.request('GET', '/api/v1/namespaces/default/configmaps'),
      await cluster.server.request('GET', '/readyz', { client: null }),
      await cluster.server.request('POST', '/api/v1/namespaces/default/events', {
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: 'e1' },
          involvedObject: { kind: 'Pod', name: 'x', namespace: 'default' },
          reason: 'R',
          message: 'm',
        },
      }),
    ];
    // a request after them is logged: once it is there, the earlier ones would be too
    const marker = await cluster.server.request('GET', '/api/v1/namespaces/default/secrets');
    await eventsOf(String(marker.headers['audit-id']));
    const ids = new Set(readEvents(logFile).map((e) => e.auditID));
    for (const g of gets) {
      expect(g.headers['audit-id'], 'every response carries an Audit-Id').to.be.a('string');
      expect(ids.has(String(g.headers['audit-id'])), `${g.status} ${g.body.slice(0, 80)}`).to.equal(false);
    }
    expect(gets[3]!.status).to.equal(201);
    expect(readEvents(logFile).some((e) => e.objectRef?.resource === 'events' || e.requestURI.startsWith('/readyz'))).to.equal(false);
  });

  it('carries the requestObject at Request level, and the responseObject without managedFields at RequestResponse', async () => {
    const cm = await cluster.server.request('POST', '/api/v1/namespaces/default/configmaps', {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'loud' }, data: { greeting: 'hello' } },
    });
    expect(cm.status).to.equal(201);
    const [e] = (await eventsOf(String(cm.headers['audit-id']))).filter((x) => x.stage === 'ResponseComplete');
    expect(e!.level).to.equal('Request');
    expect(e!.requestObject).to.deep.include({ kind: 'ConfigMap', data: { greeting: 'hello' } });
    expect(e).to.not.have.property('responseObject');
    expect(e!.objectRef).to.deep.include({ resource: 'configmaps', namespace: 'default', name: 'loud' });

    const svc = await cluster.server.kubectl(KUBECTL, ['create', 'service', 'clusterip', 'audited-svc', '--tcp=80:8080', '-o', 'name']);
    expect(svc.code, svc.stderr).to.equal(0);
    let ev: AuditEvent | undefined;
    await until(
      'the service create event',
      () => {
        ev = readEvents(logFile).find((x) => x.stage === 'ResponseComplete' && x.verb === 'create' && x.objectRef?.name === 'audited-svc');
        return !!ev;
      },
      5000,
    );
    expect(ev!.level).to.equal('RequestResponse');
    expect((ev!.requestObject as any).spec.ports[0].port).to.equal(80);
    const out = ev!.responseObject as any;
    expect(out.metadata.name).to.equal('audited-svc');
    expect(out.metadata.uid).to.be.a('string');
    expect(out.metadata).to.not.have.property('managedFields');
  });

  it('records the impersonated user and a forbidden decision with its reason', async () => {
    const r = await cluster.server.kubectl(KUBECTL, ['--as=alice', '--as-group=team', 'create', 'secret', 'generic', 'nope', '--from-literal=a=b']);
    expect(r.code).to.not.equal(0);
    let e: AuditEvent | undefined;
    await until(
      'the impersonated create',
      () => {
        e = readEvents(logFile).find((x) => x.stage === 'ResponseComplete' && x.impersonatedUser?.username === 'alice' && x.verb === 'create');
        return !!e;
      },
      5000,
    );
    expect(e!.user.username).to.equal('kubernetes-admin');
    expect(e!.impersonatedUser!.groups).to.include('team');
    expect(e!.responseStatus).to.deep.include({ code: 403, reason: 'Forbidden' });
    expect(e!.annotations).to.include({ 'authorization.k8s.io/decision': 'forbid' });
  });

  it('annotates an allowed request with the RBAC binding that allowed it', async () => {
    const k = (args: string[]) => cluster.server.kubectl(KUBECTL, args);
    expect((await k(['create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods'])).code).to.equal(0);
    expect((await k(['create', 'rolebinding', 'bob-reads', '--role=pod-reader', '--user=bob'])).code).to.equal(0);
    let e: AuditEvent | undefined;
    await until(
      "bob's allowed list",
      async () => {
        await k(['--as=bob', 'get', 'pods']);
        e = readEvents(logFile).find((x) => x.stage === 'ResponseComplete' && x.impersonatedUser?.username === 'bob' && x.responseStatus?.code === 200);
        return !!e;
      },
      10_000,
    );
    expect(e!.annotations).to.deep.equal({
      'authorization.k8s.io/decision': 'allow',
      'authorization.k8s.io/reason': 'RBAC: allowed by RoleBinding "bob-reads/default" of Role "pod-reader" to User "bob"',
    });
  });

  it("carries the admission plugins' audit annotations (PodSecurity's audit mode)", async () => {
    const k = (args: string[]) => cluster.server.kubectl(KUBECTL, args);
    expect((await k(['create', 'namespace', 'watched'])).code).to.equal(0);
    expect((await k(['label', 'namespace', 'watched', 'pod-security.kubernetes.io/audit=restricted'])).code).to.equal(0);
    const r = await cluster.server.request('POST', '/api/v1/namespaces/watched/pods', {
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'root' },
        spec: { containers: [{ name: 'c', image: 'nginx', securityContext: { privileged: true } }] },
      },
    });
    expect(r.status, r.body).to.equal(201);
    const [e] = (await eventsOf(String(r.headers['audit-id']))).filter((x) => x.stage === 'ResponseComplete');
    expect(e!.annotations!['pod-security.kubernetes.io/audit-violations']).to.match(/would violate PodSecurity "restricted:latest": privileged/);
    expect(e!.annotations).to.include({ 'authorization.k8s.io/decision': 'allow' });
  });

  it('writes ResponseStarted and ResponseComplete for a watch', async () => {
    const r = await cluster.server.request('GET', '/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1');
    expect(r.status).to.equal(200);
    const events = await eventsOf(String(r.headers['audit-id']));
    expect(events.map((e) => e.stage)).to.deep.equal(['ResponseStarted', 'ResponseComplete']);
    expect(events.every((e) => e.verb === 'watch' && e.responseStatus?.code !== 500)).to.equal(true);
    expect(events[0]!.responseStatus?.code).to.equal(200);
    expect(events[0]!.stageTimestamp <= events[1]!.stageTimestamp).to.equal(true);
  });

  it('audits a failed authentication as one ResponseStarted event', async () => {
    const r = await cluster.server.request('GET', '/api/v1/namespaces', { client: null, headers: { authorization: 'Bearer not-a-token' } });
    expect(r.status).to.equal(401);
    const events = await eventsOf(String(r.headers['audit-id']), 'ResponseStarted');
    expect(events).to.have.length(1);
    expect(events[0]!.user).to.deep.equal({ username: '' });
    expect(events[0]!.responseStatus?.code).to.equal(401);
  });
});

describe('audit log rotation', () => {
  const dir = tempDir();
  const policyFile = join(dir, 'policy.yaml');
  const logFile = join(dir, 'audit.log');
  writeFileSync(
    policyFile,
    'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: RequestResponse\n    resources: [{ group: "", resources: [configmaps] }]\n',
  );
  const cluster = useApiserver({
    extraArgs: [`--audit-policy-file=${policyFile}`, `--audit-log-path=${logFile}`, '--audit-log-maxsize=1', '--audit-log-maxbackup=2'],
  });

  it('rotates at --audit-log-maxsize and keeps --audit-log-maxbackup backups', async function () {
    this.timeout(60_000);
    // each event carries the ConfigMap twice (request and response): ~600 KB
    const big = 'x'.repeat(300 * 1024);
    for (let i = 0; i < 6; i++) {
      const r = await cluster.server.request('POST', '/api/v1/namespaces/default/configmaps', {
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `big-${i}` }, data: { blob: big } },
      });
      expect(r.status).to.equal(201);
    }
    const files = () => readdirSync(dir).filter((f) => /^audit-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log$/.test(f));
    let all: AuditEvent[] = [];
    await until(
      'six events over rotated files',
      () => {
        all = [logFile, ...files().map((f) => join(dir, f))].flatMap(readEvents);
        return all.filter((e) => e.stage === 'ResponseComplete').some((e) => e.objectRef?.name === 'big-5') && files().length === 2;
      },
      10_000,
    );
    expect(files()).to.have.length(2);
    for (const f of [logFile, ...files().map((x) => join(dir, x))]) {
      expect(statSync(f).size).to.be.at.most(1024 * 1024);
      expect(statSync(f).mode & 0o777).to.equal(0o600);
    }
    // three files of at most one ~1.2 MB pair... each holds whole lines only, the newest last
    const names = all.filter((e) => e.stage === 'ResponseComplete').map((e) => e.objectRef?.name);
    expect(names).to.include('big-5');
    expect(names).to.not.include('big-0');
    // no omitStages here: each request was logged when it arrived, too
    const received = all.find((e) => e.stage === 'RequestReceived' && e.objectRef?.resource === 'configmaps' && e.verb === 'create');
    expect(received).to.not.equal(undefined);
    expect(received!.stageTimestamp).to.equal(received!.requestReceivedTimestamp);
    expect(received).to.not.have.property('responseStatus');
  });
});

describe('audit policy', () => {
  const attrs = (over: Partial<Parameters<PolicyEvaluator['evaluate']>[1]> = {}) => ({
    verb: 'get',
    isResourceRequest: true,
    path: '/api/v1/namespaces/default/pods/x',
    group: '',
    resource: 'pods',
    namespace: 'default',
    name: 'x',
    ...over,
  });
  const user = { name: 'system:node:a', groups: ['system:nodes', 'system:authenticated'] };

  it('matches rules in order by user, group, verb, resource, subresource, name, namespace and path', () => {
    const p = new PolicyEvaluator(
      parsePolicy(`
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: [system:kube-proxy]
  - level: RequestResponse
    userGroups: [system:nodes]
    verbs: [update]
    resources: [{ group: coordination.k8s.io, resources: [leases] }]
  - level: Request
    resources: [{ group: "", resources: ["pods/log", "*/status"] }]
  - level: Metadata
    resources: [{ group: "", resources: [secrets], resourceNames: [token] }]
  - level: None
    namespaces: [kube-system]
  - level: Request
    nonResourceURLs: ["/metrics", "/debug/*"]
    omitStages: [ResponseStarted]
  - level: Metadata
    omitManagedFields: true
`),
    );
    expect(p.evaluate({ name: 'system:kube-proxy', groups: [] }, attrs()).level).to.equal('None');
    expect(p.evaluate(user, attrs({ verb: 'update', group: 'coordination.k8s.io', resource: 'leases' })).level).to.equal('RequestResponse');
    expect(p.evaluate(user, attrs({ verb: 'get', group: 'coordination.k8s.io', resource: 'leases' })).level).to.equal('Metadata');
    expect(p.evaluate(user, attrs({ subresource: 'log' })).level).to.equal('Request');
    expect(p.evaluate(user, attrs({ resource: 'nodes', subresource: 'status', namespace: undefined })).level).to.equal('Request');
    expect(p.evaluate(user, attrs({ resource: 'secrets', name: 'token', namespace: 'kube-system' })).level).to.equal('Metadata');
    expect(p.evaluate(user, attrs({ resource: 'secrets', name: 'other', namespace: 'kube-system' })).level).to.equal('None');
    const metrics = p.evaluate(user, attrs({ isResourceRequest: false, path: '/debug/pprof', resource: '' }));
    expect(metrics.level).to.equal('Request');
    expect([...metrics.omitStages].sort()).to.deep.equal(['RequestReceived', 'ResponseStarted']);
    const last = p.evaluate(user, attrs({ isResourceRequest: false, path: '/version', resource: '' }));
    expect(last).to.deep.include({ level: 'Metadata', omitManagedFields: true });
  });

  it("make up's policy: Metadata for writes and reads, never above it for Secrets and ConfigMaps, None for probes and heartbeats", () => {
    const p = new PolicyEvaluator(parsePolicy(readFileSync(join(repoRoot(), 'scripts/audit-policy.yaml'), 'utf8')));
    const admin = { name: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
    for (const verb of ['create', 'update', 'patch', 'delete', 'deletecollection', 'get', 'list', 'watch']) {
      expect(p.evaluate(admin, attrs({ verb })).level, verb).to.equal('Metadata');
      expect(p.evaluate(admin, attrs({ verb, resource: 'secrets' })).level, verb).to.equal('Metadata');
      expect(p.evaluate(admin, attrs({ verb, resource: 'configmaps' })).level, verb).to.equal('Metadata');
    }
    expect(p.evaluate(admin, attrs({ verb: 'create', resource: 'events' })).level).to.equal('Metadata');
    expect(p.evaluate(admin, attrs({ verb: 'list', resource: 'events' })).level).to.equal('None');
    const lease = attrs({ verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease', name: 'a' });
    expect(p.evaluate(user, lease).level).to.equal('None');
    expect(p.evaluate({ name: 'system:kube-scheduler', groups: ['system:authenticated'] }, { ...lease, namespace: 'kube-system' }).level).to.equal('None');
    expect(p.evaluate(admin, lease).level).to.equal('Metadata');
    for (const path of ['/healthz', '/readyz', '/livez/etcd', '/version']) {
      expect(p.evaluate(undefined, attrs({ isResourceRequest: false, path, resource: '' })).level, path).to.equal('None');
    }
    expect(p.evaluate(admin, attrs({ isResourceRequest: false, path: '/metrics', resource: '' })).level).to.equal('Metadata');
  });

  it('refuses bad policies with the field at fault', () => {
    const bad = (rules: string) => () => parsePolicy(`apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n${rules}`);
    expect(bad('  - level: Loud')).to.throw(/rules\[0\]\.level: Unsupported value: "Loud"/);
    expect(bad('  - level: None\n    omitStages: [Later]')).to.throw(/omitStages\[0\]: Unsupported value/);
    expect(bad('  - level: None\n    nonResourceURLs: ["/x"]\n    resources: [{ resources: [pods] }]')).to.throw(
      /both regular resources and non-resource URLs/,
    );
    expect(bad('  - level: None\n    nonResourceURLs: ["x"]')).to.throw(/must begin with a '\/'/);
    expect(bad('  - level: None\n    nonResourceURLs: ["/a*/b"]')).to.throw(/wildcards can only be at the end/);
    expect(bad('  - level: None\n    resources: [{ resources: ["*"], resourceNames: [a] }]')).to.throw(/resource names/);
    expect(() => parsePolicy('apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []')).to.throw(/0 rules/);
    expect(() => parsePolicy('apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules: [{level: None}]')).to.throw(/audit.k8s.io\/v1/);
  });
});
