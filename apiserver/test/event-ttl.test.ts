// --event-ttl: Events are stored under etcd leases and disappear on their own that long after
// their last write (kube-apiserver keeps them 1 h by default); other objects never expire.
import { expect } from 'chai';
import { until, useApiserver } from '@skiff/common/testing/index';

describe('apiserver: Events expire after --event-ttl', function () {
  this.timeout(60_000);
  const cluster = useApiserver({ extraArgs: ['--event-ttl=3s'] });
  const event = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'p', namespace: 'default' },
    reason: 'Tested',
    message: 'm',
    type: 'Normal',
    count: 1,
    source: { component: 'test' },
  });
  const status = async (path: string) => (await cluster.server.request('GET', path)).status;

  it('removes an Event by itself, keeps one that is updated, and never expires other objects', async () => {
    const created = Date.now();
    for (const name of ['lonely', 'busy']) {
      expect((await cluster.server.request('POST', '/api/v1/namespaces/default/events', { body: event(name) })).status).to.equal(201);
    }
    expect(
      (
        await cluster.server.request('POST', '/api/v1/namespaces/default/configmaps', {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stays' } },
        })
      ).status,
    ).to.equal(201);
    // the busy one is bumped (as a recorder counts repeats): each write starts its TTL again
    // (count is an int32: a millisecond clock would not decode)
    let bumps = 1;
    const bump = setInterval(() => {
      void cluster.server.request('PATCH', '/api/v1/namespaces/default/events/busy', {
        body: JSON.stringify({ count: ++bumps }),
        headers: { 'content-type': 'application/merge-patch+json' },
      });
    }, 500);
    try {
      await until('lonely expired', async () => (await status('/api/v1/namespaces/default/events/lonely')) === 404, 20_000, 250);
      const lived = Date.now() - created;
      expect(lived).to.be.greaterThan(2900);
      expect(await status('/api/v1/namespaces/default/events/busy')).to.equal(200);
      expect(await status('/apis/events.k8s.io/v1/namespaces/default/events/busy')).to.equal(200);
    } finally {
      clearInterval(bump);
    }
    await until('busy expired once left alone', async () => (await status('/api/v1/namespaces/default/events/busy')) === 404, 20_000, 250);
    expect(await status('/api/v1/namespaces/default/configmaps/stays')).to.equal(200);
    // the list (served from the watch cache) saw the expiry as a deletion
    const list = JSON.parse((await cluster.server.request('GET', '/api/v1/namespaces/default/events')).body);
    expect(list.items.map((e: { metadata: { name: string } }) => e.metadata.name)).to.not.include.members(['lonely', 'busy']);
  });

  it('refuses a bad --event-ttl at start-up', async () => {
    const { spawnSync } = await import('node:child_process');
    const { componentEntryArgs, repoRoot } = await import('@skiff/common/testing/index');
    const r = spawnSync(process.execPath, [...componentEntryArgs('apiserver'), '--event-ttl=soon'], { cwd: repoRoot(), encoding: 'utf8', timeout: 20_000 });
    expect(r.status).to.not.equal(0);
    expect(r.stderr).to.include('--event-ttl: invalid duration "soon"');
  });
});
