// A tiny HTTPS stand-in for the API server, just enough for `kubectl create ... --dry-run=server`
// to send its typed write: version, legacy discovery, and a capture of every write body.
// Used by protobuf-kubectl.test.ts to record what real kubectl binaries put on the wire.
import { execFileSync, execFile } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { decodeProtobufObject, isProtobufBody } from '../src/protobuf/index.ts';

export const KUBECTL_DIR = '/usr/lib/google-cloud-sdk/bin';

export interface CapturedWrite {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string;
  body: Buffer;
}

type Resource = [name: string, kind: string, namespaced: boolean, verbs?: string[]];

const writeVerbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const discovery: Record<string, Resource[]> = {
  '/api/v1': [
    ['configmaps', 'ConfigMap', true],
    ['secrets', 'Secret', true],
    ['namespaces', 'Namespace', false],
    ['services', 'Service', true],
    ['pods', 'Pod', true],
    ['serviceaccounts', 'ServiceAccount', true],
  ],
  '/apis/apps/v1': [
    ['deployments', 'Deployment', true],
    ['deployments/scale', 'Scale', true, ['get', 'patch', 'update']],
    ['replicasets', 'ReplicaSet', true],
  ],
  '/apis/autoscaling/v1': [['horizontalpodautoscalers', 'HorizontalPodAutoscaler', true]],
  '/apis/autoscaling/v2': [['horizontalpodautoscalers', 'HorizontalPodAutoscaler', true]],
};

function resourceList(groupVersion: string, resources: Resource[]): object {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: resources.map(([name, kind, namespaced, verbs]) => ({
      name,
      singularName: name.includes('/') ? '' : kind.toLowerCase(),
      namespaced,
      kind,
      verbs: verbs ?? writeVerbs,
    })),
  };
}

function apiGroupList(): object {
  const group = (name: string, versions: string[]) => ({
    name,
    versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [group('apps', ['v1']), group('autoscaling', ['v2', 'v1'])] };
}

/** The Deployment that `kubectl autoscale deployment NAME` reads before writing its HPA. */
function deploymentFor(namespace: string, name: string): object {
  return {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name, namespace, uid: '6a1f7c1e-0000-4000-8000-000000000001', resourceVersion: '1', creationTimestamp: '2024-01-02T03:04:05Z' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: 'nginx' }] } },
    },
  };
}

export interface CaptureServer {
  url: string;
  kubeconfig: string;
  writes: CapturedWrite[];
  /** Runs a kubectl binary against this server; resolves with stdout. */
  kubectl(version: string, args: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function startCaptureServer(): Promise<CaptureServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-pb-capture-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const writes: CapturedWrite[] = [];

  const server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const body = Buffer.concat(chunks);
      if (req.method === 'POST' || req.method === 'PUT') {
        writes.push({ method: req.method, path: url.pathname, query: url.searchParams, contentType: req.headers['content-type'] ?? '', body });
        // Answer with the object as our decoder reads it, so kubectl can print its result.
        try {
          const object = isProtobufBody(body) ? decodeProtobufObject(body).object : JSON.parse(body.toString('utf8'));
          return send(201, object);
        } catch (e) {
          return send(400, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 400, reason: 'BadRequest', message: String(e) });
        }
      }
      if (url.pathname === '/version') return send(200, { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' });
      if (url.pathname === '/api')
        return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
      if (url.pathname === '/apis') return send(200, apiGroupList());
      const resources = discovery[url.pathname];
      if (resources) return send(200, resourceList(url.pathname.replace(/^\/apis?\//, ''), resources));
      const dep = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/.exec(url.pathname);
      if (dep && req.method === 'GET') return send(200, deploymentFor(dep[1]!, dep[2]!));
      send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound', message: `${url.pathname} not found` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: capture',
      '  cluster:',
      `    server: ${url}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: capture',
      '  user:',
      '    token: capture-token',
      'contexts:',
      '- name: capture',
      '  context:',
      '    cluster: capture',
      '    user: capture',
      '    namespace: default',
      'current-context: capture',
      '',
    ].join('\n'),
  );

  return {
    url,
    kubeconfig,
    writes,
    kubectl: (version, args) =>
      new Promise((resolve, reject) => {
        execFile(
          path.join(KUBECTL_DIR, `kubectl.${version}`),
          [`--kubeconfig=${kubeconfig}`, ...args],
          // Own cache dir so discovery from other runs never leaks in.
          { env: { ...process.env, KUBECACHEDIR: path.join(dir, 'cache'), HOME: dir }, timeout: 30_000 },
          (err, stdout, stderr) => (err ? reject(new Error(`kubectl.${version} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)),
        );
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
