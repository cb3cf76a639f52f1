// A finished pod's sandbox is stopped (cri-runtime.ts), so the runtime reports no address for
// it any more: the pod's status keeps the one it had; a running pod without one has none.
import type { V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { buildPodStatus } from '../src/pods/status.ts';

const pod = (phase: string): V1Pod => ({
  metadata: { name: 'p', uid: 'u' },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
  status: { phase, podIP: '10.244.1.7', podIPs: [{ ip: '10.244.1.7' }] },
});

describe('kubelet pod status: the address of a finished pod', () => {
  it('a Succeeded or Failed pod without a sandbox keeps its podIP and podIPs', () => {
    for (const phase of ['Succeeded', 'Failed'] as const) {
      const s = buildPodStatus(pod('Running'), { phase, initialized: true, initContainerStatuses: [], containerStatuses: [] }, '10.0.0.11');
      expect(s.podIP, phase).to.equal('10.244.1.7');
      expect(s.podIPs, phase).to.deep.equal([{ ip: '10.244.1.7' }]);
    }
  });
  it('a pod that is not finished shows only the address the runtime reports', () => {
    const s = buildPodStatus(pod('Running'), { phase: 'Pending', initialized: true, initContainerStatuses: [], containerStatuses: [] }, '10.0.0.11');
    expect(s.podIP).to.equal(undefined);
    const r = buildPodStatus(
      pod('Running'),
      { phase: 'Running', podIP: '10.244.1.9', initialized: true, initContainerStatuses: [], containerStatuses: [] },
      '10.0.0.11',
    );
    expect(r.podIP).to.equal('10.244.1.9');
  });
});
