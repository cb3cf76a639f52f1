// The metrics server's Node list and watch against a real apiserver: nodes added, changed and
// deleted after the first list are seen, with only the fields the scraper needs.
import { expect } from 'chai';
import { useApiserver, until } from '@skiff/common/testing/index';
import { createLogger } from '@skiff/common/log';
import { ApiserverClient } from '../src/apiserver-client.ts';
import { loadCredentials } from '../src/kubeconfig.ts';
import { NodeWatcher } from '../src/node-watcher.ts';

describe('metrics-server: node watcher', function () {
  this.timeout(60_000);
  const cluster = useApiserver();
  let watcher: NodeWatcher;
  let api: ApiserverClient;

  const node = (name: string, zone: string, port: number) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { zone } },
    status: { addresses: [{ type: 'InternalIP', address: '10.0.0.9' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } },
  });

  before(async () => {
    const r = await cluster.server.request('POST', '/api/v1/nodes', { body: node('w-before', 'a', 10250) });
    expect(r.status, r.body).to.equal(201);
    api = new ApiserverClient(loadCredentials(cluster.server.kubeconfigPath));
    watcher = new NodeWatcher(api, createLogger('node-watcher-test'));
    await watcher.start();
  });
  after(() => {
    watcher?.stop();
    api?.close();
  });

  it('lists, then follows additions, changes and deletions', async () => {
    expect(watcher.get('w-before')).to.deep.equal({
      name: 'w-before',
      labels: { zone: 'a' },
      addresses: [{ type: 'InternalIP', address: '10.0.0.9' }],
      kubeletPort: 10250,
    });
    await cluster.server.request('POST', '/api/v1/nodes', { body: node('w-after', 'b', 10250) });
    await until('w-after seen', () => watcher.get('w-after'));
    const patched = await cluster.server.request('PATCH', '/api/v1/nodes/w-after', {
      body: JSON.stringify({ metadata: { labels: { zone: 'c' } } }),
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(patched.status, patched.body).to.equal(200);
    await until('w-after relabelled', () => watcher.get('w-after')?.labels.zone === 'c');
    await cluster.server.request('DELETE', '/api/v1/nodes/w-before');
    await until('w-before gone', () => !watcher.get('w-before'));
    expect(watcher.hasSynced()).to.equal(true);
  });
});
