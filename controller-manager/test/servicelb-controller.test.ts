// The service-lb controller against a real apiserver and kubectl: LoadBalancer Services get an
// address from the pool in status.loadBalancer.ingress (kubectl shows it as EXTERNAL-IP), a
// Service of another loadBalancerClass stays pending, an exhausted pool leaves a Warning
// event, and a deleted Service's address goes to the waiting one. A restart keeps addresses.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type V1Service } from '@kubernetes/client-node';
import { useApiserver } from '@skiff/common/testing/index';
import { expect } from 'chai';
import type { ControllerManagerHandle } from '../src/manager.ts';
import { kubeConfigFrom, startTestManager, waitFor } from './support/cluster.ts';

describe('controller-manager: service-lb (real apiserver, kubectl)', function () {
  this.timeout(90_000);
  const cluster = useApiserver();
  let cm: ControllerManagerHandle | undefined;
  let core: CoreV1Api;
  const start = async () => {
    cm = await startTestManager(cluster.server.kubeconfigPath, { controllers: ['service-lb'], loadBalancerIPPool: '10.77.0.10-10.77.0.11' });
  };
  before(async () => {
    core = kubeConfigFrom(cluster.server.kubeconfigPath).makeApiClient(CoreV1Api);
    await start();
  });
  after(async () => {
    await cm?.stop();
  });

  const create = (name: string, spec: Record<string, unknown> = {}) =>
    core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }], selector: { app: name }, ...spec } } as V1Service,
    });
  const ingress = async (name: string) => (await core.readNamespacedService({ name, namespace: 'default' })).status?.loadBalancer?.ingress ?? [];
  const addressOf = (name: string) => waitFor(`${name} has an address`, async () => (await ingress(name))[0]?.ip);
  const eventReasons = async (name: string) =>
    (await core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${name}` })).items.map((e) => `${e.reason}: ${e.message}`);

  it('assigns pool addresses, stands aside for another class, reuses a freed address', async () => {
    await create('first');
    expect(await addressOf('first')).to.equal('10.77.0.10');
    expect((await ingress('first'))[0]!.ipMode).to.equal('VIP');
    await create('other', { loadBalancerClass: 'example.com/other' });
    await create('second', { loadBalancerIP: '10.77.0.11' });
    expect(await addressOf('second')).to.equal('10.77.0.11');
    await create('third');
    const failed = await waitFor('AllocationFailed event', async () => (await eventReasons('third')).find((r) => r.startsWith('AllocationFailed')));
    expect(failed).to.match(/no available IPs/);
    expect(await ingress('other')).to.deep.equal([]);
    expect(await eventReasons('other')).to.deep.equal([]);
    const get = await cluster.server.kubectl('1.33', ['get', 'svc', 'first', 'third']);
    expect(get.stdout).to.match(/first\s+LoadBalancer\s+\S+\s+10\.77\.0\.10\s+80:3\d+\/TCP/);
    expect(get.stdout).to.match(/third\s+LoadBalancer\s+\S+\s+<pending>/);

    await core.deleteNamespacedService({ name: 'first', namespace: 'default' });
    expect(await addressOf('third')).to.equal('10.77.0.10');
    // the event is recorded after the status is written, as upstream's recorder does: wait for it
    const allocated = await waitFor('IPAllocated event of third', async () => (await eventReasons('third')).find((r) => r.startsWith('IPAllocated')));
    expect(allocated).to.equal('IPAllocated: Assigned IP ["10.77.0.10"]');
  });

  it('takes the address back when the type changes, and keeps addresses across a restart', async () => {
    await core.patchNamespacedService(
      {
        name: 'second',
        namespace: 'default',
        body: [
          { op: 'replace', path: '/spec/type', value: 'ClusterIP' },
          { op: 'remove', path: '/spec/loadBalancerIP' },
        ],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    await waitFor('status of second cleared', async () => (await ingress('second')).length === 0);
    await create('fourth');
    expect(await addressOf('fourth')).to.equal('10.77.0.11');
    await cm!.stop();
    await create('fifth');
    await start();
    const failed = await waitFor('fifth refused', async () => (await eventReasons('fifth')).find((r) => r.startsWith('AllocationFailed')));
    expect(failed).to.match(/no available IPs/);
    expect((await ingress('third'))[0]?.ip).to.equal('10.77.0.10');
    expect((await ingress('fourth'))[0]?.ip).to.equal('10.77.0.11');
  });
});
