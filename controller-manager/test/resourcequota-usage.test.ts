// The quota controller's recount, called directly: which collections a quota needs, and the
// usage it computes with the shared evaluators (scopes, compute resources, terminal pods).
import { expect } from 'chai';
import { collectionsFor, computeUsed } from '../src/controllers/resourcequota/usage.ts';

const pod = (name: string, extra: { spec?: object; status?: object; requests?: object; limits?: object } = {}) => ({
  metadata: { name, namespace: 'ns' },
  spec: { containers: [{ name: 'c', image: 'x', resources: { requests: extra.requests, limits: extra.limits } }], ...extra.spec },
  status: extra.status ?? { phase: 'Running' },
});

describe('resourcequota controller: recount', () => {
  it('maps hard names to the collections to list', () => {
    expect(collectionsFor(['pods', 'requests.cpu', 'services.nodeports', 'count/deployments.apps', 'count/configmaps', 'secrets'])).to.deep.equal([
      { group: '', resource: 'pods' },
      { group: '', resource: 'services' },
      { group: 'apps', resource: 'deployments' },
      { group: '', resource: 'configmaps' },
      { group: '', resource: 'secrets' },
    ]);
  });

  it('sums requests and limits of running pods; finished pods count only as count/pods', () => {
    const quota = { spec: { hard: { pods: '10', 'count/pods': '10', 'requests.cpu': '4', 'limits.memory': '4Gi', cpu: '4' } } };
    const pods = [
      pod('a', { requests: { cpu: '250m' }, limits: { memory: '1Gi' } }),
      pod('b', { requests: { cpu: '1' }, limits: { memory: '512Mi' } }),
      pod('done', { requests: { cpu: '1' }, status: { phase: 'Succeeded' } }),
    ];
    expect(computeUsed(quota, new Map([['/pods', pods]]))).to.deep.equal({
      'count/pods': '3',
      cpu: '1250m',
      'limits.memory': '1536Mi',
      pods: '2',
      'requests.cpu': '1250m',
    });
  });

  it('a scoped quota counts only the pods in its scopes; zero for what nothing uses', () => {
    const quota = {
      spec: {
        hard: { pods: '5' },
        scopes: ['NotBestEffort'],
        scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] },
      },
    };
    const pods = [
      pod('besteffort', { spec: { priorityClassName: 'high' } }),
      pod('burstable-high', { requests: { cpu: '1' }, spec: { priorityClassName: 'high' } }),
      pod('burstable-low', { requests: { cpu: '1' }, spec: { priorityClassName: 'low' } }),
    ];
    expect(computeUsed(quota, new Map([['/pods', pods]]))).to.deep.equal({ pods: '1' });
    expect(computeUsed({ spec: { hard: { 'count/configmaps': '2' } } }, new Map())).to.deep.equal({ 'count/configmaps': '0' });
  });

  it('services charge node ports and load balancers', () => {
    const quota = { spec: { hard: { services: '5', 'services.nodeports': '5', 'services.loadbalancers': '1' } } };
    const svc = (type: string, ports: number) => ({
      metadata: { name: type },
      spec: { type, ports: Array.from({ length: ports }, (_, i) => ({ port: 80 + i })) },
    });
    expect(computeUsed(quota, new Map([['/services', [svc('ClusterIP', 1), svc('NodePort', 2), svc('LoadBalancer', 1)]]]))).to.deep.equal({
      services: '3',
      'services.loadbalancers': '1',
      'services.nodeports': '3',
    });
  });
});
