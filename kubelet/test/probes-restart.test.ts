// Readiness across a kubelet restart (upstream's setReadyStateOnKubeletRestart): a container
// that ran before the kubelet started keeps its pod's Ready state until its readiness probe has
// run once in the new kubelet; then the probe decides. Found by `make chaos`: every kubelet
// restart reported its pods not ready for a moment, and a Service whose pods all ran on that
// node refused connections.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { waitFor } from '@skiff/common/testing/index';
import { KUBELET_RESTART_GRACE_MS, ProbeManager } from '../src/runtime/probes.ts';
import type { ProbeTarget } from '../src/runtime/probes.ts';

function target(id: string, port: number, startedAt: number): ProbeTarget {
  return {
    containerId: id,
    podUid: 'uid-1',
    podIP: '127.0.0.1',
    container: { name: 'web', readinessProbe: { tcpSocket: { port }, periodSeconds: 60, failureThreshold: 3 } },
    startedAt,
    exec: () => Promise.reject(new Error('no exec here')),
  };
}

describe('kubelet probes: readiness across a kubelet restart', () => {
  const start = Date.now();
  const earlier = start - KUBELET_RESTART_GRACE_MS - 50_000;
  let server: net.Server;
  let openPort = 0;
  let closedPort = 0;
  const managers: ProbeManager[] = [];
  const manager = () => {
    const m = new ProbeManager(start);
    managers.push(m);
    return m;
  };

  before(async () => {
    server = net.createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    openPort = (server.address() as AddressInfo).port;
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
  });
  after(() => {
    for (const m of managers) m.clear();
    server.close();
  });

  it("before its probe ran here, a container from before the restart has its pod's Ready state", () => {
    const m = manager();
    expect(m.readyAcrossRestart('c1', earlier, true)).to.equal(true);
    expect(m.readyAcrossRestart('c1', earlier, false)).to.equal(false);
    // started within the grace period before this kubelet, or after: not carried over
    expect(m.readyAcrossRestart('c1', start - KUBELET_RESTART_GRACE_MS + 1000, true)).to.equal(false);
    expect(m.readyAcrossRestart('c1', 0, true)).to.equal(false);
  });

  it('once its readiness probe ran, the probe decides (a first failure is not ready, a success ready)', async () => {
    const m = manager();
    m.ensure(target('failing', closedPort, earlier), () => {});
    m.ensure(target('passing', openPort, earlier), () => {});
    await waitFor('the passing probe to succeed', async () => m.ready('passing'), 10_000);
    expect(m.readyAcrossRestart('passing', earlier, false)).to.equal(true);
    // one failed run (under failureThreshold 3) after the restart: not ready any more, as upstream
    await waitFor('the failing probe to have run', async () => !m.readyAcrossRestart('failing', earlier, true), 10_000);
    expect(m.ready('failing')).to.equal(false);
  });
});
