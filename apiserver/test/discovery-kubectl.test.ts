// The real kubectl binaries against our discovery documents and Tables, served by a bare
// HTTP server on 127.0.0.1 (no etcd needed: the documents are pure functions of the defs).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Discovery } from '../src/discovery/index.ts';
import { buildTable, parseIncludeObject } from '../src/printers/index.ts';
import type { KObject } from '../src/registry/types.ts';
import { sampleDefs } from './discovery.test.ts';

const kubectlDir = '/usr/lib/google-cloud-sdk/bin';
const versions = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33'].filter((v) => existsSync(join(kubectlDir, `kubectl.${v}`)));

const created = new Date(Date.now() - 10 * 86400_000).toISOString().replace(/\.\d+Z$/, 'Z');
const pods: KObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'default', creationTimestamp: created, resourceVersion: '10' },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'nginx' }] },
    status: {
      phase: 'Running',
      podIPs: [{ ip: '10.244.0.7' }],
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', creationTimestamp: created, resourceVersion: '11' },
    spec: { containers: [{ name: 'app', image: 'nginx' }] },
    status: { phase: 'Pending' },
  },
];
const deployments: KObject[] = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: created, resourceVersion: '12' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'app', image: 'nginx' }] } } },
    status: { readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 },
  },
];

interface FakeApi {
  server: Server;
  url: string;
  requests: { path: string; query: string; accept: string }[];
  aggregated: boolean;
}

function startFakeApi(): Promise<FakeApi> {
  const discovery = new Discovery(sampleDefs());
  const api: FakeApi = { server: undefined as unknown as Server, url: '', requests: [], aggregated: true };
  const send = (res: ServerResponse, body: object, contentType = 'application/json') => {
    res.writeHead(200, { 'Content-Type': contentType });
    res.end(JSON.stringify(body));
  };
  const lists: Record<string, { group: string; kind: string; items: KObject[] }> = {
    '/api/v1/namespaces/default/pods': { group: '', kind: 'Pod', items: pods },
    '/apis/apps/v1/namespaces/default/deployments': { group: 'apps', kind: 'Deployment', items: deployments },
  };
  api.server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const accept = req.headers.accept ?? '';
    api.requests.push({ path: url.pathname, query: url.search, accept });
    if (url.pathname === '/api' || url.pathname === '/apis') {
      const agg = api.aggregated ? discovery.aggregated(accept, url.pathname === '/api' ? 'api' : 'apis') : undefined;
      if (agg) return send(res, agg.body, agg.contentType);
      return send(res, url.pathname === '/api' ? discovery.apiVersions('127.0.0.1') : discovery.apiGroupList());
    }
    const gv = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(url.pathname);
    const resourceList = gv ? (gv[1] ? discovery.resourceList('', gv[1]) : discovery.resourceList(gv[2]!, gv[3]!)) : undefined;
    if (resourceList) return send(res, resourceList);
    const list = lists[url.pathname];
    if (list && url.searchParams.get('watch') === 'true') {
      // One event per object, each a one-row Table; only the first carries the columns.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      list.items.forEach((item, i) => {
        const object = buildTable({
          ...list,
          items: [{ ...item, metadata: { ...item.metadata, resourceVersion: String(30 + i) } }],
          includeObject: 'Metadata',
          withColumns: i === 0,
          listMeta: { resourceVersion: String(30 + i) },
        });
        res.write(JSON.stringify({ type: 'MODIFIED', object }) + '\n');
      });
      res.end();
      return;
    }
    if (list && accept.includes('as=Table')) {
      return send(
        res,
        buildTable({
          ...list,
          includeObject: parseIncludeObject(url.searchParams.get('includeObject')),
          withColumns: true,
          listMeta: { resourceVersion: '20' },
        }),
      );
    }
    if (list) return send(res, { kind: `${list.kind}List`, apiVersion: list.items[0]!.apiVersion, metadata: { resourceVersion: '20' }, items: list.items });
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'NotFound',
        code: 404,
        message: 'the server could not find the requested resource',
      }),
    );
  });
  return new Promise((resolve) =>
    api.server.listen(0, '127.0.0.1', () => {
      api.url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
      resolve(api);
    }),
  );
}

function kubectl(version: string, api: FakeApi, workDir: string, args: string[], allowFailure = false): Promise<string> {
  const kubeconfig = join(workDir, 'kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
  // A fresh cache directory each time, so every run really asks our server.
  const cacheDir = mkdtempSync(join(workDir, 'cache-'));
  return new Promise((resolve, reject) => {
    execFile(
      join(kubectlDir, `kubectl.${version}`),
      [`--kubeconfig=${kubeconfig}`, `--server=${api.url}`, `--cache-dir=${cacheDir}`, ...args],
      { timeout: 30_000, env: { PATH: process.env.PATH ?? '', HOME: workDir } },
      (err, stdout, stderr) => (err && !allowFailure ? reject(new Error(`kubectl ${args.join(' ')} failed: ${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

/** Output lines split into columns on runs of two or more spaces, as kubectl pads them. */
const table = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));

describe('discovery and tables with the real kubectl', function () {
  this.timeout(120_000);
  let api: FakeApi;
  let workDir: string;

  before(async function () {
    if (versions.length === 0) this.skip();
    api = await startFakeApi();
    workDir = mkdtempSync(join(tmpdir(), 'skiff-discovery-'));
  });
  after(() => {
    api?.server.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    if (api) {
      api.requests = [];
      api.aggregated = true;
    }
  });

  for (const version of versions) {
    it(`kubectl ${version} api-resources reads the aggregated documents`, async () => {
      const rows = table(await kubectl(version, api, workDir, ['api-resources']));
      expect(rows[0]).to.deep.equal(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
      expect(rows).to.deep.include(['pods', 'po', 'v1', 'true', 'Pod']);
      expect(rows).to.deep.include(['namespaces', 'ns', 'v1', 'false', 'Namespace']);
      expect(rows).to.deep.include(['deployments', 'deploy', 'apps/v1', 'true', 'Deployment']);
      expect(rows).to.deep.include(['horizontalpodautoscalers', 'hpa', 'autoscaling/v2', 'true', 'HorizontalPodAutoscaler']);
      expect(rows).to.deep.include(['widgets', 'example.com/v1beta2', 'false', 'Widget']);
      // Aggregated discovery answers everything in two requests: no per-group-version fetches.
      const paths = api.requests.map((r) => r.path);
      expect(paths).to.include('/api').and.include('/apis');
      expect(paths.filter((p) => p.startsWith('/api/v1') || p.startsWith('/apis/apps'))).to.deep.equal([]);
      expect(api.requests.find((r) => r.path === '/apis')!.accept).to.contain('g=apidiscovery.k8s.io');
    });

    it(`kubectl ${version} api-resources falls back to the legacy documents`, async () => {
      api.aggregated = false;
      const rows = table(await kubectl(version, api, workDir, ['api-resources', '--api-group=apps']));
      expect(rows.slice(1)).to.deep.equal([
        ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment'],
        ['replicasets', 'rs', 'apps/v1', 'true', 'ReplicaSet'],
      ]);
      expect(api.requests.map((r) => r.path)).to.include('/apis/apps/v1');
    });

    it(`kubectl ${version} get pods prints our Table`, async () => {
      const rows = table(await kubectl(version, api, workDir, ['get', 'pods', '-n', 'default']));
      expect(rows).to.deep.equal([
        ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
        ['web-0', '1/1', 'Running', '0', '10d'],
        ['web-1', '0/1', 'Pending', '0', '10d'],
      ]);
      const wide = table(await kubectl(version, api, workDir, ['get', 'po', '-n', 'default', '-o', 'wide']));
      expect(wide[0]).to.deep.equal(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
      expect(wide[1]).to.deep.equal(['web-0', '1/1', 'Running', '0', '10d', '10.244.0.7', 'node-1', '<none>', '<none>']);
      // --sort-by asks for includeObject=Object and sorts on the full objects in the rows.
      const sorted = table(await kubectl(version, api, workDir, ['get', 'pods', '-n', 'default', '--sort-by=.status.phase']));
      expect(sorted.slice(1).map((r) => r[0])).to.deep.equal(['web-1', 'web-0']);
      expect(api.requests.some((r) => r.path.endsWith('/pods') && r.accept.includes('as=Table') && r.query.includes('includeObject=Object'))).to.equal(true);
    });

    it(`kubectl ${version} get -w prints watch events from one-row Tables`, async () => {
      // The stream ends after two events; kubectl may report that as an error, the output is what counts.
      const rows = table(await kubectl(version, api, workDir, ['get', 'pods', '-n', 'default', '--watch-only'], true));
      expect(rows).to.deep.equal([
        ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
        ['web-0', '1/1', 'Running', '0', '10d'],
        ['web-1', '0/1', 'Pending', '0', '10d'],
      ]);
    });

    it(`kubectl ${version} get deploy resolves the short name and prints the deployment columns`, async () => {
      const rows = table(await kubectl(version, api, workDir, ['get', 'deploy', '-n', 'default', '-o', 'wide']));
      expect(rows).to.deep.equal([
        ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'],
        ['web', '1/2', '2', '1', '10d', 'app', 'nginx', 'app=web'],
      ]);
      const names = await kubectl(version, api, workDir, ['get', 'deployments.apps', '-n', 'default', '-o', 'name']);
      expect(names.trim()).to.equal('deployment.apps/web');
    });
  }
});
