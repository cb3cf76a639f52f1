// The real kubectl reads our OpenAPI: 1.27 through /openapi/v2 as gnostic protobuf, 1.33
// through /openapi/v3. A tiny HTTPS server of the test serves discovery and the documents.
import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenApi, openApiV2ProtobufMediaType, openApiV2ProtobufResponseType } from '../src/openapi/index.ts';
import type { ResourceDef } from '../src/registry/types.ts';
import { servedResources } from './openapi-fixtures.ts';

const kubectlDir = '/usr/lib/google-cloud-sdk/bin';

function discovery(resources: ResourceDef[], url: string): unknown {
  const gv = (d: ResourceDef) => (d.group ? `${d.group}/${d.version}` : d.version);
  if (url === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (url === '/apis') {
    const groups = [...new Set(resources.filter((d) => d.group).map((d) => d.group))];
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map((name) => {
        const v = { groupVersion: `${name}/v1`, version: 'v1' };
        return { name, versions: [v], preferredVersion: v };
      }),
    };
  }
  const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(url);
  if (!m) return undefined;
  const [group, version] = m[1] ? ['', m[1]] : [m[2], m[3]];
  const defs = resources.filter((d) => d.group === group && d.version === version);
  if (!defs.length) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv(defs[0]),
    resources: defs.map((d) => ({
      name: d.resource,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    })),
  };
}

function serve(api: OpenApi, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'https://x');
  const json = (code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  if (url.pathname === '/version') return json(200, { major: '1', minor: '33', gitVersion: 'v1.33.0', platform: 'linux/amd64' });
  if (url.pathname === '/openapi/v2') {
    if ((req.headers.accept ?? '').includes(openApiV2ProtobufMediaType)) {
      res.writeHead(200, { 'content-type': openApiV2ProtobufResponseType, etag: api.v2Etag() }).end(api.v2Protobuf());
    } else {
      res.writeHead(200, { 'content-type': 'application/json', etag: api.v2Etag() }).end(api.v2Json());
    }
    return;
  }
  if (url.pathname === '/openapi/v3') return json(200, api.v3Index());
  if (url.pathname.startsWith('/openapi/v3/')) {
    const doc = api.v3Document(url.pathname.slice('/openapi/v3/'.length));
    if (doc) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(doc);
      return;
    }
  }
  const body = discovery(servedResources, url.pathname);
  if (body) return json(200, body);
  json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
}

function kubectl(version: string, kubeconfig: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      join(kubectlDir, `kubectl.${version}`),
      ['--kubeconfig', kubeconfig, ...args],
      { timeout: 60000, env: { ...process.env, HOME: tmpdir() } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as any).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

describe('kubectl reads our OpenAPI', function () {
  this.timeout(120000);
  let dir: string;
  let server: Server;
  let kubeconfig: string;

  before(async function () {
    if (!existsSync(join(kubectlDir, 'kubectl.1.27'))) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'skiff-openapi-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    const api = new OpenApi(servedResources);
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) =>
      serve(api, req, res),
    ) as unknown as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: t',
        'clusters:',
        `- name: t`,
        `  cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}`,
        'users:',
        '- name: t',
        '  user: {token: "t"}',
        'contexts:',
        '- name: t',
        '  context: {cluster: t, user: t}',
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl 1.27 explains a field from the v2 protobuf document', async () => {
    const { code, out } = await kubectl('1.27', kubeconfig, ['explain', 'deployment.spec.replicas']);
    expect(out, out).to.match(/KIND:\s+Deployment/);
    expect(out).to.match(/FIELD:\s+replicas <integer>/);
    expect(out).to.include('Number of desired pods');
    expect(code).to.equal(0);
  });

  it('kubectl 1.27 explains nested lists and core kinds', async () => {
    const { code, out } = await kubectl('1.27', kubeconfig, ['explain', 'pods.spec.containers.ports']);
    expect(out, out).to.match(/FIELD:\s+ports <\[\](Object|ContainerPort)>/);
    expect(out).to.include('containerPort');
    expect(code).to.equal(0);
  });

  it('kubectl 1.33 explains a field from the v3 document', async () => {
    const { code, out } = await kubectl('1.33', kubeconfig, ['explain', 'deployment.spec.replicas']);
    expect(out, out).to.match(/GROUP:\s+apps/);
    expect(out).to.match(/FIELD:\s+replicas <integer>/);
    expect(out).to.include('Number of desired pods');
    expect(code).to.equal(0);
  });
});
