// API aggregation through the real kubectl: an HTTPS server of the test's own behind an
// APIService (a selector-less Service and a manual EndpointSlice to 127.0.0.1), reached with
// `kubectl get --raw` as admin and as a user RBAC allows; it checks the front-proxy client
// certificate and reads the user from X-Remote-* headers. Then it stops: the APIService goes
// Available=False and the rest of the API keeps answering. Also request-header
// authentication of this apiserver, Local APIServices, the ConfigMap and validation.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { type ComponentHandle, makeClientCert, removeOnExit, repoRoot, runKubectl, startComponent, until, useApiserver } from '@skiff/common/testing/index';

const V = '1.33';
const group = 'wardle.example.com';
const version = 'v1alpha1';
const gv = `${group}/${version}`;
const ns = 'wardle';
const run = promisify(execFile);

interface Seen {
  path: string;
  user: string | undefined;
  groups: string[];
  extra: Record<string, string[]>;
  frontProxyVerified: boolean;
  frontProxyCn: string;
  headerNames: string[];
}

const resourceList = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: gv,
  resources: [
    { name: 'flunders', singularName: 'flunder', namespaced: true, kind: 'Flunder', verbs: ['get', 'list', 'watch'], shortNames: ['fl'] },
    { name: 'flunders/status', singularName: '', namespaced: true, kind: 'Flunder', verbs: ['get'] },
  ],
};

function flunder(name: string) {
  return { apiVersion: gv, kind: 'Flunder', metadata: { name, namespace: 'default', resourceVersion: '1' }, spec: { size: 3 } };
}

/** What the backend learns of a request: the path, the front proxy's certificate, the user headers. */
function record(req: IncomingMessage, seen: Seen[]): Seen {
  const socket = req.socket as TLSSocket;
  const peer = socket.getPeerCertificate();
  const extra: Record<string, string[]> = {};
  for (const [h, v] of Object.entries(req.headersDistinct)) if (h.startsWith('x-remote-extra-') && v) extra[h.slice('x-remote-extra-'.length)] = v;
  const entry: Seen = {
    path: req.url ?? '',
    user: req.headersDistinct['x-remote-user']?.[0],
    groups: req.headersDistinct['x-remote-group'] ?? [],
    extra,
    frontProxyVerified: socket.authorized,
    frontProxyCn: String(peer?.subject?.CN ?? ''),
    headerNames: Object.keys(req.headers),
  };
  seen.push(entry);
  return entry;
}

/** The aggregated server: trusts only the front-proxy CA, answers discovery and flunders, echoes an upgraded stream. */
async function startBackend(serving: { cert: string; key: string }, frontProxyCa: string, seen: Seen[]): Promise<https.Server> {
  const server = https.createServer(
    { cert: readFileSync(serving.cert), key: readFileSync(serving.key), ca: readFileSync(frontProxyCa), requestCert: true, rejectUnauthorized: false },
    (req: IncomingMessage, res: ServerResponse) => {
      const entry = record(req, seen);
      const send = (code: number, body: object) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      // what an aggregated server does: only the front proxy may name users
      if (!entry.frontProxyVerified || entry.frontProxyCn !== 'front-proxy-client' || !entry.user) {
        send(401, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 });
        return;
      }
      const url = new URL(req.url ?? '/', 'https://backend');
      if (url.pathname === `/apis/${gv}`) return send(200, resourceList);
      // another version of the group, for the wrong-CA APIService
      if (url.pathname === `/apis/${group}/v1beta1`) return send(200, { ...resourceList, groupVersion: `${group}/v1beta1` });
      if (url.pathname === `/apis/${gv}/namespaces/default/flunders`) {
        if (url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(`${JSON.stringify({ type: 'ADDED', object: flunder('one') })}\n`);
          setTimeout(() => res.end(`${JSON.stringify({ type: 'MODIFIED', object: flunder('one') })}\n`), 100);
          return;
        }
        return send(200, { apiVersion: gv, kind: 'FlunderList', metadata: { resourceVersion: '1' }, items: [flunder('one'), flunder('two')] });
      }
      send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    },
  );
  // an exec-like stream: 101, then every byte comes back
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    const entry = record(req, seen);
    if (!entry.frontProxyVerified || !entry.user || req.headers.upgrade !== 'skiff-echo') {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: skiff-echo\r\nConnection: Upgrade\r\n\r\n');
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** An Upgrade request to the apiserver as the admin: the bytes echoed back through the stream. */
function echoThroughUpgrade(url: string, ca: string, client: { cert: string; key: string }, message: string): Promise<{ status: number; echoed: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: 'POST',
      headers: { connection: 'Upgrade', upgrade: 'skiff-echo' },
      ca: readFileSync(ca),
      cert: readFileSync(client.cert),
      key: readFileSync(client.key),
      agent: false,
    });
    req.on('upgrade', (res, socket, head) => {
      let echoed = head.toString();
      socket.on('data', (d: Buffer) => {
        echoed += d.toString();
        if (echoed.length >= message.length) {
          socket.destroy();
          resolve({ status: res.statusCode ?? 0, echoed });
        }
      });
      socket.write(message);
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, echoed: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('API aggregation (APIService, front proxy, availability, discovery)', function () {
  this.timeout(180_000);
  const cluster = useApiserver({ extraArgs: ['--apiservice-availability-check-seconds=1'] });
  const seen: Seen[] = [];
  let backend: https.Server | undefined;
  let port = 0;
  let wendy = '';
  let controllerManager: ComponentHandle | undefined;

  const admin = (args: string[], stdin?: string) => cluster.server.kubectl(V, args, stdin ? { stdin } : {});
  const ok = async (args: string[], stdin?: string) => {
    const r = await admin(args, stdin);
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  const apiService = async () => JSON.parse(await ok(['get', 'apiservice', `${version}.${group}`, '-o', 'json']));
  const available = async () => (await apiService()).status?.conditions?.find((c: { type: string }) => c.type === 'Available');

  before(async function () {
    this.timeout(60_000);
    const pki = cluster.server.pki;
    // the serving certificate names the Service's DNS name, as the aggregator verifies it
    await run('bash', [join(repoRoot(), 'scripts', 'pki.sh'), pki.dir, 'server', 'wardle-api', `api.${ns}.svc`, '127.0.0.1']);
    backend = await startBackend({ cert: join(pki.dir, 'wardle-api.crt'), key: join(pki.dir, 'wardle-api.key') }, pki.frontProxyCaCert, seen);
    port = (backend.address() as AddressInfo).port;
    wendy = await cluster.server.kubeconfigFor(await makeClientCert(pki, 'wendy', 'wendy', 'wardle-users'), 'wendy');
  });

  after(async () => {
    backend?.close();
    backend?.closeAllConnections();
    await controllerManager?.stop();
  });

  it('serves Local APIServices for the built-in groups, Available', async () => {
    const out = await until('the Local APIServices to be Available', async () => {
      const r = await admin(['get', 'apiservices']);
      return r.code === 0 && /v1\.apps\s+Local\s+True/.test(r.stdout) && /^v1\.\s+Local\s+True/m.test(r.stdout) && r.stdout;
    });
    expect(out).to.match(/^NAME\s+SERVICE\s+AVAILABLE\s+AGE/);
    expect(out).to.match(/v1\.apiregistration\.k8s\.io\s+Local\s+True/);
    const core = JSON.parse(await ok(['get', 'apiservice', 'v1.', '-o', 'json']));
    expect(core.spec).to.include({ group: '', version: 'v1', groupPriorityMinimum: 18000, versionPriority: 1 });
    expect(core.metadata.labels).to.include({ 'kube-aggregator.kubernetes.io/automanaged': 'onstart' });
  });

  it('publishes kube-system/extension-apiserver-authentication', async () => {
    const cm = JSON.parse(await ok(['get', 'configmap', '-n', 'kube-system', 'extension-apiserver-authentication', '-o', 'json']));
    expect(cm.data['requestheader-allowed-names']).to.equal('["front-proxy-client"]');
    expect(cm.data['requestheader-username-headers']).to.equal('["X-Remote-User"]');
    expect(cm.data['requestheader-group-headers']).to.equal('["X-Remote-Group"]');
    expect(cm.data['requestheader-extra-headers-prefix']).to.equal('["X-Remote-Extra-"]');
    expect(cm.data['requestheader-client-ca-file']).to.equal(readFileSync(cluster.server.pki.frontProxyCaCert, 'utf8'));
    expect(cm.data['client-ca-file']).to.equal(readFileSync(cluster.server.pki.caCert, 'utf8'));
    // aggregated servers bind to this Role to read it
    const role = JSON.parse(await ok(['get', 'role', '-n', 'kube-system', 'extension-apiserver-authentication-reader', '-o', 'json']));
    expect(role.rules).to.deep.equal([
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['extension-apiserver-authentication'], verbs: ['get', 'list', 'watch'] },
    ]);
  });

  it('validates APIServices as kube-aggregator does', async () => {
    const bad = await admin(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: 'v1.wrong.example.com' },
        spec: { group: 'other.example.com', version: 'v1', groupPriorityMinimum: 0, versionPriority: 10, insecureSkipTLSVerify: true },
      }),
    );
    expect(bad.code).to.not.equal(0);
    expect(bad.stderr).to.include('must be `spec.version+"."+spec.group`: "v1.other.example.com"');
    expect(bad.stderr).to.include('spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000');
    expect(bad.stderr).to.include('local APIServices may not have insecureSkipTLSVerify');

    const causes = async (spec: Record<string, unknown>, name: string) => {
      const r = await cluster.server.request('POST', '/apis/apiregistration.k8s.io/v1/apiservices', {
        body: { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name }, spec },
      });
      expect(r.status, r.body).to.equal(422);
      return JSON.parse(r.body).details.causes.map((c: { field: string; message: string }) => `${c.field}: ${c.message}`);
    };
    const ca = Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64');
    expect(
      await causes(
        {
          group: 'x.example.com',
          version: 'v1',
          groupPriorityMinimum: 100,
          versionPriority: 2000,
          caBundle: ca,
          insecureSkipTLSVerify: true,
          service: { namespace: 'a', name: 'b', port: 70000 },
        },
        'v1.x.example.com',
      ),
    ).to.have.members([
      'spec.versionPriority: Invalid value: 2000: must be positive and less than 1000',
      'spec.service.port: Invalid value: 70000: port is not valid: must be between 1 and 65535, inclusive',
      'spec.insecureSkipTLSVerify: Invalid value: true: may not be true if caBundle is present',
    ]);
    expect(
      await causes({ group: '', version: 'v2', groupPriorityMinimum: 100, versionPriority: 10, service: { namespace: 'a', name: 'b' } }, 'v2.'),
    ).to.deep.equal(['spec.group: Required value: only v1 may have an empty group and it better be legacy kube']);
    expect(
      await causes({ group: 'x.example.com', version: 'v1', groupPriorityMinimum: 100, versionPriority: 10, caBundle: ca }, 'v1.x.example.com'),
    ).to.deep.equal(['spec.caBundle: Invalid value: "28 bytes": local APIServices may not have a caBundle']);
  });

  it('reports why the backend is not available yet, then Available once it answers', async () => {
    const caBundle = readFileSync(cluster.server.pki.caCert).toString('base64');
    await ok(['create', 'namespace', ns]);
    await ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: `${version}.${group}` },
        spec: { group, version, groupPriorityMinimum: 1000, versionPriority: 15, caBundle, service: { namespace: ns, name: 'api' } },
      }),
    );
    expect((await apiService()).spec.service.port).to.equal(443);
    await until('ServiceNotFound', async () => (await available())?.reason === 'ServiceNotFound');
    expect((await available()).message).to.equal(`service/api in "${ns}" is not present`);
    const rows = await ok(['get', 'apiservice', `${version}.${group}`]);
    expect(rows).to.match(new RegExp(`${version}\\.${group.replace(/\./g, '\\.')}\\s+${ns}/api\\s+False \\(ServiceNotFound\\)`));
    // while not available, the group answers 503 ServiceUnavailable
    const early = await admin(['get', '--raw', `/apis/${gv}/namespaces/default/flunders`]);
    expect(early.code).to.not.equal(0);
    expect(early.stderr).to.include('service unavailable');

    await ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'api', namespace: ns },
        spec: { ports: [{ port: 443, targetPort: port, protocol: 'TCP' }] },
      }),
    );
    await until('EndpointsNotFound', async () => (await available())?.reason === 'EndpointsNotFound');
    const slice = (ready: boolean) =>
      JSON.stringify({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'api-manual', namespace: ns, labels: { 'kubernetes.io/service-name': 'api' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready } }],
        ports: [{ port, protocol: 'TCP' }],
      });
    await ok(['apply', '-f', '-'], slice(false));
    await until('MissingEndpoints', async () => (await available())?.reason === 'MissingEndpoints');
    expect((await available()).message).to.equal(`endpointslices for service/api in "${ns}" have no addresses with port name ""`);
    await ok(['apply', '-f', '-'], slice(true));
    const cond = await until('Available=True', async () => {
      const c = await available();
      return c?.status === 'True' && c;
    });
    expect(cond).to.include({ reason: 'Passed', message: 'all checks passed' });
    // the check itself came as system:kube-aggregator through the front-proxy certificate
    const check = seen.find((s) => s.path === `/apis/${gv}`);
    expect(check).to.include({ user: 'system:kube-aggregator', frontProxyVerified: true, frontProxyCn: 'front-proxy-client' });
  });

  it('proxies kubectl get --raw as the admin, with the user in X-Remote-* headers', async () => {
    seen.length = 0;
    const list = JSON.parse(await ok(['get', '--raw', `/apis/${gv}/namespaces/default/flunders?limit=5`]));
    expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name)).to.deep.equal(['one', 'two']);
    const req = seen.find((s) => s.path.startsWith(`/apis/${gv}/namespaces/default/flunders`));
    expect(req?.path).to.equal(`/apis/${gv}/namespaces/default/flunders?limit=5`);
    expect(req).to.include({ user: 'kubernetes-admin', frontProxyVerified: true, frontProxyCn: 'front-proxy-client' });
    expect(req?.groups).to.have.members(['system:masters', 'system:authenticated']);
  });

  it('authorizes first: a user without RBAC is refused here, one with it is forwarded', async () => {
    seen.length = 0;
    const refused = await runKubectl(wendy, V, ['get', '--raw', `/apis/${gv}/namespaces/default/flunders`]);
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.include(`flunders.${group} is forbidden: User "wendy" cannot list resource "flunders" in API group "${group}"`);
    expect(seen.filter((s) => s.path.includes('/flunders'))).to.have.length(0);

    await ok(['create', 'clusterrole', 'flunder-reader', '--verb=get,list,watch', `--resource=flunders.${group}`]);
    await ok(['create', 'clusterrolebinding', 'flunder-readers', '--clusterrole=flunder-reader', '--group=wardle-users']);
    const r = await until('wendy to be allowed', async () => {
      const x = await runKubectl(wendy, V, ['get', '--raw', `/apis/${gv}/namespaces/default/flunders`]);
      return x.code === 0 && x;
    });
    expect(JSON.parse(r.stdout).kind).to.equal('FlunderList');
    const req = seen.find((s) => s.path.startsWith(`/apis/${gv}/namespaces/default/flunders`) && s.user === 'wendy');
    expect(req?.groups).to.have.members(['wardle-users', 'system:authenticated']);
    expect(req?.frontProxyVerified).to.equal(true);
  });

  it('forwards impersonation as the impersonated user, never the Impersonate-* headers', async () => {
    seen.length = 0;
    await ok(['get', '--raw', `/apis/${gv}/namespaces/default/flunders`, '--as=wendy', '--as-group=wardle-users']);
    const req = seen.find((s) => s.path.includes('/flunders'));
    expect(req?.user).to.equal('wendy');
    expect(req?.groups).to.have.members(['wardle-users', 'system:authenticated']);
  });

  it('forwards impersonated extras as X-Remote-Extra-*, and none of the caller credentials', async () => {
    seen.length = 0;
    const r = await cluster.server.request('GET', `/apis/${gv}/namespaces/default/flunders`, {
      headers: { 'Impersonate-User': 'wendy', 'Impersonate-Group': 'wardle-users', 'Impersonate-Extra-Reason': 'audit', 'X-Remote-User': 'mallory' },
    });
    expect(r.status, r.body).to.equal(200);
    const req = seen.find((s) => s.path.includes('/flunders'));
    expect(req?.user).to.equal('wendy');
    expect(req?.extra).to.deep.equal({ reason: ['audit'] });
    expect(req?.headerNames.filter((h) => h.startsWith('impersonate-') || h === 'authorization')).to.deep.equal([]);
  });

  it('relays an Upgrade (exec-like) stream byte for byte', async () => {
    seen.length = 0;
    const pki = cluster.server.pki;
    const r = await echoThroughUpgrade(
      `${cluster.server.url}/apis/${gv}/namespaces/default/flunders/one/exec`,
      pki.caCert,
      pki.admin,
      'hello through the aggregator',
    );
    expect(r).to.deep.equal({ status: 101, echoed: 'hello through the aggregator' });
    expect(seen.find((s) => s.path.endsWith('/flunders/one/exec'))).to.include({ user: 'kubernetes-admin', frontProxyVerified: true });
  });

  it('verifies the backend against caBundle: a wrong CA gets 503, and no discovery from it', async () => {
    // the same server, but trusted through the wrong CA: available (kube's check does not verify TLS), never proxied
    await ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: `v1beta1.${group}` },
        spec: {
          group,
          version: 'v1beta1',
          groupPriorityMinimum: 1000,
          versionPriority: 10,
          caBundle: readFileSync(cluster.server.pki.frontProxyCaCert).toString('base64'),
          service: { namespace: ns, name: 'api' },
        },
      }),
    );
    const checked = await until('v1beta1 to be checked', async () => {
      const r = JSON.parse(await ok(['get', 'apiservice', `v1beta1.${group}`, '-o', 'json']));
      return r.status?.conditions?.find((c: { type: string }) => c.type === 'Available');
    });
    expect(checked, JSON.stringify(checked)).to.include({ status: 'True', reason: 'Passed' });
    seen.length = 0;
    const r = await cluster.server.request('GET', `/apis/${group}/v1beta1/namespaces/default/flunders`);
    expect(r.status, r.body).to.equal(503);
    expect(JSON.parse(r.body).message).to.match(/^error trying to reach service: /);
    expect(seen.filter((x) => x.path.includes('/flunders'))).to.deep.equal([]);
    const agg = await cluster.server.request('GET', '/apis', { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' } });
    const item = JSON.parse(agg.body).items.find((i: { metadata: { name: string } }) => i.metadata.name === group);
    expect(item.versions.map((v: { version: string }) => v.version)).to.deep.equal([version]);
    await ok(['delete', 'apiservice', `v1beta1.${group}`]);
  });

  it('streams a watch through', async () => {
    const out = await ok(['get', '--raw', `/apis/${gv}/namespaces/default/flunders?watch=1`]);
    const events = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).type);
    expect(events).to.deep.equal(['ADDED', 'MODIFIED']);
  });

  it('merges the group into legacy and aggregated discovery', async () => {
    const apis = JSON.parse(await ok(['get', '--raw', '/apis']));
    const g = apis.groups.find((x: { name: string }) => x.name === group);
    expect(g).to.deep.equal({ name: group, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } });
    const apiGroup = JSON.parse(await ok(['get', '--raw', `/apis/${group}`]));
    expect(apiGroup).to.include({ kind: 'APIGroup', name: group });
    const resources = await until('flunders in kubectl api-resources', async () => {
      const r = await admin(['api-resources', `--api-group=${group}`]);
      return r.code === 0 && r.stdout.includes('flunders') && r.stdout;
    });
    expect(resources).to.match(/flunders\s+fl\s+wardle\.example\.com\/v1alpha1\s+true\s+Flunder/);
    // kubectl maps the short name through the merged discovery and lists through the proxy
    const table = await ok(['get', 'fl']);
    expect(table).to.match(/^NAME\s+AGE/);
    expect(table).to.match(/^one\s/m);
    expect(table).to.match(/^two\s/m);
  });

  it('when the backend stops: Available=False, 503 for its group only, the rest answers', async () => {
    backend?.close();
    backend?.closeAllConnections();
    const cond = await until('Available=False', async () => {
      const c = await available();
      return c?.status === 'False' && c;
    });
    expect(cond.reason).to.equal('FailedDiscoveryCheck');
    expect(cond.message).to.include(`failing or missing response from https://127.0.0.1:${port}/apis/${gv}`);
    expect(await ok(['get', 'apiservice', `${version}.${group}`])).to.include('False (FailedDiscoveryCheck)');

    const metrics = (await cluster.server.request('GET', '/metrics')).body;
    expect(metrics).to.include(`aggregator_unavailable_apiservice{name="${version}.${group}"} 1`);
    expect(metrics).to.include(`aggregator_unavailable_apiservice{name="v1.apps"} 0`);
    expect(metrics).to.include(`aggregator_unavailable_apiservice_total{name="${version}.${group}",reason="FailedDiscoveryCheck"} 1`);

    const raw = await cluster.server.request('GET', `/apis/${gv}/namespaces/default/flunders`);
    expect(raw.status).to.equal(503);
    expect(JSON.parse(raw.body)).to.include({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });

    const pods = await admin(['get', 'pods', '-A']);
    expect(pods.code, pods.stderr).to.equal(0);
    // the stopped group is Stale in aggregated discovery; everything else is listed
    // with a fresh discovery cache: kubectl skips the Stale version and lists everything else
    const cacheDir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-cache-'));
    removeOnExit(cacheDir);
    const ar = await cluster.server.kubectl(V, ['api-resources'], { cacheDir });
    expect(ar.code, ar.stderr).to.equal(0);
    expect(ar.stdout).to.not.include('flunders');
    expect(ar.stdout).to.match(/^pods\s+po\s+v1\s+true\s+Pod/m);
    expect(ar.stdout).to.match(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/m);
    expect(ar.stdout).to.match(/^apiservices\s+apiregistration\.k8s\.io\/v1\s+false\s+APIService/m);
    const agg = await cluster.server.request('GET', '/apis', { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' } });
    const item = JSON.parse(agg.body).items.find((i: { metadata: { name: string } }) => i.metadata.name === group);
    expect(item.versions[0].freshness).to.equal('Stale');
  });

  it('authenticates front proxies by request headers: the front-proxy CA and an allowed CN only', async () => {
    const pki = cluster.server.pki;
    const review = (client: { cert: string; key: string }, headers: Record<string, string>) =>
      cluster.server.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
        client,
        headers,
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      });
    const viaProxy = await review(pki.frontProxyClient, { 'X-Remote-User': 'carol', 'X-Remote-Group': 'team-a' });
    expect(viaProxy.status, viaProxy.body).to.equal(201);
    expect(JSON.parse(viaProxy.body).status.userInfo).to.deep.include({ username: 'carol', groups: ['team-a', 'system:authenticated'] });
    // the front-proxy certificate without a user header names nobody: not a user of its own
    const noUser = await review(pki.frontProxyClient, {});
    expect(noUser.status, noUser.body).to.equal(401);
    // the same CN from the cluster CA is an ordinary x509 user: its headers are ignored
    const impostor = await makeClientCert(pki, 'fake-front-proxy', 'front-proxy-client');
    const fake = await review(impostor, { 'X-Remote-User': 'carol' });
    expect(fake.status, fake.body).to.equal(201);
    expect(JSON.parse(fake.body).status.userInfo.username).to.equal('front-proxy-client');
  });

  it('keeps a namespace Terminating while an aggregated API is down, deleting what it can', async () => {
    const cmKubeconfig = await cluster.server.kubeconfigFor(cluster.server.pki.controllerManager, 'controller-manager');
    const cm = await startComponent({
      workspace: 'controller-manager',
      args: [`--kubeconfig=${cmKubeconfig}`, '--port=0', '--leader-elect=false', '--controllers=namespace'],
    });
    controllerManager = cm;
    await ok(['create', 'namespace', 'doomed']);
    await ok(['create', 'configmap', 'cm', '-n', 'doomed', '--from-literal=k=v']);
    await ok(['delete', 'namespace', 'doomed', '--wait=false']);
    await until(
      'the ConfigMap to be deleted',
      async () => {
        const r = await admin(['get', 'configmap', 'cm', '-n', 'doomed']);
        return r.code !== 0 && r.stderr.includes('NotFound');
      },
      60_000,
    );
    await until('the discovery failure in the controller log', () => readFileSync(cm.logFile, 'utf8').includes(`Discovery failed for some groups`), 60_000);
    // never finalized while the group's discovery fails
    expect(await ok(['get', 'namespace', 'doomed', '-o', 'jsonpath={.status.phase}'])).to.equal('Terminating');
  });

  it('forgets a deleted APIService in discovery', async () => {
    await ok(['delete', 'apiservice', `${version}.${group}`]);
    await until('the group to leave /apis', async () => {
      const apis = JSON.parse(await ok(['get', '--raw', '/apis']));
      return !apis.groups.some((g: { name: string }) => g.name === group);
    });
    const gone = await cluster.server.request('GET', `/apis/${gv}/namespaces/default/flunders`);
    expect(gone.status).to.equal(404);
    // with the group gone, the namespace controller finishes
    await until(
      'namespace doomed to be removed',
      async () => {
        const r = await admin(['get', 'namespace', 'doomed']);
        return r.code !== 0 && r.stderr.includes('NotFound');
      },
      60_000,
    );
  });
});
