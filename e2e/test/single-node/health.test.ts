// The health rules the manifests suite waits for (pure logic, no cluster).
import { expect } from 'chai';
import { readyAddresses, unhealthyReason } from '../../src/single-node/health.ts';
import type { EndpointSliceLike, KubeObject } from '../../src/single-node/health.ts';

const deployment = (status: Record<string, unknown>, generation = 2): KubeObject => ({
  kind: 'Deployment',
  metadata: { name: 'web', generation },
  spec: { replicas: 3 },
  status,
});
const available = { type: 'Available', status: 'True' };

describe('single-node health rules', () => {
  it('a Deployment is healthy only when Available with every replica updated, ready and available', () => {
    const full = { observedGeneration: 2, conditions: [available], updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 };
    expect(unhealthyReason(deployment(full), [])).to.equal(undefined);
    expect(unhealthyReason(deployment({ ...full, readyReplicas: 2 }), [])).to.equal('readyReplicas 2/3');
    expect(unhealthyReason(deployment({ ...full, observedGeneration: 1 }), [])).to.match(/not yet observed/);
    expect(unhealthyReason(deployment({ ...full, conditions: [{ type: 'Available', status: 'False' }] }), [])).to.match(/Available/);
  });

  it('a Pod is healthy when Running and Ready, or Succeeded', () => {
    const pod = (status: Record<string, unknown>): KubeObject => ({ kind: 'Pod', metadata: { name: 'p' }, status });
    expect(unhealthyReason(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }), [])).to.equal(undefined);
    expect(unhealthyReason(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] }), [])).to.match(/Ready/);
    expect(unhealthyReason(pod({ phase: 'Pending' }), [])).to.equal('phase Pending');
    expect(unhealthyReason(pod({ phase: 'Succeeded' }), [])).to.equal(undefined);
  });

  it('a Service with a selector needs a ready endpoint in a slice labelled with its name', () => {
    const svc: KubeObject = { kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' } } };
    const slice = (service: string, ready?: boolean): EndpointSliceLike => ({
      metadata: { labels: { 'kubernetes.io/service-name': service } },
      endpoints: [{ addresses: ['10.244.0.5'], conditions: ready === undefined ? {} : { ready } }],
    });
    expect(unhealthyReason(svc, [])).to.equal('no ready endpoints');
    expect(unhealthyReason(svc, [slice('other', true)])).to.equal('no ready endpoints');
    expect(unhealthyReason(svc, [slice('web', false)])).to.equal('no ready endpoints');
    expect(unhealthyReason(svc, [slice('web', true)])).to.equal(undefined);
    expect(readyAddresses('web', [slice('web')])).to.deep.equal(['10.244.0.5']);
    expect(unhealthyReason({ kind: 'Service', metadata: { name: 'x' }, spec: { type: 'ExternalName' } }, [])).to.equal(undefined);
  });

  it('objects being deleted are not healthy; objects without status are once they exist', () => {
    expect(unhealthyReason({ kind: 'ConfigMap', metadata: { name: 'c' } }, [])).to.equal(undefined);
    expect(unhealthyReason({ kind: 'ConfigMap', metadata: { name: 'c', deletionTimestamp: '2024-01-01T00:00:00Z' } }, [])).to.equal('being deleted');
  });
});
