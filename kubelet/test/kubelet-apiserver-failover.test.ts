// A kubelet (one hollow node, the simulated runtime) given two apiservers: its node keeps
// its Lease renewed and runs a pod bound to it after the apiserver it started on is killed.
import assert from 'node:assert/strict';
import {
  freePort,
  makeServingCert,
  sharedEtcd,
  sharedPki,
  startApiserver,
  startComponent,
  uniqueEtcdPrefix,
  until,
  type ApiserverHandle,
  type ComponentHandle,
} from '@skiff/common/testing/index';

const A = '127.0.0.6';
const B = '127.0.0.7';
const NODE = 'failover-0';

type Json = Record<string, any>;

describe('a kubelet with two apiservers, one of them killed', function () {
  this.timeout(180_000);
  let a: ApiserverHandle | undefined;
  let b: ApiserverHandle | undefined;
  let kubelet: ComponentHandle | undefined;

  before(async () => {
    const etcd = await sharedEtcd();
    const pki = await sharedPki();
    const servingCert = await makeServingCert(pki, 'apiserver-kubelet-failover', 'kube-apiserver', [A, B]);
    const prefix = uniqueEtcdPrefix();
    const port = await freePort();
    const common = { etcdUrl: etcd.url, ...(etcd.tls ? { etcdTls: etcd.tls } : {}), prefix, port, servingCert };
    a = await startApiserver({ ...common, address: A });
    b = await startApiserver({ ...common, address: B });
  });

  after(async () => {
    await kubelet?.stop();
    await b?.stop();
    await a?.stop();
  });

  const get = async (path: string): Promise<Json> => {
    const r = await b!.request('GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.body.slice(0, 200)}`);
    return JSON.parse(r.body);
  };
  const renewTime = async () => (await get(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE}`)).spec.renewTime as string;

  it('renews its Lease and runs a new pod through the other apiserver', async () => {
    kubelet = await startComponent({
      workspace: 'kubelet',
      args: ['--kubeconfig', a!.kubeconfigPath, '--hollow-nodes', '1', '--hollow-name-prefix', 'failover-', '--simulated-ready-delay', '1'],
      env: { SKIFF_LOG_LEVEL: 'warn', SKIFF_APISERVER_ENDPOINTS: b!.url },
    });
    await until(
      'the node Ready',
      async () => (await get(`/api/v1/nodes/${NODE}`)).status?.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True'),
      60_000,
      500,
    );
    const before = await renewTime();

    const killedAt = Date.now();
    process.kill(a!.pid, 'SIGKILL');
    await until('the Lease renewed after the kill', async () => (await renewTime()) !== before, 40_000, 500);
    const renewedAfter = (Date.now() - killedAt) / 1000;

    const r = await b!.request('POST', '/api/v1/namespaces/default/pods', {
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'after-kill' }, spec: { nodeName: NODE, containers: [{ name: 'c', image: 'skiff/none:1' }] } },
    });
    assert.equal(r.status, 201, r.body);
    const pod = await until(
      'the pod Running',
      async () => {
        const p = await get('/api/v1/namespaces/default/pods/after-kill');
        return p.status?.phase === 'Running' && p;
      },
      60_000,
      500,
    );
    assert.equal(pod.status.containerStatuses[0].ready, true);
    console.log(`      Lease renewed ${renewedAfter.toFixed(1)} s after the kill; pod Running ${((Date.now() - killedAt) / 1000).toFixed(1)} s after it`);
    const node = await get(`/api/v1/nodes/${NODE}`);
    assert.ok(node.status.conditions.some((c: Json) => c.type === 'Ready' && c.status === 'True'));
  });
});
