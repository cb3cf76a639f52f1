// Pod garbage collection against the real apiserver: a pod bound to a node that does not
// exist is deleted after the quarantine, pods on existing nodes, unbound pods and pods whose
// node appears during the quarantine stay.
import { expect } from 'chai';
import { loadKubeConfig } from '@skiff/common';
import { until, useApiserver } from '@skiff/common/testing/index';
import * as podgc from '../src/controllers/podgc/index.ts';

describe('pod garbage collector (orphaned pods)', function () {
  this.timeout(60_000);
  const cluster = useApiserver();
  let stop: (() => Promise<void>) | undefined;
  const post = async (path: string, body: object) => {
    const r = await cluster.server.request('POST', path, { body });
    if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${r.body}`);
  };
  const node = (name: string) => post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name } });
  const pod = (name: string, nodeName?: string) =>
    post('/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] },
    });
  const exists = async (name: string) => (await cluster.server.request('GET', `/api/v1/namespaces/default/pods/${name}`)).status === 200;

  after(async () => {
    await stop?.();
  });

  it('deletes pods of a node that is gone, after the quarantine, and nothing else', async () => {
    await node('alive');
    await pod('on-alive', 'alive');
    await pod('unbound');
    await pod('orphan', 'ghost');
    await pod('early', 'late');
    const started = Date.now();
    stop = await podgc.start({ kubeConfig: loadKubeConfig(cluster.server.kubeconfigPath), config: { podGcPeriodSeconds: 0.2, podGcQuarantineSeconds: 2 } });
    await node('late'); // appears within the quarantine: its pod stays
    await until('orphan deleted', async () => !(await exists('orphan')), 15_000);
    expect(Date.now() - started).to.be.greaterThan(1900);
    await new Promise((r) => setTimeout(r, 500));
    for (const name of ['on-alive', 'unbound', 'early']) expect(await exists(name), name).to.equal(true);
  });
});
