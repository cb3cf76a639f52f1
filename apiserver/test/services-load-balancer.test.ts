// Service fields of type LoadBalancer against a real apiserver: allocateLoadBalancerNodePorts:
// false claims no node port, externalTrafficPolicy Local gets a health-check node port (kept on
// update, freed when the policy goes back to Cluster), loadBalancerClass may not change.
import { expect } from 'chai';
import { useApiserver } from '@skiff/common/testing/index';

describe('services: LoadBalancer node ports and health-check node port', function () {
  this.timeout(60_000);
  const cluster = useApiserver();
  const path = '/api/v1/namespaces/default/services';
  const create = async (name: string, spec: Record<string, unknown>) => {
    const r = await cluster.server.request('POST', path, { body: { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec } });
    return { status: r.status, body: JSON.parse(r.body) };
  };
  const patch = async (name: string, spec: Record<string, unknown>) => {
    const r = await cluster.server.request('PATCH', `${path}/${name}`, {
      body: { spec },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    return { status: r.status, body: JSON.parse(r.body) };
  };
  const lb = { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 8080 }], selector: { app: 'x' } };

  it('claims no node port when allocateLoadBalancerNodePorts is false, but keeps one asked for', async () => {
    const none = await create('lb-noports', { ...lb, allocateLoadBalancerNodePorts: false });
    expect(none.status).to.equal(201);
    expect(none.body.spec.ports[0].nodePort).to.equal(undefined);
    const asked = await create('lb-asked', { ...lb, allocateLoadBalancerNodePorts: false, ports: [{ port: 80, nodePort: 31880 }] });
    expect(asked.status).to.equal(201);
    expect(asked.body.spec.ports[0].nodePort).to.equal(31880);
    const usual = await create('lb-ports', lb);
    expect(usual.body.spec.allocateLoadBalancerNodePorts).to.equal(true);
    expect(usual.body.spec.ports[0].nodePort).to.be.within(30000, 32767);
  });

  it('refuses allocateLoadBalancerNodePorts and loadBalancerClass on other types', async () => {
    const r = await create('np-alloc', { type: 'NodePort', ports: [{ port: 80 }], allocateLoadBalancerNodePorts: false, loadBalancerClass: 'x.io/lb' });
    expect(r.status).to.equal(422);
    const fields = r.body.details.causes.map((c: { field: string }) => c.field);
    expect(fields).to.include.members(['spec.allocateLoadBalancerNodePorts', 'spec.loadBalancerClass']);
  });

  it('gives externalTrafficPolicy Local a health-check node port, keeps it on update, frees it for Cluster', async () => {
    const r = await create('lb-local', { ...lb, externalTrafficPolicy: 'Local' });
    expect(r.status).to.equal(201);
    const hc = r.body.spec.healthCheckNodePort;
    expect(hc).to.be.within(30000, 32767);
    expect(hc).to.not.equal(r.body.spec.ports[0].nodePort);
    // a PUT without the field keeps it
    const put = await cluster.server.request('PUT', `${path}/lb-local`, {
      body: { ...r.body, spec: { ...r.body.spec, healthCheckNodePort: undefined } },
    });
    expect(put.status).to.equal(200);
    expect(JSON.parse(put.body).spec.healthCheckNodePort).to.equal(hc);
    const moved = await patch('lb-local', { healthCheckNodePort: hc === 32767 ? 32766 : hc + 1 });
    expect(moved.status).to.equal(422);
    expect(moved.body.details.causes[0].field).to.equal('spec.healthCheckNodePort');
    const cluster_ = await patch('lb-local', { externalTrafficPolicy: 'Cluster' });
    expect(cluster_.status).to.equal(200);
    expect(cluster_.body.spec.healthCheckNodePort).to.equal(undefined);
    // the port is free again: another Service may ask for it
    const again = await create('np-reuse', { type: 'NodePort', ports: [{ port: 80, nodePort: hc }] });
    expect(again.status).to.equal(201);
  });

  it('refuses a health-check node port on a Cluster policy and a changed loadBalancerClass', async () => {
    const bad = await create('lb-hc-cluster', { ...lb, healthCheckNodePort: 31999 });
    expect(bad.status).to.equal(422);
    expect(bad.body.details.causes[0].field).to.equal('spec.healthCheckNodePort');
    expect((await create('lb-class', { ...lb, loadBalancerClass: 'example.com/other' })).status).to.equal(201);
    const changed = await patch('lb-class', { loadBalancerClass: 'example.com/mine' });
    expect(changed.status).to.equal(422);
    expect(changed.body.details.causes[0].field).to.equal('spec.loadBalancerClass');
  });
});
