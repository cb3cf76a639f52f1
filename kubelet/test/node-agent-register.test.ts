import { expect } from 'chai';
import { tmpdir } from 'node:os';
import type { V1Node } from '@kubernetes/client-node';
import { createLogger } from '@skiff/common';
import type { ApiClients } from '../src/api/client.ts';
import { machineInfo } from '../src/node/machine.ts';
import { NodeAgent } from '../src/node/node-agent.ts';

// A kubelet whose apiserver is busy (429s past the client's own retries) or restarting keeps
// trying to register its node, as upstream's registerWithAPIServer does, instead of exiting;
// a first lease renewal or status post that fails is left to the loops. A fake API: no apiserver.
describe('the node agent registers until it is done', function () {
  this.timeout(20_000);

  it('tries createNode again after failures, and starts even when the first lease renewal and status post fail', async () => {
    const calls: string[] = [];
    let createFailures = 2;
    const busy = () => Object.assign(new Error('HTTP-Code: 429'), { code: 429 });
    const node = (): V1Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u1' } });
    const api = {
      core: {
        createNode: async () => {
          calls.push('createNode');
          if (createFailures-- > 0) throw busy();
          return node();
        },
        patchNodeStatus: async () => {
          calls.push('patchNodeStatus');
          throw busy();
        },
      },
      coordination: {
        patchNamespacedLease: async () => {
          calls.push('patchNamespacedLease');
          throw busy();
        },
      },
    } as unknown as ApiClients;
    const agent = new NodeAgent({
      api,
      log: createLogger('test', {}).child({ quiet: true }),
      identity: { nodeName: 'n1', nodeIP: '10.0.0.1', hostname: 'n1', port: 10250, maxPods: 110, machine: machineInfo(tmpdir()), runtimeVersion: 'fake://1' },
      runtimeReady: async () => ({ ok: true, message: '' }),
    });
    const started = Date.now();
    await agent.start();
    agent.stop();
    expect(calls.filter((c) => c === 'createNode')).to.have.length(3);
    expect(calls).to.include.members(['patchNamespacedLease', 'patchNodeStatus']);
    // two waits: 100 ms, then 200 ms
    expect(Date.now() - started).to.be.at.least(250);
  });
});
